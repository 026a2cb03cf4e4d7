"""Participant units (speakers, sources, users), MAXQDA .mex, Dedoose excerpts, REFI sources.

Real files are read in place from ../shared/fixtures/ and every count is checked against an
independent reading of the raw file (csv, sqlite3, re), not against raremix's own readers.
"""

from __future__ import annotations

import csv
import re
import sqlite3
import zipfile
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.errors import InputError
from toolkit.io import refi
from toolkit.io.dedoose import read_dedoose
from toolkit.io.exports import read_export
from toolkit.io.importers import read_project
from toolkit.io.mex import read_mex
from toolkit.io.study import load_study
from toolkit.io.units import apply_unit
from toolkit.manifest import Speakers

DEDOOSE = Path(__file__).parent / "fixtures" / "dedoose" / "excerpts-made-not-real.csv"
# A turn: a short tag and a colon at the start of a line or of a paragraph (U+2029).
TAG = re.compile(r"(?:^|(?<=[\u2028\u2029]))\s*([A-Za-z][\w.-]{0,15})[ \t]*:(?!\d)", re.MULTILINE)
MODERATORS = {"m", "mod", "moderator", "i", "interviewer", "facilitator"}


def _run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


# --- focus groups: speakers as participants ---------------------------------------------------


def test_focus_group_speakers_from_a_real_qualcoder_export(fixtures_dir: Path) -> None:
    path = fixtures_dir / "exports" / "qualcoder-coded-text-FG06-FG11.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected: Counter[tuple[str, str, str]] = Counter()
    untagged = 0
    for row in rows:
        tags = TAG.findall(row["Coded"])
        if not TAG.match(row["Coded"]):
            untagged += 1
            continue
        for tag in dict.fromkeys(tags):
            if tag.casefold() not in MODERATORS:
                expected[(f"{tag} @ {row['File']}", row["Codename"], row["Coder"])] += 1
    tables = read_project(path, unit="speaker")
    got = Counter(tables.codings.select("participant_id", "code_id", "coder").iter_rows())
    assert got == expected
    speakers = {p for p, _, _ in expected}
    assert set(tables.participants["participant_id"].to_list()) == speakers
    assert len(speakers) == 17  # 9 speakers in group 6 (P1-P8, PN), 8 in group 11
    assert untagged == 4
    assert any(
        f"{untagged} coded segment(s) start with no speaker tag" in w for w in tables.warnings
    )
    assert not any("one document = one participant" in w for w in tables.warnings)
    # One participant per group before: every theme read 1/1 or 2/2.
    assert read_project(path).participants.height == 2


TEXT = (
    "Anna: I was tired all the time.\nBen: Pain, mostly at night.\nAnna: Nobody knew the disease.\n"
)
NS = "urn:QDA-XML:project:1.0"


def _span(needle: str) -> tuple[int, int]:
    start = TEXT.index(needle)
    return start, start + len(needle)


def _selection(guid: str, needle: str, code: str, name: str | None = None) -> str:
    start, end = _span(needle)
    return (
        f'<PlainTextSelection guid="{guid}" name="{name if name is not None else needle}" '
        f'startPosition="{start}" endPosition="{end}">'
        f'<Coding guid="c-{guid}"><CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
    )


def _qdpx(tmp_path: Path, body: str, *, path: str = "internal://t1.txt", extra: str = "",
          texts: dict[str, str] | None = None) -> Path:  # fmt: skip
    qde = (
        f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="{NS}" name="FG" origin="hand-made">'
        '<CodeBook><Codes><Code guid="k-fatigue" name="Fatigue" isCodable="true"/>'
        '<Code guid="k-pain" name="Pain" isCodable="true"/>'
        '<Code guid="k-unknown" name="Not understood" isCodable="true"/></Codes></CodeBook>'
        f'{extra}<Sources><TextSource guid="s1" name="Focus group 1" plainTextPath="{path}">'
        f"{body}</TextSource></Sources></Project>"
    )
    out = tmp_path / "fg.qdpx"
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("project.qde", qde)
        for member, text in (texts if texts is not None else {"t1.txt": TEXT}).items():
            archive.writestr(f"sources/{member}", text.encode("utf-8"))
    return out


