"""Hostile and odd inputs of issue 14, each built by a generator here (no binaries committed).

``CASES`` is the list :mod:`test_adversarial` runs through the command line. Each case writes
its inputs into an empty folder and says the command to run, and either the ``Error:`` it
must end with (exit 1) or that it must succeed (with a check of the result). The test then
asserts: no traceback, nothing left behind, nothing outside the output path touched.

Run ``python tests/adversarial/generate.py DIR`` to write every case's inputs into DIR and
look at them.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
EXAMPLE = REPO / "examples" / "calciphylaxis"


@dataclass
class Run:
    """What to run and what must come of it.

    ``args`` are raremix's arguments. ``error`` is a regular expression every run's
    ``Error:`` lines must match (exit 1), or None for a run that must succeed. ``output`` is
    the one path the command may write (None: nothing at all). ``drain`` names a FIFO the test
    reads while the command writes into it. ``check`` looks at a successful result.
    """

    args: list[str]
    error: str | None
    output: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    drain: Path | None = None
    warning: str | None = None
    gone: tuple[Path, ...] = ()
    check: Callable[[], None] | None = None


@dataclass(frozen=True)
class Case:
    name: str
    item: str  # issue 14's item number
    what: str
    build: Callable[[Path], Run]


# --- helpers --------------------------------------------------------------------------------


def study(folder: Path, name: str = "s") -> Path:
    """A copy of the small SYNTHETIC example study."""
    target = folder / name
    shutil.copytree(EXAMPLE, target)
    return target


def edit_manifest(root: Path, change: Callable[[dict], None]) -> None:
    path = root / "study.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def set_input(root: Path, role: str, value: str) -> None:
    edit_manifest(root, lambda data: data["inputs"].__setitem__(role, value))


QUALCODER_SCHEMA = """
CREATE TABLE source (id integer primary key, name text, fulltext text, mediapath text);
CREATE TABLE code_cat (catid integer primary key, name text, supercatid integer, memo text);
CREATE TABLE code_name (cid integer primary key, name text, catid integer, memo text, color text);
CREATE TABLE code_text (ctid integer primary key, cid integer, fid integer, seltext text,
                        pos0, pos1, owner text);
