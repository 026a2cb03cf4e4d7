"""No hidden count leaves raremix: every file of the report folder, every CLI output (issue 14).

A copy of the SYNTHETIC calciphylaxis example with ``min_cell: 5`` and participant ids that
cannot be mistaken for pseudonyms (``MRN-40xyz``) is rendered as HTML, PDF and Word with
``raremix report``, and every command is run in CSV and JSON. Then every file in the report
folder (HTML with its figures' data, ``pdftotext`` of the PDF, the DOCX XML, CSVs, qmd, any
JSON or text) and every command's standard output and error are read, and the test fails on:

- text that reads like a small count or a percentage that is one
  (:func:`toolkit.privacy.find_small_cells`), or a figure value that is one;
- a table row (CSV or JSON) of a cell hidden in the raw results (known by suppressing the
  raw prevalence table with the same rules) that still shows its count or anything computed
  from it, or any participant count of 1..4;
- a raw participant id, or the study secret.

The same checks, run on outputs made with suppression off, find leaks: the test is not
vacuous.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.io.secret import SECRET_FILE
from toolkit.privacy import find_small_cells, suppress

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "calciphylaxis"
CHROMIUM = Path("/usr/bin/chromium")
MIN_CELL = 5
STRATA = ("disease_status", "sex")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (EXAMPLE / "study.yml").is_file(), reason="example missing"),
]

#: Participant count columns of every output frame (CSV and JSON rows).
COUNT_COLUMNS = (
    "participants",
    "participants_level",
    "participants_reference",
    "participants_both",
    "participants_a",
    "participants_b",
    "units_present",
    "count",
)
#: Columns of a prevalence-like row computed from its count.
DERIVED = ("prevalence", "ci_lower", "ci_upper", "segments")
#: Columns of a difference row computed from its counts (or worded from them).
DIFFERENCE_DERIVED = (
    "participants_level",
    "participants_reference",
    "difference",
    "ci_lower",
    "ci_upper",
    "p_value",
    "p_adjusted",
    "caution",
    "note",
)
#: Text the small-count finder matches but that is no count of participants: section and
#: table numbers, the settings themselves, page footers, dates of the run.
ALLOWED = (
    re.compile(r"raremix \d[\w.+-]*\s+\d+\s*/\s*\d+"),  # PDF page footers "3 / 9"
    # Interval bounds (a hidden cell's interval is blanked with it: the table checks) and
    # thresholds of the settings ("≤5% new information").
    re.compile(r"\d+(?:\.\d+)?%?\s*[–-]\s*\d+(?:\.\d+)?\s*%"),
    re.compile(r"[≤<>≥]\s*\d+(?:\.\d+)?\s*%"),
    # The saturation point is a number of interviews, not of participants in a cell.
    re.compile(r"[Ss]aturation at n = \d+"),
)
#: Outputs for the research team on the raw data, never for publication: the input audit
#: names raw ids and rows (to fix the files), the re-identification check lists the rare
#: combinations and who shares them (docs/privacy.md says so). Checked for the secret only.
RESEARCHER_ONLY = ("validate", "privacy")


# ------------------------------------------------------------------------------------------
# The study, its hidden cells, and every output
# ------------------------------------------------------------------------------------------


def make_study(folder: Path, min_cell: int) -> Path:
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(SECRET_FILE))
    manifest = folder / "study.yml"
    text = manifest.read_text(encoding="utf-8")
    changed = re.sub(r"(?m)^(\s*min_cell:\s*)\d+", rf"\g<1>{min_cell}", text)
    assert changed != text or f"min_cell: {min_cell}" in text
    manifest.write_text(changed, encoding="utf-8")
    for name in ("participants.csv", "codings.csv"):
        frame = pl.read_csv(folder / name, infer_schema_length=0)
        frame = frame.with_columns(pl.col("participant_id").str.replace(r"^P(\d+)$", "MRN-40${1}7"))
        frame.write_csv(folder / name)
    return folder


@dataclass
class Hidden:
    """What the raw results know and the protected outputs may not show."""

    cells: set[tuple[str, str | None, str | None]]  # (code, variable, value) hidden
    overall: set[str]  # codes whose overall count is hidden
    raw_ids: list[str]
    denominators: list[int]
    secret: str
    labels: dict[str, str]  # code -> label, attribute -> display (a matrix may use either)


def hidden_of(study_folder: Path) -> Hidden:
    from toolkit.io.study import load_study
    from toolkit.stats.prevalence import prevalence

    study = load_study(study_folder)
    raw = prevalence(study, by=list(STRATA))
    shown = suppress(raw.drop("suppressed"), min_cell=MIN_CELL)
    rows = shown.filter(pl.col("participants").is_null())
    cells = set(rows.select("code_id", "stratum_variable", "stratum_value").iter_rows())
    overall = {c for c, v, _ in cells if v is None}
    sizes = raw.select("denominator").unique()["denominator"].to_list()
    secret_file = study_folder / SECRET_FILE
    secret = (
        secret_file.read_text(encoding="utf-8").splitlines()[-1] if secret_file.exists() else ""
    )
    labels = dict(study.codebook.select("code_id", "label").iter_rows())
    labels |= {name: spec.display for name, spec in study.attributes.items()}
    return Hidden(
        cells,
        overall,
        study.participants["participant_id"].to_list(),
        sorted(sizes),
        secret,
        labels,
    )


class _Text(HTMLParser):
    """The visible text of an HTML page, and the data of its figures (plotly calls)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.figures: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._in = tag
        for name, value in attrs:
            if name in ("aria-label", "alt", "title") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._in = None
        elif tag in ("td", "th", "p", "li", "div", "tr", "br"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            if "Plotly.newPlot" in data:
                self.figures.append(data)
        elif self._in is None:
            self.parts.append(data)


def read_folder(folder: Path) -> tuple[dict[str, str], dict[str, list[dict[str, Any]]], list[str]]:
    """Every file of a report folder as text, its tables as rows, its figures' data."""
    texts: dict[str, str] = {}
    tables: dict[str, list[dict[str, Any]]] = {}
    figures: list[str] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = str(path.relative_to(folder))
        if hashlib.sha256(path.read_bytes()).hexdigest() in TEMPLATES:
            name = STATIC + name
        suffix = path.suffix.lower()
        if suffix == ".html":
            parser = _Text()
            parser.feed(path.read_text(encoding="utf-8"))
            texts[name] = "".join(parser.parts)
            figures += parser.figures
        elif suffix == ".pdf":
            texts[name] = subprocess.run(
                ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
            ).stdout
        elif suffix == ".docx":
            with zipfile.ZipFile(path) as archive:
                xml = " ".join(
                    archive.read(member).decode("utf-8", "replace")
                    for member in archive.namelist()
                    if member.endswith(".xml")
                )
            # Paragraph and cell ends become line breaks, every other tag nothing.
            xml = re.sub(r"</w:(?:p|tc)>", "\n", xml)
            texts[name] = re.sub(r"<[^>]+>", "", xml)
        elif suffix in (".png", ".jpg", ".jpeg", ".woff", ".woff2", ".ttf", ".otf"):
            continue
        else:
            text = path.read_bytes().decode("utf-8", "replace")
            texts[name] = text
            if suffix == ".csv":
                tables[name] = pl.read_csv(io.StringIO(text), infer_schema_length=None).to_dicts()
            elif suffix == ".json":
                tables[name] = json_rows(text)
    return texts, tables, figures


def json_rows(text: str) -> list[dict[str, Any]]:
    value = json.loads(text)
    if isinstance(value, dict):
        for key in ("rows", "prevalence", "data"):
            if isinstance(value.get(key), list):
                return [r for r in value[key] if isinstance(r, dict)]
        return []
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def run_commands(study: Path, out: Path) -> tuple[dict[str, str], dict[str, list[dict[str, Any]]]]:
    """Every command that reads one study, in CSV and JSON: stdout and stderr."""
    commands: list[list[str]] = [
        ["validate", str(study)],
        ["validate", str(study), "--explain"],
        ["privacy", str(study)],
        ["saturation", str(study)],
        ["agreement", str(study)],
        ["cooccurrence", str(study)],
        ["cooccurrence", str(study), "--level", "segment"],
        ["prevalence", str(study)],
        *(["prevalence", str(study), "--by", s] for s in STRATA),
        ["prevalence", str(study), "--by", STRATA[0], "--by", STRATA[1]],
        *(["differences", str(study), "--by", s] for s in STRATA),
        *(
            [
                "compare",
                str(study),
                str(REPO / "examples" / "erythromelalgia"),
                "--crosswalk",
                str(REPO / "examples" / "crosswalk.csv"),
                "--show",
                view,
            ]
            for view in ("prevalence", "differences", "not-compared", "notes")
        ),
    ]
    texts: dict[str, str] = {}
    tables: dict[str, list[dict[str, Any]]] = {}
    runner = CliRunner()
    for command in commands:
        for fmt in ("csv", "json"):
            args = [*command, "--format", fmt] if command[0] not in ("validate",) else command
            result = runner.invoke(main, args)
            name = " ".join([command[0], *command[2:], fmt])
            assert result.exit_code == 0, (name, result.output, result.exception)
            texts[name] = result.stdout + "\n" + result.stderr
            if command[0] != "validate":
                tables[name] = (
                    pl.read_csv(io.StringIO(result.stdout), infer_schema_length=None).to_dicts()
                    if fmt == "csv"
                    else json_rows(result.stdout)
                )
            if command[0] == "validate":
                break
    for counts in ([], ["--counts"]):
        target = out.parent / f"matrix{'-counts' if counts else ''}.csv"
        result = runner.invoke(main, ["matrix", str(study), *counts, "-o", str(target)])
        assert result.exit_code == 0, (result.output, result.exception)
        name = f"matrix {' '.join(counts)} csv"
        texts[name] = target.read_text(encoding="utf-8") + result.stdout + result.stderr
        tables[name] = pl.read_csv(target, infer_schema_length=None).to_dicts()
    report = runner.invoke(
        main,
        ["report", str(study), "--format", "html,pdf,docx", "--engine", "pandoc", "-o", str(out)],
    )
    assert report.exit_code == 0, (report.output, report.exception)
    texts["report command"] = report.stdout + "\n" + report.stderr
    return texts, tables


# ------------------------------------------------------------------------------------------
# The checks
# ------------------------------------------------------------------------------------------


def _researcher_only(name: str) -> bool:
    return name.split(" ", 1)[0] in RESEARCHER_ONLY


def _template_digests() -> set[str]:
    return {
        hashlib.sha256(path.read_bytes()).hexdigest()
        for path in (REPO / "templates").rglob("*")
        if path.is_file()
    }


TEMPLATES = _template_digests()


def _static(name: str) -> bool:
    """A support file copied byte for byte from templates/ (no data in it)."""
    return name.startswith(STATIC)


#: Name prefix of the report folder's files identical to a file of templates/.
STATIC = "static copy of templates/: "


def text_leaks(texts: dict[str, str], hidden: Hidden) -> list[str]:
    found = []
    for name, text in texts.items():
        if _researcher_only(name) or _static(name):
            continue
        for pattern in ALLOWED:
            text = pattern.sub(" ", text)
        hits = find_small_cells(text, min_cell=MIN_CELL, denominators=hidden.denominators)
        found += [f"{name}: …{hit}…" for hit in hits]
    return found


def _numbers(value: Any) -> Iterable[float]:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield float(value)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)