SELECTIONS = (
    _selection("a1", "I was tired all the time.", "k-fatigue")  # after the tag: Anna's turn
    + _selection("b1", "Ben: Pain, mostly at night.", "k-pain")
    + _selection("a2", "Nobody knew", "k-unknown")
    + _selection("ab", "time.\nBen: Pain", "k-pain")  # covers the end of Anna's turn and Ben's
)


def test_speakers_from_source_text_equal_cases_per_speaker(tmp_path: Path) -> None:
    by_tag = refi.read_refi(_qdpx(tmp_path, SELECTIONS))
    by_tag = apply_unit(by_tag, "speaker", speakers=Speakers(scope="study"), file="fg.qdpx")
    cases = (
        '<Cases><Case guid="ca" name="Anna"><SelectionRef targetGUID="a1"/>'
        '<SelectionRef targetGUID="a2"/><SelectionRef targetGUID="ab"/></Case>'
        '<Case guid="cb" name="Ben"><SelectionRef targetGUID="b1"/><SelectionRef targetGUID="ab"/>'
        "</Case></Cases>"
    )
    (tmp_path / "cases").mkdir()
    by_case = refi.read_refi(_qdpx(tmp_path / "cases", SELECTIONS, extra=cases))
    assert by_case.unit == "case" and by_tag.unit == "speaker"

    def pairs(tables):  # type: ignore[no-untyped-def]
        return sorted(tables.codings.select("participant_id", "code_id").unique().rows())

    assert pairs(by_tag) == pairs(by_case)
    assert ("Anna", "Not understood") in pairs(by_tag)  # inherited from the turn, not guessed
    assert sorted(by_tag.participants["participant_id"]) == ["Anna", "Ben"]


def test_units_source_and_user(tmp_path: Path) -> None:
    tables = refi.read_refi(_qdpx(tmp_path, SELECTIONS))
    assert tables.unit == "source"
    with pytest.raises(InputError, match="has no cases"):
        apply_unit(tables, "case", file="fg.qdpx")
    with pytest.raises(InputError, match="needs the coder of every coding"):
        apply_unit(tables, "user", file="fg.qdpx")


# --- REFI-QDA sources without internal:// ------------------------------------------------------


def test_source_in_the_archive_without_the_internal_prefix(tmp_path: Path) -> None:
    for written in ("sources/t1.txt", "t1.txt", "relative://t1.txt"):
        folder = tmp_path / written.replace("/", "_").replace(":", "")
        folder.mkdir()
        tables = refi.read_refi(_qdpx(folder, SELECTIONS, path=written))
        assert tables.codings["quote"].to_list()[:2] == [
            "I was tired all the time.",
            "Ben: Pain, mostly at night.",
        ], written


def test_an_unrecoverable_quote_is_null_not_a_placeholder(tmp_path: Path) -> None:
    body = _selection("x", "Nobody knew", "k-unknown", name="line:409")
    tables = refi.read_refi(_qdpx(tmp_path, body, path="internal://gone.txt"))
    assert tables.codings["quote"].to_list() == [None]
    assert any("cannot be recovered" in w for w in tables.warnings)
    assert tables.lost_quotes == 1


# --- MAXQDA exchange file ----------------------------------------------------------------------