"""


def qualcoder(folder: Path, script: str) -> Path:
    """A QualCoder project folder NAME.qda holding data.qda: the schema plus ``script``."""
    project = folder / "hostile.qda"
    project.mkdir()
    connection = sqlite3.connect(project / "data.qda")
    connection.executescript(QUALCODER_SCHEMA + script)
    connection.commit()
    connection.close()
    return project


ONE_SOURCE = """
INSERT INTO source VALUES (1, 'P01', 'pain at night and tired all day', NULL);
INSERT INTO source VALUES (2, 'P02', 'no pain here, only fatigue', NULL);
INSERT INTO code_name VALUES (1, 'Pain', NULL, NULL, NULL);
INSERT INTO code_text VALUES (1, 1, 1, 'pain at night', 0, 13, 'ana');
INSERT INTO code_text VALUES (2, 1, 2, 'pain', 3, 7, 'ana');
"""


def taguette(folder: Path, script: str = "") -> Path:
    """A Taguette project database with one project, two documents, one tag."""
    path = folder / "project.sqlite3"
    connection = sqlite3.connect(path)
    connection.executescript(
        """
        CREATE TABLE projects (id integer primary key, name text);
        CREATE TABLE documents (id integer primary key, name text, project_id integer);
        CREATE TABLE tags (id integer primary key, path text, description text,
                           project_id integer);
        CREATE TABLE highlights (id integer primary key, document_id integer,
                                 start_offset, end_offset, snippet text);
        CREATE TABLE highlight_tags (highlight_id integer, tag_id integer);
        INSERT INTO projects VALUES (1, 'hostile');
        INSERT INTO documents VALUES (1, 'P01', 1), (2, 'P02', 1);
        INSERT INTO tags VALUES (1, 'pain', NULL, 1);
        INSERT INTO highlights VALUES (1, 1, 0, 4, 'pain'), (2, 2, 3, 7, 'pain');
        INSERT INTO highlight_tags VALUES (1, 1), (2, 1);
        """
        + script
    )
    connection.commit()
    connection.close()
    return path


def refi_qde(codes: str, *, sources: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="hostile">'
        f"<CodeBook><Codes>{codes}</Codes></CodeBook>"
        f"<Sources>{sources}</Sources></Project>"
    )


def text_source(guid: str, name: str, member: str, selections: str = "") -> str:
    return (
        f'<TextSource guid="{guid}" name="{name}" plainTextPath="internal://{member}">'
        f"{selections}</TextSource>"
    )


def selection(guid: str, start: object, end: object, code: str) -> str:
    return (
        f'<PlainTextSelection guid="{guid}" startPosition="{start}" endPosition="{end}">'
        f'<Coding guid="{guid}-c"><CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
    )


def crafted_qde(path: Path, size: int) -> None:
    """A well-formed project.qde of about ``size`` bytes, nearly all of it notes (which no
    reader keeps): parsing it must take memory for its one code, not for its size."""
    note = '<Note guid="{:032x}" name="note"><PlainTextContent>{}</PlainTextContent></Note>\n'
    with path.open("w", encoding="utf-8") as handle:
        handle.write(
            '<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0">'
            '<CodeBook><Codes><Code guid="c1" name="Pain" isCodable="true"/></Codes></CodeBook>'
            "<Notes>\n"
        )
        written, i = 0, 0
        while written < size:
            line = note.format(i, "x" * 60)
            handle.write(line)
            written += len(line)
            i += 1
        handle.write("</Notes></Project>\n")


def failing_browser(folder: Path, body: str) -> Path:
    """An executable that stands in for Chromium and fails the way ``body`` says."""
    path = folder / "chromium"
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


# --- the cases ------------------------------------------------------------------------------


def report_into_study(folder: Path) -> Run:
    root = study(folder)
    return Run(["report", str(root), "--format", "html", "-o", str(root)], r"holds the input")


def report_into_parent(folder: Path) -> Run:
    root = study(folder)
    return Run(["report", str(root), "--format", "html", "-o", str(folder)], r"holds the input")


def report_into_foreign_folder(folder: Path) -> Run:
    root = study(folder)
    out = folder / "mine"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"two years of work")
    return Run(
        ["report", str(root), "--format", "html", "-o", str(out)],
        r"mine holds 'thesis.docx'.*raremix did not write",
        output=out,
    )


def import_force_over_foreign(folder: Path) -> Run:
    project = qualcoder(folder, ONE_SOURCE)
    out = folder / "study"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    return Run(
        ["import", str(project), "-o", str(out), "--force"],
        r"holds 'notes.txt'",
        output=out,
    )


def import_into_its_input(folder: Path) -> Run:
    project = qualcoder(folder, ONE_SOURCE)
    return Run(["import", str(project), "-o", str(folder), "--force"], r"holds the input")


def stale_staging_removed(folder: Path) -> Run:
    project = qualcoder(folder, ONE_SOURCE)
    out = folder / "study"
    # What a run killed with SIGKILL leaves: a staging folder named for `study`, whose
    # process is gone. A look-alike that is not raremix's own must stay.
    dead = os.fork()
    if dead == 0:  # pragma: no cover - the child exits at once
        os._exit(0)
    os.waitpid(dead, 0)
    from toolkit.folders import temporary_name

    stale = folder / f"{temporary_name(out, pid=dead)}abc123.tmp"
    stale.mkdir()
    (stale / ".raremix-staging").write_text(str(dead), encoding="utf-8")
    (stale / "codings.csv").write_text("half written", encoding="utf-8")
    foreign = folder / ".study.someone-else.tmp"
    foreign.mkdir()
    return Run(["import", str(project), "-o", str(out)], None, output=out, gone=(stale,))


def output_dev_null(folder: Path) -> Run:
    """Item 2: -o onto a character device writes into it. As root (who could rename over
    the real /dev/null) the device is a private null device made here, so that a regression
    breaks this test, not the machine; otherwise the real /dev/null, which a user cannot
    replace."""
    import stat

    root = study(folder)
    device = Path("/dev/null")
    if os.geteuid() == 0:
        device = folder / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))

    def check() -> None:
        assert stat.S_ISCHR(device.stat().st_mode), f"{device} was replaced by a file"

    return Run(["prevalence", str(root), "--format", "csv", "-o", str(device)], None, check=check)


def output_fifo(folder: Path) -> Run:
    root = study(folder)
    fifo = folder / "out.csv"
    os.mkfifo(fifo)

    def check() -> None:
        import stat

        assert stat.S_ISFIFO(fifo.stat().st_mode), "the FIFO was replaced by a file"

    return Run(
        ["prevalence", str(root), "--format", "csv", "-o", str(fifo)],
        None,
        drain=fifo,
        check=check,
    )


def output_unwritable(folder: Path) -> Run:
    root = study(folder)
    if os.geteuid() == 0:  # root writes anywhere a mode allows: /proc refuses new files
        target = Path("/proc/self/raremix-test.csv")
    else:
        locked = folder / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        target = locked / "out.csv"
    return Run(["prevalence", str(root), "-o", str(target)], r"cannot write")


def input_dev_zero(folder: Path) -> Run:
    root = study(folder)
    set_input(root, "participants", "/dev/zero")
    return Run(["validate", str(root)], r"participants names '/dev/zero', which is a device")


def input_fifo(folder: Path) -> Run:
    root = study(folder)
    os.mkfifo(root / "codings.fifo.csv")
    set_input(root, "codings", "codings.fifo.csv")
    return Run(["validate", str(root)], r"named pipe \(FIFO\)")


def import_device(folder: Path) -> Run:
    return Run(["import", "/dev/zero", "-o", str(folder / "out")], r"/dev/zero: is a device")


def input_outside_study(folder: Path) -> Run:
    root = study(folder)
    shutil.move(root / "codebook.csv", folder / "shared-codebook.csv")
    set_input(root, "codebook", "../shared-codebook.csv")
    return Run(
        ["validate", str(root)],
        None,
        warning=r"inputs\.codebook names '\.\./shared-codebook\.csv', outside the study folder",
    )


def report_lists_outside_input(folder: Path) -> Run:
    """Item 16: the report's provenance names the input outside the study folder."""
    root = study(folder)
    shutil.move(root / "codebook.csv", folder / "shared-codebook.csv")
    set_input(root, "codebook", "../shared-codebook.csv")
    out = folder / "report"

    def check() -> None:
        text = (out / "report.qmd").read_text(encoding="utf-8")
        assert "codebook: ../shared-codebook.csv (outside the study folder)" in text

    return Run(
        ["report", str(root), "--format", "html", "-o", str(out)], None, output=out, check=check
    )