def figure_leaks(figures: list[str], hidden: Hidden) -> list[str]:
    """Values in the figures' data equal to x/n for a small x (and no large one), small
    counts in heatmaps, small fractions in hover text."""
    found = []
    small = {round(x / n, 6) for n in hidden.denominators for x in range(1, MIN_CELL) if x <= n}
    large = {round(x / n, 6) for n in hidden.denominators for x in range(MIN_CELL, n + 1)}
    for script in figures:
        match = re.search(r"Plotly\.newPlot\(\s*\"[^\"]*\",\s*(\[.*?\])\s*,\s*\{", script, re.S)
        if match is None:
            continue
        for trace in json.loads(match.group(1)):
            for key in ("x", "y"):
                for value in _numbers(trace.get(key)):
                    if round(value, 6) in small - large:
                        found.append(f"figure {trace.get('name')!r} {key} = {value}")
            if trace.get("type") == "heatmap":
                for value in _numbers(trace.get("z")):
                    if value == int(value) and 1 <= value < MIN_CELL:
                        found.append(f"heatmap count {value}")
            for key in ("text", "hovertext", "customdata"):
                words = json.dumps(trace.get(key, ""))
                hits = find_small_cells(words, min_cell=MIN_CELL, denominators=hidden.denominators)
                found += [f"figure {key}: {h}" for h in hits]
    return found