def test_mex_read_whole_against_sqlite3(fixtures_dir: Path) -> None:
    path = fixtures_dir / "exports" / "maxqda-exchange-maxqdar-test.mex"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        texts = dict(db.execute("SELECT ID, Name FROM Texts"))
        codes = dict(db.execute("SELECT ID, Name FROM Codewords"))
        raw = Counter(
            (texts[t], codes[w]) for t, w in db.execute("SELECT TextID, WordID FROM Codings")
        )
        previews = [p for (p,) in db.execute("SELECT Preview FROM Codings ORDER BY ID")]
    assert (len(texts), len(codes), sum(raw.values())) == (39, 7, 402)
    tables = read_mex(path)
    assert tables.participants.height == 39
    assert sorted(tables.codebook["code_id"]) == sorted(codes.values())
    assert Counter(tables.codings.select("participant_id", "code_id").iter_rows()) == raw
    quotes = tables.codings["quote"].to_list()
    cut = [q for q in quotes if q.endswith(" …")]
    assert len(cut) == sum(len(p) >= 63 for p in previews) == 17
    assert [q for q in quotes if not q.endswith(" …")] == [p for p in previews if len(p) < 63]


def test_mex_agrees_with_the_coded_segments_export_of_the_same_project(
    fixtures_dir: Path,
) -> None:
    mex = read_mex(fixtures_dir / "exports" / "maxqda-exchange-maxqdar-test.mex")
    xls = read_export(fixtures_dir / "exports" / "maxqda-coded-segments-polish.xls")
    pairs = ("participant_id", "code_id")
    assert Counter(mex.codings.select(pairs).iter_rows()) == Counter(
        xls.codings.select(pairs).iter_rows()
    )


def test_wrong_format_for_a_mex_names_what_it_is(fixtures_dir: Path, tmp_path: Path) -> None:
    path = fixtures_dir / "exports" / "maxqda-exchange-maxqdar-test.mex"
    out = tmp_path / "study"
    code, _, stderr = _run("import", path, "--format", "taguette", "-o", out)
    assert code == 1 and stderr.startswith("Error: maxqda-exchange-maxqdar-test.mex")
    assert "MAXQDA exchange file" in stderr and "--format mex" in stderr
    assert ".xlsx" not in stderr and not out.exists()
    code, stdout, stderr = _run("import", path, "-o", out)
    assert code == 0, stderr
    assert "39 participants, 7 codes, 402 codings" in stdout
    assert "(participant unit: source)" in stdout


# --- Dedoose ------------------------------------------------------------------------------------


def test_dedoose_excerpts_made_fixture() -> None:
    with DEDOOSE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = Counter(
        (row["Media Title"], column.removeprefix("Code: ").removesuffix(" Applied"))
        for row in rows
        for column, value in row.items()
        if column.endswith(" Applied") and value == "True"
    )
    tables = read_dedoose(DEDOOSE)
    assert Counter(tables.codings.select("participant_id", "code_id").iter_rows()) == expected
    assert tables.participants.height == len({r["Media Title"] for r in rows})
    assert tables.participants.columns == ["participant_id", "Age", "Sex"]
    assert tables.participants["Age"].to_list() == [54.0, 61.0, 47.0]
    assert tables.attribute_types == {"Age": "numeric", "Sex": "categorical"}
    assert (
        dict(tables.codebook.select("code_id", "parent_id").iter_rows())["Pain\\Night pain"]
        == "Pain"
    )
    assert any("weight" in w for w in tables.warnings)


def test_dedoose_descriptor_that_differs_is_located(tmp_path: Path) -> None:
    text = DEDOOSE.read_text(encoding="utf-8").replace(
        "1/13/2024,90-131,My neighbour drives me to the clinic.,61",
        "1/13/2024,90-131,My neighbour drives me to the clinic.,62",
    )
    bad = tmp_path / "excerpts.csv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_dedoose(bad)
    (problem,) = error.value.problems
    assert (problem.line, problem.column) == (
        6,
        "Age",
    ) and "'62' differs from '61'" in problem.message


# --- import writes the unit; validate warns and report refuses the placeholder condition --------


def test_import_writes_the_unit_and_the_placeholder_is_refused(
    fixtures_dir: Path, tmp_path: Path
) -> None:
    path = fixtures_dir / "exports" / "qualcoder-coded-text-FG06-FG11.csv"
    out = tmp_path / "fg"
    code, _, stderr = _run("import", path, "--participant-unit", "speaker", "-o", out)
    assert code == 0, stderr
    text = (out / "study.yml").read_text(encoding="utf-8")
    assert "\nparticipant_unit: speaker\n" in text
    study = load_study(out)
    assert study.participant_unit == "speaker" and study.n_participants == 17
    code, _, stderr = _run("validate", out)
    assert code == 0 and "placeholder" in stderr
    code, _, stderr = _run("report", out, "-o", tmp_path / "report", "--format", "html")
    assert code == 1 and "Error: study.yml:" in stderr and "study.condition.name" in stderr
    assert not (tmp_path / "report").exists()