def sqlite_table_names(folder: Path) -> Run:
    project = qualcoder(
        folder,
        ONE_SOURCE
        + """CREATE TABLE "x"" ; DROP TABLE source; --" (a text);
             CREATE TABLE "robert'); DROP TABLE code_name;--" ("co""l" text);""",
    )
    out = folder / "study"

    def check() -> None:
        assert (out / "codings.csv").read_text(encoding="utf-8").count("code:1") == 2

    return Run(["import", str(project), "-o", str(out)], None, output=out, check=check)


def position_as_text(folder: Path) -> Run:
    project = qualcoder(folder, ONE_SOURCE + "UPDATE code_text SET pos0 = 'twelve' WHERE ctid = 2;")
    return Run(
        ["import", str(project), "-o", str(folder / "out")],
        r"code_text ctid 2: pos0: 'twelve' is not a position",
    )


def position_as_blob(folder: Path) -> Run:
    project = qualcoder(folder, ONE_SOURCE + "UPDATE code_text SET pos1 = x'00ff' WHERE ctid = 1;")
    return Run(["import", str(project), "-o", str(folder / "out")], r"pos1: a BLOB of 2 bytes")


def position_beyond_int64(folder: Path) -> Run:
    project = qualcoder(
        folder, ONE_SOURCE + "UPDATE code_text SET pos1 = '99999999999999999999' WHERE ctid = 1;"
    )
    return Run(["import", str(project), "-o", str(folder / "out")], r"pos1: '99999999999999999999'")