def table_leaks(tables: dict[str, list[dict[str, Any]]], hidden: Hidden) -> list[str]:
    found = []
    for name, rows in tables.items():
        if _researcher_only(name):
            continue
        for row in rows:
            for column in COUNT_COLUMNS:
                value = row.get(column)
                if isinstance(value, int | float) and 1 <= value < MIN_CELL:
                    found.append(f"{name}: {column} = {value} in {row}")
            code = row.get("code_id")
            variable = row.get("stratum_variable")
            cell = (code, variable, row.get("stratum_value"))
            if code is not None and "stratum_value" in row and cell in hidden.cells:
                shown = [c for c in ("participants", *DERIVED) if row.get(c) is not None]
                if shown:
                    found.append(f"{name}: hidden cell {code}/{variable} shows {shown}")
            if code is not None and "level" in row and "reference" in row:
                groups = {(code, variable, row["level"]), (code, variable, row["reference"])}
                if groups & hidden.cells:
                    shown = [c for c in DIFFERENCE_DERIVED if row.get(c) not in (None, "")]
                    if shown:
                        found.append(f"{name}: difference of a hidden cell {code} shows {shown}")
            if code in hidden.overall and row.get("units_present") is not None:
                found.append(f"{name}: agreement of hidden {code} shows units_present")
            pair = {row.get("code_a"), row.get("code_b")}
            if pair & hidden.overall:
                shown = [
                    c
                    for c in ("participants_both", "participants_a", "participants_b", "jaccard")
                    if row.get(c) is not None
                ]
                if shown:
                    found.append(f"{name}: co-occurrence of a hidden theme {pair} shows {shown}")
    return found