def test_bad_unit_and_roster_are_located_errors(fixtures_dir: Path, tmp_path: Path) -> None:
    path = fixtures_dir / "exports" / "qualcoder-coded-text-FG06-FG11.csv"
    out = tmp_path / "fg"
    code, _, stderr = _run("import", path, "--participant-unit", "case", "-o", out)
    assert code == 1 and stderr.startswith("Error: qualcoder-coded-text-FG06-FG11.csv")
    assert "no cases" in stderr and "--participant-unit source, speaker or user" in stderr
    assert not out.exists()
    assert _run("import", path, "-o", out)[0] == 0
    (out / "roster.csv").write_text("participant_id\nnobody\n", encoding="utf-8")
    manifest = out / "study.yml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(
            "  codings: codings.csv\n", "  codings: codings.csv\n  roster: roster.csv\n"
        ),
        encoding="utf-8",
    )
    code, _, stderr = _run("validate", out)
    assert code == 1
    assert "Error: roster.csv:2: column 'participant_id': participant 'nobody'" in stderr


def test_interview_transcripts_with_name_and_time_lines(fixtures_dir: Path) -> None:
    """Otter-style transcripts ("BSRO6  00:09" on its own line) in a real QualCoder project:
    the interviewee of each interview is one participant, the interviewer left out."""
    project = fixtures_dir / "qualcoder" / "mannheimer-recoded.qda"
    turn = re.compile(r"^([A-Z][\w.' -]{0,40}?)[ \t]{2,}\d{1,2}:\d{2}(?::\d{2})?[ \t]*$", re.M)
    with sqlite3.connect(f"file:{project / 'data.qda'}?mode=ro", uri=True) as db:
        sources = {i: (n, t) for i, n, t in db.execute("SELECT id, name, fulltext FROM source")}
        coded = list(db.execute("SELECT cid, fid, pos0, pos1 FROM code_text"))
    interviewer = "Sara Mannheimer"
    people: set[str] = set()
    expected: Counter[tuple[str, str]] = Counter()
    for fid, (name, text) in sources.items():
        if text is None:
            continue
        turns = [(m.start(), m.group(1).strip()) for m in turn.finditer(text)]
        people |= {f"{who} @ {name}" for _, who in turns if who != interviewer}
        for cid, at, start, end in coded:
            if at != fid:
                continue
            before = [who for pos, who in turns if pos <= start][-1:]
            inside = [who for pos, who in turns if start < pos < end]
            for who in dict.fromkeys([*before, *inside]):
                if who != interviewer:
                    expected[(f"{who} @ {name}", f"code:{cid}")] += 1
    tables = read_project(project, unit="speaker", speakers=Speakers(exclude=[interviewer]))
    assert set(tables.participants["participant_id"].to_list()) == people
    assert len(people) == 28  # one interviewee per transcript
    assert Counter(tables.codings.select("participant_id", "code_id").iter_rows()) == expected