def taguette_position_as_text(folder: Path) -> Run:
    db = taguette(folder, "UPDATE highlights SET end_offset = 'x7' WHERE id = 2;")
    return Run(
        ["import", str(db), "-o", str(folder / "out")],
        r"highlight 2: end_offset: 'x7' is not a position",
    )


def taguette_null_names(folder: Path) -> Run:
    db = taguette(folder, "UPDATE documents SET name = NULL WHERE id = 2;")
    out = folder / "study"

    def check() -> None:
        people = (out / "participants.csv").read_text(encoding="utf-8")
        assert "None" not in people and "document 2" in people, people

    return Run(["import", str(db), "-o", str(out)], None, output=out, check=check)


def qualcoder_null_names(folder: Path) -> Run:
    project = qualcoder(
        folder,
        ONE_SOURCE
        + "INSERT INTO code_name VALUES (2, NULL, NULL, NULL, NULL);"
        + "INSERT INTO code_text VALUES (3, 2, 1, 'tired', 18, 23, NULL);",
    )
    out = folder / "study"

    def check() -> None:
        codebook = (out / "codebook.csv").read_text(encoding="utf-8")
        assert "None" not in codebook and "code 2" in codebook, codebook

    return Run(
        ["import", str(project), "-o", str(out)],
        None,
        output=out,
        warning="code 2 has no name",
        check=check,
    )


def qualcoder_deep_categories(folder: Path) -> Run:
    levels = 3000
    rows = ",".join(
        f"({i}, 'level {i}', {i - 1 if i > 1 else 'NULL'}, NULL)" for i in range(1, levels + 1)
    )
    project = qualcoder(
        folder,
        ONE_SOURCE.replace("(1, 'Pain', NULL,", f"(1, 'Pain', {levels},")
        + f"INSERT INTO code_cat VALUES {rows};",
    )
    out = folder / "study"

    def check() -> None:
        assert (out / "codebook.csv").read_text(encoding="utf-8").count("\n") == levels + 2

    return Run(["import", str(project), "-o", str(out)], None, output=out, check=check)


def refi_deep_codes(folder: Path) -> Run:
    levels = 1500
    codes = (
        "".join(f'<Code guid="g{i}" name="level {i}" isCodable="true">' for i in range(levels))
        + "</Code>" * levels
    )
    qde = folder / "deep.qde"
    qde.write_text(refi_qde(codes), encoding="utf-8")
    out = folder / "study"

    def check() -> None:
        assert (out / "codebook.csv").read_text(encoding="utf-8").count("\n") == levels + 1

    return Run(["import", str(qde), "-o", str(out)], None, output=out, check=check)


def refi_symlink_out_of_project(folder: Path) -> Run:
    project = folder / "project"
    (project / "sources").mkdir(parents=True)
    secret = folder / "secret.txt"
    secret.write_text("root:x:0:0:the secret\n", encoding="utf-8")
    (project / "sources" / "interview.txt").symlink_to(secret)
    qde = project / "project.qde"
    qde.write_text(
        refi_qde(
            '<Code guid="c1" name="Pain" isCodable="true"/>',
            sources=text_source("s1", "P01", "interview.txt", selection("x1", 0, 4, "c1")),
        ),
        encoding="utf-8",
    )
    return Run(
        ["import", str(qde), "-o", str(folder / "out")],
        r"'sources/interview\.txt' is a link to a file outside the project folder",
    )