def matrix_leaks(tables: dict[str, list[dict[str, Any]]], hidden: Hidden) -> list[str]:
    """A codes-by-cases matrix (one row per pseudonym): counting its rows gives a cell, so a
    hidden cell's node (with its stratum's attribute, for a stratum cell) may not be there."""
    found = []
    for name, rows in tables.items():
        if not rows or "pseudonym" not in rows[0]:
            continue
        columns = set(rows[0])

        def column(key: str, columns: set[str] = columns) -> str | None:
            for candidate in (key, hidden.labels.get(key)):
                if candidate in columns:
                    return candidate
            return None

        for code, variable, value in hidden.cells:
            node = column(code)
            if node is None:
                continue
            if variable is None:
                found.append(f"{name}: node {code} (overall count hidden) is a column")
                continue
            by = column(variable)
            if by is not None and any(r.get(by) == value and r.get(node) is not None for r in rows):
                found.append(f"{name}: {code} by {variable} = {value} can be counted")
    return found


def identity_leaks(texts: dict[str, str], hidden: Hidden) -> list[str]:
    found = []
    for name, text in texts.items():
        if not _researcher_only(name):
            found += [f"{name}: raw id {i}" for i in hidden.raw_ids if i in text]
        if hidden.secret and hidden.secret in text:
            found.append(f"{name}: the study secret")
    return found