def test_nvivo_speaker_coded_cases_equal_speaker_tags(tmp_path: Path) -> None:
    """NVivo codes each speaker's turns to the speaker's case node (a code whose GUID is the
    Case's): a theme segment counts for every speaker whose turn it overlaps."""
    lines = TEXT.splitlines(keepends=True)
    turns, at = [], 0
    for line, who in zip(lines, ("ca", "cb", "ca"), strict=True):
        turns.append((at, at + len(line.rstrip("\n")), who))
        at += len(line)
    case_codings = "".join(
        f'<PlainTextSelection guid="t{i}" name="turn" startPosition="{s}" endPosition="{e}">'
        f'<Coding guid="tc{i}"><CodeRef targetGUID="{who}"/></Coding></PlainTextSelection>'
        for i, (s, e, who) in enumerate(turns)
    )
    cases = '<Cases><Case guid="ca" name="Anna"/><Case guid="cb" name="Ben"/></Cases>'
    nodes = '<Code guid="ca" name="Anna" isCodable="true"/><Code guid="cb" name="Ben" isCodable="true"/>'
    path = _qdpx(tmp_path, SELECTIONS + case_codings, extra=cases)
    text = (
        zipfile.ZipFile(path).read("project.qde").decode().replace("</Codes>", nodes + "</Codes>")
    )
    (tmp_path / "nvivo").mkdir()
    nvivo = tmp_path / "nvivo" / "fg.qdpx"
    with zipfile.ZipFile(nvivo, "w") as archive:
        archive.writestr("project.qde", text)
        archive.writestr("sources/t1.txt", TEXT.encode("utf-8"))
    by_case = refi.read_refi(nvivo)
    (tmp_path / "tags").mkdir()
    by_tag = apply_unit(
        refi.read_refi(_qdpx(tmp_path / "tags", SELECTIONS)),
        "speaker",
        speakers=Speakers(scope="study"),
        file="fg.qdpx",
    )
    pairs = ("participant_id", "code_id")
    assert Counter(by_case.codings.select(pairs).iter_rows()) == Counter(
        by_tag.codings.select(pairs).iter_rows()
    )
    assert Counter(by_case.codings.select(pairs).iter_rows())[("Ben", "Pain")] == 2


def test_matrix_of_a_real_mex_project(fixtures_dir: Path, tmp_path: Path) -> None:
    source = fixtures_dir / "exports" / "maxqda-exchange-maxqdar-test.mex"
    study = tmp_path / "mex"
    assert _run("import", source, "-o", study)[0] == 0
    manifest = study / "study.yml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(
            "Unknown condition — edit study.yml", "Test condition"
        ),
        encoding="utf-8",
    )
    out = tmp_path / "matrix.csv"
    code, stdout, stderr = _run("matrix", study, "--counts", "-o", out)
    assert code == 0, stderr
    assert "39 participants x 7 nodes" in stdout
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as db:
        per_code = dict(
            db.execute(
                "SELECT w.Name, COUNT(*) FROM Codings c JOIN Codewords w ON w.ID = c.WordID "
                "GROUP BY w.Name"
            )
        )
    frame = pl.read_csv(out)
    assert {name: int(frame[name].sum()) for name in per_code} == per_code
    assert frame.height == 39


def test_speakers_read_in_place_from_study_yml(fixtures_dir: Path, tmp_path: Path) -> None:
    source = fixtures_dir / "exports" / "qualcoder-coded-text-FG06-FG11.csv"
    study = tmp_path / "fg"
    study.mkdir()
    (study / "study.yml").write_text(
        "study:\n  id: fg\n  title: Focus groups\n  condition: {name: Test condition}\n"
        f"participant_unit: speaker\ninputs:\n  project: {source}\n",
        encoding="utf-8",
    )
    code, stdout, stderr = _run("validate", study)
    assert code == 0, stderr
    assert "17 participants" in stdout