def refi_huge_source_text(folder: Path) -> Run:
    """Item 12: a source text larger than any transcript is refused before it is read (a
    sparse file: 65 MiB on paper, nothing on disk)."""
    project = folder / "project"
    (project / "sources").mkdir(parents=True)
    with (project / "sources" / "interview.txt").open("wb") as handle:
        handle.truncate(65 * 1024 * 1024)
    qde = project / "project.qde"
    qde.write_text(
        refi_qde(
            '<Code guid="c1" name="Pain" isCodable="true"/>',
            sources=text_source("s1", "P01", "interview.txt", selection("x1", 0, 4, "c1")),
        ),
        encoding="utf-8",
    )
    return Run(
        ["import", str(qde), "-o", str(folder / "out")],
        r"source text 'sources/interview\.txt' is 68,157,440 bytes",
    )


def refi_position_beyond_int64(folder: Path) -> Run:
    qde = folder / "big-position.qdpx"
    with zipfile.ZipFile(qde, "w") as archive:
        archive.writestr(
            "project.qde",
            refi_qde(
                '<Code guid="c1" name="Pain" isCodable="true"/>',
                sources=text_source("s1", "P01", "s1.txt", selection("x1", 0, 2**70, "c1")),
            ),
        )
        archive.writestr("sources/s1.txt", "pain at night")
    return Run(
        ["import", str(qde), "-o", str(folder / "out")],
        r"endPosition of selection x1.*not a position",
    )


def browser_exits(folder: Path) -> Run:
    root = study(folder)
    browser = failing_browser(folder, "exit 1")
    out = folder / "report"
    return Run(
        ["report", str(root), "--format", "pdf", "-o", str(out)],
        r"BROWSER_PATH=.*chromium failed to start",
        env={"BROWSER_PATH": str(browser), "RAREMIX_BROWSER_TIMEOUT": "20"},
    )


def browser_hangs(folder: Path) -> Run:
    root = study(folder)
    pid_file = folder.parent / "browser.pid"  # outside the watched folder
    browser = failing_browser(folder, f"echo $$ > {pid_file}\nexec sleep 600")

    def check() -> None:  # runs after the expected failure too
        if pid_file.is_file():
            pid = int(pid_file.read_text())
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                pid_file.unlink()
                return
            raise AssertionError(f"the hanging browser (pid {pid}) was left running")

    return Run(
        ["report", str(root), "--format", "pdf", "-o", str(folder / "report")],
        r"did not start within 1 s",
        env={"BROWSER_PATH": str(browser), "RAREMIX_BROWSER_TIMEOUT": "1"},
        check=check,
    )


HOSTILE_LABELS = {
    "pain": '=HYPERLINK("http://evil.example","Pain")',
    "severe_pain": "+1+1",
    "wounds": "-2+3",
    "wound_care": "@SUM(1,1)",
    "biological": "=1+2",  # (a leading tab or CR is stripped when the codebook is read)
}


