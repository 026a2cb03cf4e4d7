"""Write the corpus of broken SYNTHETIC study folders (tests/bad_inputs/cases/) and CASES.md.

Every case is a small, valid SYNTHETIC study with exactly one thing broken. ``CASES`` below is
the single source of truth: the folder to write, what is broken, and the fragments (regular
expressions) that the ``Error:`` lines of ``raremix validate`` and ``raremix prevalence``
must contain: the file, the line and the column where the input says them, and the gist of
the message. ``tests/bad_inputs/test_bad_inputs.py`` runs every case.

Run ``.venv/bin/python tests/bad_inputs/generate.py`` after changing a case; the folders and
CASES.md are committed so a reader can open a broken input and see it. Spreadsheets are built
with openpyxl, zips and XML by hand, all here.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"

BASE_MANIFEST: dict[str, object] = {
    "study": {
        "id": "bad-input-synthetic",
        "title": "A broken SYNTHETIC study (test input)",
        "condition": {"name": "Testitis"},
        "synthetic": True,
    },
    "inputs": {
        "participants": "participants.csv",
        "codebook": "codebook.csv",
        "codings": "codings.csv",
    },
    "attributes": {
        "age": {"type": "numeric", "bins": [18, 50, 65, 120]},
        "sex": {"type": "categorical", "levels": ["Female", "Male"]},
        "status": {"type": "categorical", "levels": ["Active", "Remission"]},
    },
    "analysis": {"strata": ["status"], "min_cell": 0},
}

PARTICIPANTS = """participant_id,age,sex,status
P1,38,Female,Active
P2,52,Female,Remission
P3,61,Male,Remission
P4,70,Female,Active
P5,45,Male,Remission
"""

CODEBOOK = """code_id,label,parent_id,description
body,Body,,Physical experience
pain,Pain,body,Pain from the lesions
fatigue,Fatigue,body,
care,Care,,Health care
"""

CODINGS = """participant_id,code_id,quote,source,start,end,coder
P1,pain,It burns all night.,p1.txt,0,19,a
P2,pain,The pain is constant.,p2.txt,10,31,a
P2,fatigue,I sleep all day.,p2.txt,40,56,a
P3,care,Nobody knew what it was.,p3.txt,5,29,a
P5,pain,Worst pain of my life.,p5.txt,0,22,a
"""


def replace_line(text: str, number: int, new: str) -> str:
    """``text`` with its 1-based line ``number`` replaced by ``new``."""
    lines = text.splitlines()
    lines[number - 1] = new
    return "\n".join(lines) + "\n"


def manifest(**changes: object) -> bytes:
    """The base manifest with dotted keys changed (value None deletes the key)."""
    data = yaml.safe_load(yaml.safe_dump(BASE_MANIFEST))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return (
        "# SYNTHETIC test input: broken on purpose\n" + yaml.safe_dump(data, sort_keys=False)
    ).encode()


def xlsx(rows: list[list[object]]) -> bytes:
    """An .xlsx workbook (openpyxl) with ``rows`` on its first sheet."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_rows(text: str) -> list[list[object]]:
    return [line.split(",") for line in text.strip().splitlines()]


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol4;"><CodeBook><Codes/></CodeBook></Project>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&xxe;"><CodeBook><Codes/></CodeBook></Project>
"""


@dataclass(frozen=True)
class Case:
    """One broken input.

    Attributes:
        name: folder name under cases/.
        what: one line for CASES.md.
        expect: regular expressions, each to be found in the Error: lines (in this order of
            importance: file and line, column, gist of the message).
        files: file name -> bytes (None: the file is removed) over the base study.
        errors: how many Error: lines (one per problem), or None when not pinned (a broken id
            also makes the codings that use it unknown: two true messages).
        gap: why raremix does not yet meet this case (the test is then an expected failure
            that must start passing once it is fixed), or None.
    """

    name: str
    what: str
    expect: tuple[str, ...]
    files: dict[str, bytes | None] = field(default_factory=dict)
    errors: int | None = 1
    gap: str | None = None


def _case(
    name: str,
    what: str,
    expect: tuple[str, ...],
    errors: int | None = 1,
    gap: str | None = None,
    **files: bytes | None,
) -> Case:
    return Case(
        name, what, expect, {k.replace("__", "."): v for k, v in files.items()}, errors, gap
    )


def _cases() -> list[Case]:
    p, cb, cd = PARTICIPANTS, CODEBOOK, CODINGS
    no_project = {"inputs": {"project": "project.qdpx"}}
    cases = [
        # --- encodings -------------------------------------------------------------------
        _case(
            "latin1-participants",
            "participants.csv saved as Latin-1 (an accented name)",
            (r"participants\.csv:3", r"not UTF-8", r"UTF-8"),
            participants__csv=replace_line(p, 3, "P2,52,Female,Rémission").encode("latin-1"),
        ),
        _case(
            "utf16-codings",
            "codings.csv saved as UTF-16 (Excel 'Unicode text')",
            (r"codings\.csv", r"UTF-16", r"UTF-8"),
            codings__csv=cd.encode("utf-16"),
        ),
        _case(
            "binary-codebook",
            "codebook.csv is a PNG image renamed",
            (r"codebook\.csv", r"UTF-8"),
            codebook__csv=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00",
        ),
        # --- delimiters and shape ---------------------------------------------------------
        _case(
            "semicolon-rows-comma-header",
            "comma header, but one row separated by semicolons",
            (r"participants\.csv:4", r"(field|column|value)s?"),
            participants__csv=replace_line(p, 4, "P3;61;Male;Remission").encode(),
        ),
        _case(
            "ragged-row-long",
            "a codings row with one field too many",
            (r"codings\.csv:4", r"8 (fields|values)|7 columns|too many"),
            codings__csv=replace_line(
                cd, 4, "P2,fatigue,I sleep all day.,p2.txt,40,56,a,extra"
            ).encode(),
        ),
        _case(
            "ragged-row-short",
            "a participants row with a field missing",
            (r"participants\.csv:5", r"3 (fields|values)|4 columns|too few|missing"),
            participants__csv=replace_line(p, 5, "P4,70,Female").encode(),
        ),
        _case(
            "unclosed-quote",
            "a quote that opens a double quote and never closes it",
            (r"codings\.csv:3", r"quot"),
            codings__csv=replace_line(
                cd, 3, 'P2,pain,"The pain is constant.,p2.txt,10,31,a'
            ).encode(),
            errors=None,
        ),
        _case(
            "duplicated-header",
            "participants.csv has the column 'age' twice",
            (r"participants\.csv:1", r"age", r"(twice|duplicate|more than once|repeated|2 times)"),
            participants__csv=p.replace(
                "participant_id,age,sex,status", "participant_id,age,age,status"
            ).encode(),
        ),
        _case(
            "missing-id-column",
            "participants.csv has no participant_id column",
            (r"participants\.csv:1", r"participant_id"),
            participants__csv=p.replace("participant_id,", "id,").encode(),
        ),
        _case(
            "codings-missing-code-column",
            "codings.csv has no code_id column",
            (r"codings\.csv:1", r"code_id"),
            codings__csv=cd.replace(",code_id,", ",code,").encode(),
        ),
        _case(
            "empty-participants",
            "participants.csv is an empty file (0 bytes)",
            (r"participants\.csv", r"empty"),
            participants__csv=b"",
        ),
        _case(
            "empty-codebook",
            "codebook.csv is an empty file (0 bytes)",
            (r"codebook\.csv", r"empty"),
            codebook__csv=b"",
        ),
        _case(
            "blank-codings",
            "codings.csv holds only blank lines",
            (r"codings\.csv", r"empty|header"),
            codings__csv=b"\n\n  \n",
        ),
        _case(
            "header-only-participants",
            "participants.csv has a header and no rows",
            (r"participants\.csv", r"no (participants|rows|data)"),
            participants__csv=b"participant_id,age,sex,status\n",
        ),
        # --- ids ----------------------------------------------------------------------------
        _case(
            "duplicate-participant",
            "participant P2 appears twice",
            (r"participants\.csv:7", r"participant_id", r"P2"),
            participants__csv=(p + "P2,53,Female,Remission\n").encode(),
        ),
        _case(
            "empty-participant-id",
            "a participants row without an id",
            (r"participants\.csv:4", r"participant_id", r"empty"),
            participants__csv=replace_line(p, 4, ",61,Male,Remission").encode(),
            errors=None,
        ),
        _case(
            "unknown-participant",
            "codings name participant P9, who is not in participants.csv",
            (r"codings\.csv:5", r"participant_id", r"'P9' is not in participants\.csv"),
            codings__csv=replace_line(
                cd, 5, "P9,care,Nobody knew what it was.,p3.txt,5,29,a"
            ).encode(),
        ),
        _case(
            "unknown-code",
            "codings use code 'sleep', not in the codebook",
            (r"codings\.csv:4", r"code_id", r"'sleep' is not in codebook\.csv"),
            codings__csv=replace_line(cd, 4, "P2,sleep,I sleep all day.,p2.txt,40,56,a").encode(),
        ),
        _case(
            "empty-code-id",
            "a coding without a code",
            (r"codings\.csv:2", r"code_id", r"empty"),
            codings__csv=replace_line(cd, 2, "P1,,It burns all night.,p1.txt,0,19,a").encode(),
        ),
        _case(
            "offset-not-a-number",
            "start offset 'ten'",
            (r"codings\.csv:3", r"start", r"whole number"),
            codings__csv=replace_line(
                cd, 3, "P2,pain,The pain is constant.,p2.txt,ten,31,a"
            ).encode(),
        ),
        _case(
            "end-before-start",
            "end offset before start",
            (r"codings\.csv:6", r"end", r"before"),
            codings__csv=replace_line(
                cd, 6, "P5,pain,Worst pain of my life.,p5.txt,22,3,a"
            ).encode(),
        ),
        # --- codebook -----------------------------------------------------------------------
        _case(
            "codebook-cycle",
            "body -> care -> body: a cycle",
            (r"codebook\.csv:\d", r"parent_id", r"cycle"),
            codebook__csv=replace_line(
                replace_line(cb, 2, "body,Body,care,"), 5, "care,Care,body,"
            ).encode(),
            errors=None,
        ),
        _case(
            "codebook-self-parent",
            "fatigue is its own parent",
            (r"codebook\.csv:4", r"parent_id", r"(own parent|itself|cycle)"),
            codebook__csv=replace_line(cb, 4, "fatigue,Fatigue,fatigue,").encode(),
        ),
        _case(
            "codebook-unknown-parent",
            "pain's parent 'bodyy' does not exist",
            (r"codebook\.csv:3", r"parent_id", r"bodyy"),
            codebook__csv=replace_line(cb, 3, "pain,Pain,bodyy,").encode(),
        ),
        _case(
            "codebook-duplicate-id",
            "code 'pain' defined twice",
            (r"codebook\.csv:6", r"code_id", r"pain"),
            codebook__csv=(cb + "pain,Pain again,care,\n").encode(),
        ),
        _case(
            "codebook-empty-id",
            "a codebook row without a code id",
            (r"codebook\.csv:5", r"code_id", r"empty"),
            codebook__csv=replace_line(cb, 5, ",Care,,").encode(),
            errors=None,
        ),
        # --- attribute values ---------------------------------------------------------------
        _case(
            "nan-age",
            "age is 'NaN'",
            (r"participants\.csv:3", r"age", r"NaN|not a (finite )?number"),
            participants__csv=replace_line(p, 3, "P2,NaN,Female,Remission").encode(),
        ),
        _case(
            "inf-age",
            "age is 'inf'",
            (r"participants\.csv:4", r"age", r"inf|not a (finite )?number"),
            participants__csv=replace_line(p, 4, "P3,inf,Male,Remission").encode(),
        ),
        _case(
            "minus-infinity-age",
            "age is '-Infinity'",
            (r"participants\.csv:2", r"age"),
            participants__csv=replace_line(p, 2, "P1,-Infinity,Female,Active").encode(),
        ),
        _case(
            "text-in-numeric",
            "age is 'sixty'",
            (r"participants\.csv:4", r"age", r"sixty"),
            participants__csv=replace_line(p, 4, "P3,sixty,Male,Remission").encode(),
        ),
        _case(
            "decimal-comma",
            "age written with a decimal comma ('61,5')",
            (r"participants\.csv:4", r"age", r"61,5"),
            participants__csv=replace_line(p, 4, 'P3,"61,5",Male,Remission').encode(),
        ),
        _case(
            "age-outside-bins",
            "age 150 lies outside the bins 18..120",
            (r"participants\.csv:5", r"age", r"150"),
            participants__csv=replace_line(p, 5, "P4,150,Female,Active").encode(),
        ),
        _case(
            "value-outside-levels",
            "sex 'F' is not a declared level",
            (r"participants\.csv:2", r"sex", r"'F'"),
            participants__csv=replace_line(p, 2, "P1,38,F,Active").encode(),
        ),
        # --- spreadsheets -------------------------------------------------------------------
        _case(
            "xlsx-formula",
            "participants.xlsx: an age cell holds a formula (=60+1) and no value",
            (r"participants\.xlsx:4", r"age", r"formula|empty|not a number"),
            study__yml=manifest(inputs__participants="participants.xlsx"),
            participants__xlsx=xlsx(
                [*csv_rows(p)[:3], ["P3", "=60+1", "Male", "Remission"], *csv_rows(p)[4:]]
            ),
            errors=None,
        ),
        _case(
            "xlsx-huge-id",
            "participants.xlsx: a 40,000-character participant id",
            (r"participants\.xlsx:3", r"participant_id", r"long"),
            errors=None,
            study__yml=manifest(inputs__participants="participants.xlsx"),
            participants__xlsx=xlsx(
                [*csv_rows(p)[:2], ["P" * 40_000, "52", "Female", "Remission"], *csv_rows(p)[3:]]
            ),
        ),
        _case(
            "xlsx-empty",
            "participants.xlsx: a workbook with an empty sheet",
            (r"participants\.xlsx", r"empty"),
            study__yml=manifest(inputs__participants="participants.xlsx"),
            participants__xlsx=xlsx([]),
        ),
        _case(
            "xlsx-not-a-workbook",
            "participants.xlsx is a CSV text file renamed",
            (r"participants\.xlsx", r"(spreadsheet|workbook|xlsx)"),
            study__yml=manifest(inputs__participants="participants.xlsx"),
            participants__xlsx=p.encode(),
        ),
        _case(
            "xlsx-truncated",
            "participants.xlsx cut off halfway (a damaged download)",
            (r"participants\.xlsx", r"(spreadsheet|workbook|xlsx|damaged|zip)"),
            study__yml=manifest(inputs__participants="participants.xlsx"),
            participants__xlsx=xlsx(csv_rows(p))[:700],
        ),
        # --- the manifest -------------------------------------------------------------------
        _case(
            "manifest-negative-min-cell",
            "analysis.min_cell: -3",
            (r"study\.yml", r"min_cell"),
            study__yml=manifest(analysis__min_cell=-3),
        ),
        _case(
            "manifest-level-1.5",
            "analysis.ci.level: 1.5",
            (r"study\.yml", r"ci\.level", r"(less than 1|< 1)"),
            study__yml=manifest(analysis__ci={"method": "wilson", "level": 1.5}),
        ),
        _case(
            "manifest-unknown-ci-method",
            "analysis.ci.method: bayes",
            (r"study\.yml", r"ci\.method", r"wilson"),
            study__yml=manifest(analysis__ci={"method": "bayes"}),
        ),
        _case(
            "manifest-unknown-top-key",
            "a top-level key 'anlysis' (typo)",
            (r"study\.yml", r"unknown key 'anlysis'"),
            study__yml=manifest(anlysis={"min_cell": 3}),
        ),
        _case(
            "manifest-unknown-nested-key",
            "analysis.stata instead of strata",
            (r"study\.yml", r"unknown key 'stata' under analysis"),
            study__yml=manifest(analysis__stata=["status"]),
        ),
        _case(
            "manifest-wrong-type",
            "analysis.min_cell: 'five'",
            (r"study\.yml", r"min_cell", r"integer|whole"),
            study__yml=manifest(analysis__min_cell="five"),
        ),
        _case(
            "manifest-missing-file",
            "inputs.codings names a file that is not there",
            (r"codings_v2\.csv|study\.yml", r"(not found|does not exist|no such|missing)"),
            study__yml=manifest(inputs__codings="codings_v2.csv"),
        ),
        _case(
            "manifest-not-yaml",
            "study.yml with a broken YAML structure",
            (r"study\.yml:\d", r"YAML"),
            study__yml=b"study:\n  id: x\n  title: [unclosed\ninputs: {}\n",
        ),
        _case(
            "manifest-empty",
            "study.yml is empty",
            (r"study\.yml", r"mapping|empty"),
            study__yml=b"",
        ),
        _case(
            "manifest-bad-slug",
            "study.id 'My Study'",
            (r"study\.yml", r"slug"),
            study__yml=manifest(study__id="My Study"),
        ),
        _case(
            "manifest-unknown-stratum",
            "analysis.strata names 'site', which no column holds",
            (r"study\.yml", r"site"),
            study__yml=manifest(analysis__strata=["site"]),
        ),
        _case(
            "manifest-bins-not-increasing",
            "age bins [18, 65, 50]",
            (r"study\.yml", r"bins"),
            study__yml=manifest(attributes__age={"type": "numeric", "bins": [18, 65, 50]}),
        ),
        _case(
            "manifest-bad-redaction-regex",
            "privacy.redact.patterns.record: '([0-9'",
            (r"study\.yml", r"privacy\.redact\.patterns\.record", r"regular expression"),
            study__yml=manifest(privacy={"redact": {"patterns": {"record": "([0-9"}}}),
        ),
        _case(
            "manifest-unknown-quasi-identifier",
            "privacy.quasi_identifiers names 'postcode'",
            (r"study\.yml", r"postcode"),
            study__yml=manifest(privacy={"quasi_identifiers": ["postcode"]}),
        ),
        _case(
            "manifest-coder-unknown",
            "analysis.coder 'zed' codes nothing",
            (r"study\.yml", r"zed"),
            study__yml=manifest(analysis__coder="zed"),
        ),
        # --- hostile project files (see also tests/io/test_import_safety.py) ---------------
        _case(
            "qdpx-billion-laughs",
            "project.qdpx whose project.qde nests entities (billion laughs)",
            (r"project\.qdpx", r"(entit|DTD|unsafe|refus)"),
            study__yml=manifest(inputs=no_project["inputs"]),
            project__qdpx=zipped({"project.qde": BILLION_LAUGHS}),
            errors=None,
        ),
        _case(
            "qdpx-external-entity",
            "project.qdpx whose project.qde reads /etc/passwd (XXE)",
            (r"project\.qdpx", r"(entit|DTD|unsafe|refus)"),
            study__yml=manifest(inputs=no_project["inputs"]),
            project__qdpx=zipped({"project.qde": XXE}),
            errors=None,
        ),
        _case(
            "qdpx-path-traversal",
            "project.qdpx with a member '../../evil.txt'",
            (r"project\.qdpx", r"(\.\./|outside|unsafe|path)"),
            study__yml=manifest(inputs=no_project["inputs"]),
            project__qdpx=zipped(
                {
                    "project.qde": b"<Project xmlns='urn:QDA-XML:project:1.0'/>",
                    "../../evil.txt": b"x",
                }
            ),
            errors=None,
        ),
        _case(
            "qdpx-not-a-zip",
            "project.qdpx is plain text",
            (r"project\.qdpx", r"(zip|archive|REFI)"),
            study__yml=manifest(inputs=no_project["inputs"]),
            project__qdpx=b"hello, I am not a zip",
            errors=None,
        ),
    ]
    return cases


CASES: list[Case] = _cases()


def base_files() -> dict[str, bytes]:
    return {
        "study.yml": manifest(),
        "participants.csv": PARTICIPANTS.encode(),
        "codebook.csv": CODEBOOK.encode(),
        "codings.csv": CODINGS.encode(),
    }


def case_files(case: Case) -> dict[str, bytes]:
    files = base_files()
    for name, data in case.files.items():
        if data is None:
            files.pop(name, None)
        else:
            files[name] = data
    # a replaced input file is not kept beside its replacement
    text = files["study.yml"].decode("utf-8", "replace")
    for role, default in (("participants", "participants.csv"), ("codings", "codings.csv")):
        if f"{role}: {default}" not in text and default in files and default not in case.files:
            files.pop(default)
    if "project: project.qdpx" in text:
        for name in ("participants.csv", "codebook.csv", "codings.csv"):
            files.pop(name, None)
    return files


def write(case: Case, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in case_files(case).items():
        (folder / name).write_bytes(data)


def cases_markdown() -> str:
    lines = [
        "# Broken inputs: what each case breaks, and what the error must say",
        "",
        "SYNTHETIC data, broken on purpose. Each folder in `cases/` is the small study of",
        "`generate.py` with one thing broken; `test_bad_inputs.py` runs `raremix validate` and",
        "`raremix prevalence` on each and expects exit 1, no traceback, no output file, and",
        "`Error:` lines matching the fragments below (regular expressions). Regenerate with",
        "`.venv/bin/python tests/bad_inputs/generate.py`. Hostile archives and XML are tested in",
        "depth in `tests/io/test_import_safety.py`; the four `qdpx-*` cases here check that they",
        "also fail cleanly through `validate` and `prevalence`.",
        "",
        "A case with a *known gap* is one raremix does not meet yet: its test is an expected",
        "failure (strict), so it starts failing loudly the day the gap is fixed.",
        "",
        "| case | what is broken | the Error: lines must match | known gap |",
        "|---|---|---|---|",
    ]
    for case in CASES:
        expect = " · ".join(f"`{e}`" for e in case.expect).replace("|", "\\|")
        lines.append(f"| {case.name} | {case.what} | {expect} | {case.gap or ''} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    if CASES_DIR.exists():
        shutil.rmtree(CASES_DIR)
    for case in CASES:
        write(case, CASES_DIR / case.name)
    (HERE / "CASES.md").write_text(cases_markdown(), encoding="utf-8")
    print(f"wrote {len(CASES)} cases to {CASES_DIR}")


if __name__ == "__main__":
    main()