def test_mex_code_tree_groups_and_document_variables(tmp_path: Path) -> None:
    """A small .mex written here (made, not a MAXQDA file) with what the public one lacks:
    a code tree, document groups and document variables, in MAXQDA's table layout."""
    path = tmp_path / "made.mex"
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE Texts (ID INTEGER PRIMARY KEY, Idx INTEGER, GroupID INTEGER,
                Name varchar, Author varchar, Age INTEGER, Site varchar, Data BLOB);
            CREATE TABLE Textgroups (ID INTEGER PRIMARY KEY, Name varchar);
            CREATE TABLE Codewords (ID INTEGER PRIMARY KEY, Idx INTEGER, WordID INTEGER,
                Name varchar);
            CREATE TABLE Codings (ID INTEGER PRIMARY KEY, TextID INTEGER, WordID INTEGER,
                SegPos1X INTEGER, SegPos2X INTEGER, Preview varchar, Author varchar);
            CREATE TABLE sys_Fields (TopicID INTEGER, ID INTEGER, Name varchar, Source varchar,
                Type INTEGER);
            INSERT INTO sys_Fields VALUES (5, 100, 'Age', 'Age', 1), (5, 101, 'Site', 'Site', 2),
                (5, 33, 'Data', 'Data', 6);
            INSERT INTO Textgroups VALUES (1, 'Parents'), (2, 'Patients');
            INSERT INTO Texts VALUES (1, 0, 2, 'Interview A', 'ana', 54, 'Leeds', NULL),
                (2, 1, 1, 'Interview B', 'ana', NULL, 'York', NULL);
            INSERT INTO Codewords VALUES (1, 0, 0, 'Burden'), (2, 1, 1, 'Pain'),
                (3, 2, 2, 'Night pain'), (4, 3, 0, 'Support');
            INSERT INTO Codings VALUES (1, 1, 3, 10, 20, 'wakes me at night', 'ana'),
                (2, 2, 4, 5, 9, 'my sister', 'ben');
            """
        )
    tables = read_mex(path)
    parents = dict(tables.codebook.select("code_id", "parent_id").iter_rows())
    assert parents == {
        "Burden": None,
        "Burden\\Pain": "Burden",
        "Burden\\Pain\\Night pain": "Burden\\Pain",
        "Support": None,
    }
    people = tables.participants
    assert people.columns == ["participant_id", "document_group", "Age", "Site"]
    assert people.rows() == [
        ("Interview A", "Patients", 54.0, "Leeds"),
        ("Interview B", "Parents", None, "York"),
    ]
    assert tables.attribute_types == {
        "document_group": "categorical",
        "Age": "numeric",
        "Site": "categorical",
    }
    assert tables.codings.select("participant_id", "code_id", "coder").rows() == [
        ("Interview A", "Burden\\Pain\\Night pain", "ana"),
        ("Interview B", "Support", "ben"),
    ]


def test_not_a_mex_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "other.mex"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(
        InputError, match="not a MAXQDA exchange file: no table Texts, Codewords, Codings"
    ):
        read_mex(path)


def test_user_unit_counts_each_coder(fixtures_dir: Path) -> None:
    path = fixtures_dir / "exports" / "qualcoder-coded-text-FG06-FG11.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        coders = Counter(row["Coder"] for row in csv.DictReader(handle))
    tables = read_project(path, unit="user")
    assert sorted(tables.participants["participant_id"]) == sorted(coders)
    assert Counter(tables.codings["participant_id"].to_list()) == coders


def test_redcap_where_and_missing_values_on_a_real_export(
    fixtures_dir: Path, tmp_path: Path
) -> None:
    data = fixtures_dir / "redcap" / "simple_data.csv"
    with data.open(encoding="utf-8-sig", newline="") as handle:
        raw = list(csv.DictReader(handle))
    women = [r["record_id"] for r in raw if r["sex"] == "FALSE"]  # 0, Female (via R)
    study = tmp_path / "s"
    study.mkdir()
    (study / "codings.csv").write_text(f"participant_id,code_id\n{women[0]},x\n", encoding="utf-8")
    (study / "study.yml").write_text(
        "study:\n  id: s\n  title: T\n  condition: {name: C}\n"
        f"inputs:\n  participants: {data}\n"
        f"  dictionary: {fixtures_dir / 'redcap' / 'simple_dictionary.csv'}\n"
        "  codings: codings.csv\n  where: {sex: [Female]}\n  missing_values: [-99]\n",
        encoding="utf-8",
    )
    loaded = load_study(study)
    assert loaded.participants["participant_id"].to_list() == women
    assert len(loaded.excluded) == len(raw) - len(women)
    assert any(
        f"{len(raw) - len(women)} of {len(raw)} records left out" in w for w in loaded.warnings
    )