def formula_injection(folder: Path) -> Run:
    """Item 11: labels a spreadsheet would run: neutralised in CSV, exact in JSON."""
    import csv
    import io
    import json

    root = study(folder)
    path = root / "codebook.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    for row in rows:
        row["label"] = HOSTILE_LABELS.get(row["code_id"], row["label"])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    out = folder / "results"
    out.mkdir()
    json_out = folder / "json-results"
    json_out.mkdir()

    def check() -> None:
        table = {
            r["code_id"]: r["label"]
            for r in csv.DictReader(io.StringIO((out / "prevalence.csv").read_text("utf-8")))
        }
        for code, label in HOSTILE_LABELS.items():
            assert table[code] == "'" + label, (code, table[code])
        assert table["severe_pain"] != "+1+1"
        # A second run writes JSON: exact values.
        done = CliRunnerLike.invoke(
            ["prevalence", str(root), "--format", "json", "-o", str(json_out / "p.json")]
        )
        assert done == 0
        rows = json.loads((json_out / "p.json").read_text("utf-8"))["rows"]
        exact = {r["code_id"]: r["label"] for r in rows}
        for code, label in HOSTILE_LABELS.items():
            assert exact[code] == label

    return Run(
        ["prevalence", str(root), "--format", "csv", "-o", str(out / "prevalence.csv")],
        None,
        output=folder,  # writes into results/ and json-results/ only (checked above)
        check=check,
    )


class CliRunnerLike:
    """Run raremix in-process for a case's own follow-up command; returns the exit code."""

    @staticmethod
    def invoke(args: list[str]) -> int:
        from click.testing import CliRunner

        from toolkit.cli import main

        return CliRunner().invoke(main, args).exit_code


