# raremix: set-up, demo, tests and benchmarks. Every target installs what it needs itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.raremix-installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

.PHONY: help setup system-deps tool-deps demo test test-fast lint typecheck pytest pytest-fast docs bench clean

help:
	@echo "make demo   - set up, then render the bundled synthetic example studies"
	@echo "make test   - set up, then run ruff, mypy and pytest (with hypothesis), R, LibreOffice and axe-core included"
	@echo "make test-fast - the same without the real-tool tests (R, LibreOffice, axe-core): they skip, visibly"
	@echo "make bench  - set up, then run the benchmarks (results in bench/results/)"
	@echo "make docs   - regenerate docs/cli.md from every command's --help"

# uv (from PyPI) installs the dependencies in seconds from its cache instead of pip's minutes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[report,dev,bench]'
	touch $(STAMP)

setup: $(STAMP)

# Debian's packages: Chromium draws static figures (kaleido) for PDF/DOCX and runs the browser
# and accessibility (axe-core) tests; poppler-utils reads PDFs back in the tests. The real-tool
# tests (tests/tools/) open raremix's outputs the way researchers do: R (readr, readxl, haven,
# metafor with lme4, jsonlite) and LibreOffice Writer. Only missing packages are installed.
DEBS       := chromium poppler-utils
TOOL_DEBS  := r-base-core r-cran-readr r-cran-readxl r-cran-haven r-cran-metafor r-cran-lme4 \
	r-cran-jsonlite libreoffice-writer-nogui

define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; start=$$(date +%s); \
		$(APT) update -qq && $(APT) install -y -qq $$missing >/dev/null; \
		echo "Debian packages installed in $$(( $$(date +%s) - start )) s"; \
	fi
endef

system-deps:
	$(call apt_install,$(DEBS))

tool-deps:
	$(call apt_install,$(TOOL_DEBS))

demo: setup system-deps
	$(BIN)/raremix demo
	@echo
	@echo "Open the study report in a browser: $(CURDIR)/reports/calciphylaxis-synthetic/report.html"
	@echo "  (xdg-open FILE on Linux, open FILE on macOS; the comparison is in reports/compare-*/report.html)"
	@echo "raremix is in .venv: 'source .venv/bin/activate' puts it on PATH, or run .venv/bin/raremix"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cog --check docs/cli.md

# docs/cli.md: every command's --help, regenerated (lint fails when it is out of date).
docs: setup
	$(BIN)/cog -r docs/cli.md

typecheck: setup
	$(BIN)/mypy

pytest: setup system-deps tool-deps
	$(BIN)/python -m pytest -n 2 -q

test: lint typecheck pytest

# The same without the real-tool tests (R, LibreOffice, axe-core), which then skip with a reason.
pytest-fast: setup system-deps
	RAREMIX_SKIP_TOOLS=1 $(BIN)/python -m pytest -n 2 -q

test-fast: lint typecheck pytest-fast

bench: setup
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