@dataclass
class Outputs:
    hidden: Hidden
    texts: dict[str, str]
    tables: dict[str, list[dict[str, Any]]]
    figures: list[str]
    folder: Path


def everything(root: Path, min_cell: int) -> Outputs:
    study = make_study(root / "study", min_cell)
    out = root / "report"
    texts, tables = run_commands(study, out)
    files, file_tables, figures = read_folder(out)
    hidden = hidden_of(study)
    return Outputs(hidden, {**texts, **files}, {**tables, **file_tables}, figures, out)


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    if not CHROMIUM.is_file():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return everything(tmp_path_factory.mktemp("min-cell-5"), MIN_CELL)


# ------------------------------------------------------------------------------------------
# The tests
# ------------------------------------------------------------------------------------------


def test_every_file_and_command_was_read(protected: Outputs) -> None:
    names = set(protected.texts)
    for expected in ("report.html", "report.pdf", "report.docx", "report.qmd", "prevalence.csv"):
        assert expected in names, expected
    assert sum(n.endswith(" json") for n in names) >= 10
    assert len(protected.figures) >= 3
    assert len(protected.hidden.cells) > 20 and protected.hidden.overall  # something to hide
    assert "suppressed" in protected.texts["report.html"]
    assert not (protected.folder / SECRET_FILE).exists()


def test_no_text_reads_as_a_small_count(protected: Outputs) -> None:
    leaks = text_leaks(protected.texts, protected.hidden)
    assert not leaks, "\n".join(leaks[:20])


def test_no_figure_value_is_a_small_count(protected: Outputs) -> None:
    leaks = figure_leaks(protected.figures, protected.hidden)
    assert not leaks, "\n".join(leaks[:20])


def test_no_table_row_shows_a_hidden_cell(protected: Outputs) -> None:
    leaks = table_leaks(protected.tables, protected.hidden)
    assert not leaks, "\n".join(leaks[:20])


def test_no_matrix_lets_a_hidden_cell_be_counted(protected: Outputs) -> None:
    assert any(n.startswith("matrix") for n in protected.tables)
    leaks = matrix_leaks(protected.tables, protected.hidden)
    assert not leaks, "\n".join(leaks[:20])


def test_no_raw_id_and_no_secret_anywhere(protected: Outputs) -> None:
    assert protected.hidden.secret  # the study secret was created
    leaks = identity_leaks(protected.texts, protected.hidden)
    assert not leaks, "\n".join(leaks[:20])


def test_the_checks_find_leaks_when_suppression_is_off(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The same study and commands with min_cell 0: every check finds something."""
    if not CHROMIUM.is_file():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    unprotected = everything(tmp_path_factory.mktemp("min-cell-0"), 0)
    hidden = unprotected.hidden  # the cells a min_cell of 5 would hide
    texts = text_leaks(unprotected.texts, hidden)
    rows = table_leaks(unprotected.tables, hidden) + matrix_leaks(unprotected.tables, hidden)
    figures = figure_leaks(unprotected.figures, hidden)
    assert len(texts) > 20 and len(rows) > 20 and figures
    # In every kind of output: the documents, the report folder's CSVs and the commands.
    for where in ("report.html", "report.pdf", "report.docx", "report.qmd"):
        assert any(t.startswith(where + ":") for t in texts), where
    for where in ("prevalence.csv", "agreement.csv", "differences.csv", "cooccurrence.csv"):
        assert any(r.startswith(where + ":") for r in rows), where
    for where in ("prevalence", "differences", "agreement", "cooccurrence", "matrix"):
        assert any(r.startswith(where + " ") for r in rows), where
    warning = unprotected.texts["report command"]
    assert "Warning: analysis.min_cell is 0" not in warning  # synthetic: switched off on purpose