def _replace_in(path: Path, old: str, new: str, count: int = -1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def ids_nfc_nfd(folder: Path) -> Run:
    """Item 15: "José" typed NFC in participants.csv and NFD in codings.csv is one person."""
    root = study(folder)
    nfc, nfd = "Jos\u00e9", "Jose\u0301"
    _replace_in(root / "participants.csv", "P01,", f"{nfc},")
    _replace_in(root / "codings.csv", "P01,", f"{nfd},")
    out = folder / "results"
    out.mkdir()

    def check() -> None:
        import csv
        import io

        rows = list(csv.DictReader(io.StringIO((out / "p.csv").read_text("utf-8"))))
        top = next(r for r in rows if r["code_id"] == "biological")
        assert top["denominator"] == "15" and top["participants"] == "14", top

    return Run(
        ["prevalence", str(root), "--format", "csv", "-o", str(out / "p.csv")],
        None,
        output=out,
        check=check,
    )


def ids_invisible(folder: Path) -> Run:
    """Item 15: a zero-width space inside an id is shown by name, not merged or split."""
    root = study(folder)
    _replace_in(root / "codings.csv", "\nP02,", "\nP\u200b02,", count=1)
    return Run(
        ["validate", str(root)],
        r"codings\.csv:\d+: column 'participant_id': 'P<U\+200B ZERO WIDTH SPACE>02' holds an "
        "invisible character",
    )


def excel_error_cells(folder: Path) -> Run:
    """Item 15: #DIV/0! and #N/A in an attribute are errors, not silently "missing"."""
    import csv
    import io

    import openpyxl

    root = study(folder)
    rows = list(csv.reader(io.StringIO((root / "participants.csv").read_text("utf-8"))))
    book = openpyxl.Workbook()
    sheet = book.active
    for number, row in enumerate(rows):
        if number == 2:
            row[1] = "#DIV/0!"  # age: openpyxl stores an error code as an error cell
        if number == 3:
            row[2] = "#N/A"
        sheet.append([int(v) if v.isdigit() else v for v in row])
    book.save(root / "participants.xlsx")
    (root / "participants.csv").unlink()
    set_input(root, "participants", "participants.xlsx")
    return Run(
        ["validate", str(root)],
        r"participants\.xlsx:3: column 'age': cell B3 holds the spreadsheet error #DIV/0!",
    )


def saturation_raw_ids(folder: Path) -> Run:
    """Item 7 (landed by the privacy review): saturation shows pseudonyms, never the files'
    ids, unless --raw-ids asks for them."""
    root = study(folder)
    for name in ("participants.csv", "codings.csv"):
        path = root / name
        text = path.read_text(encoding="utf-8")
        for number in range(15, 0, -1):
            text = text.replace(f"P{number:02d},", f"MRN-{48200 + number},")
        path.write_text(text, encoding="utf-8")
    out = folder / "results"
    out.mkdir()

    def check() -> None:
        text = (out / "saturation.csv").read_text(encoding="utf-8")
        assert "MRN-" not in text and ",P01," in text.replace("\n", ",")

    return Run(
        ["saturation", str(root), "--format", "csv", "-o", str(out / "saturation.csv")],
        None,
        output=out,
        check=check,
    )


CASES: list[Case] = [
    Case("report-into-study", "1", "report -o the study folder itself", report_into_study),
    Case("report-into-parent", "1", "report -o the folder holding the study", report_into_parent),
    Case("report-into-foreign", "1", "report -o a folder of the user's files", report_into_foreign_folder),
    Case("import-force-foreign", "1", "import --force onto a folder of the user's", import_force_over_foreign),
    Case("import-into-input", "1", "import -o the folder holding the project", import_into_its_input),
    Case("stale-staging", "3", "a killed run's staging folder is removed, nothing else", stale_staging_removed),
    Case("output-dev-null", "2", "-o /dev/null writes into it, never renames over it", output_dev_null),
    Case("output-fifo", "2", "-o a FIFO writes into it", output_fifo),
    Case("output-unwritable", "13", "-o into a folder that cannot be written", output_unwritable),
    Case("input-dev-zero", "10", "participants: /dev/zero", input_dev_zero),
    Case("input-fifo", "10", "codings: a FIFO", input_fifo),
    Case("import-device", "10", "raremix import /dev/zero", import_device),
    Case("input-outside", "16", "an input outside the study folder: read, and warned about", input_outside_study),
    Case("report-outside-input", "16", "the provenance lists an outside input", report_lists_outside_input),
    Case("sqlite-table-names", "13", 'tables named with " and SQL', sqlite_table_names),
    Case("position-text", "13", "a position stored as text", position_as_text),
    Case("position-blob", "13", "a position stored as a BLOB", position_as_blob),
    Case("position-int64", "13", "a position beyond int64", position_beyond_int64),
    Case("taguette-position-text", "13", "a Taguette offset stored as text", taguette_position_as_text),
    Case("taguette-null-names", "15", "a Taguette document with a NULL name", taguette_null_names),
    Case("qualcoder-null-names", "15", "NULL code name and coder", qualcoder_null_names),
    Case("qualcoder-deep", "13", "3000 levels of categories", qualcoder_deep_categories),
    Case("refi-deep", "13", "1500 levels of REFI Codes", refi_deep_codes),
    Case("refi-symlink", "14", "a link in sources/ to a file outside the project", refi_symlink_out_of_project),
    Case("refi-huge-source", "12", "a 65 MiB source text", refi_huge_source_text),
    Case("refi-position-int64", "13", "a REFI position beyond int64", refi_position_beyond_int64),
    Case("formula-injection", "11", "labels starting with = + - @ tab", formula_injection),
    Case("ids-nfc-nfd", "15", "one id typed NFC and NFD", ids_nfc_nfd),
    Case("ids-invisible", "15", "a zero-width space inside an id", ids_invisible),
    Case("excel-error-cells", "15", "#DIV/0! and #N/A in attributes", excel_error_cells),
    Case("saturation-raw-ids", "7", "raw ids never in saturation's output", saturation_raw_ids),
    Case("browser-exits", "9", "Chromium exits at once", browser_exits),
    Case("browser-hangs", "9", "Chromium never answers", browser_hangs),
]  # fmt: skip


if __name__ == "__main__":  # pragma: no cover - for looking at the inputs
    base = Path(sys.argv[1] if len(sys.argv) > 1 else "adversarial-cases")
    for case in CASES:
        target = base / case.name
        target.mkdir(parents=True, exist_ok=True)
        run = case.build(target)
        print(f"{case.name}: raremix {' '.join(run.args)}")
