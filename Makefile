# raremix: set-up, demo, tests and benchmarks. Every target installs what it needs itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.raremix-installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

.PHONY: help setup system-deps demo test lint typecheck pytest docs bench clean

help:
	@echo "make demo   - set up, then render the bundled synthetic example studies"
	@echo "make test   - set up, then run ruff, mypy and pytest (with hypothesis)"
	@echo "make bench  - set up, then run the benchmarks (results in bench/results/)"
	@echo "make docs   - regenerate docs/cli.md from every command's --help"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[report,dev,bench]'
	touch $(STAMP)

setup: $(STAMP)

# Debian's Chromium draws static figures (kaleido) for PDF/DOCX and runs the browser tests;
# poppler-utils reads PDFs back in the tests.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then \
		echo "Installing Debian packages: chromium poppler-utils"; \
		$(APT) update -qq && $(APT) install -y -qq chromium poppler-utils >/dev/null; \
	fi

demo: setup system-deps
	$(BIN)/raremix demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cog --check docs/cli.md

# docs/cli.md: every command's --help, regenerated (lint fails when it is out of date).
docs: setup
	$(BIN)/cog -r docs/cli.md

typecheck: setup
	$(BIN)/mypy

pytest: setup system-deps
	$(BIN)/python -m pytest -n 2 -q

test: lint typecheck pytest

bench: setup
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
