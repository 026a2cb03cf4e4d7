"""REFI-QDA projects and codebooks: every real file in ../shared/fixtures/qda, plus hand-made
projects for what those files lack (Cases with typed Variables, SelectionRef, case codes)."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.errors import InputError
from toolkit.io import refi
from toolkit.io.refi.text import _slice


def _kinds(project: refi.RefiProject) -> Counter[str]:
    return Counter(s.kind for s in project.sources)


# --- real files: the counts PROVENANCE.md states -------------------------------------------------


def test_atlasti_standard_project(fixtures_dir: Path) -> None:
    project = refi.read_project_file(fixtures_dir / "qda" / "atlasti-8.4-standard-project.qdpx")
    assert len(project.users) == 3
    assert len(project.codes) == 14
    assert all(c.parent is None for c in project.codes)  # flat, named like "Coke::diet Coke"
    assert "Coke::diet Coke" in {c.name for c in project.codes}
    assert _kinds(project) == {
        "TextSource": 6,
        "PDFSource": 2,
        "PictureSource": 1,
        "AudioSource": 1,
        "VideoSource": 2,
    }
    assert sum(s.kind == "PlainTextSelection" for s in project.selections) == 8
    assert len(project.codings) == 16
    assert len(project.sets) == 16
    assert project.cases == [] and project.variables == {}

    tables = refi.project_tables(project)
    people = tables.participants.sort("participant_id")
    assert people["participant_id"].to_list() == ["Mabel", "Simon"]
    assert people["gender"].to_list() == ["female", "male"]
    assert people["age"].to_list() == [25.0, 67.0]
    assert tables.attribute_types == {"gender": "categorical", "age": "numeric"}
    # Mabel's coded text source holds 3 codings, Simon's 3; the rest are in sources of no one.
    assert Counter(tables.codings["participant_id"].to_list()) == {"Mabel": 3, "Simon": 3}
    assert any("10 coding(s)" in w and "left out" in w for w in tables.warnings)
    # The sources folder is empty: the quote is the selection's (truncated) name.
    mabel = tables.codings.filter(pl.col("participant_id") == "Mabel")
    assert mabel["quote"].to_list()[0].startswith("I'm a single mum")
    assert set(tables.codings["coder"].to_list()) <= set(project.users.values())


def test_maxqda_ten_sources(fixtures_dir: Path) -> None:
    project = refi.read_project_file(fixtures_dir / "qda" / "maxqda-24.7-ten-sources.qdpx")
    assert len(project.users) == 1
    assert len(project.codes) == 307
    parents = {c.parent for c in project.codes if c.parent is not None}
    assert len(parents) == 18
    assert _kinds(project) == {"TextSource": 10}
    assert all(s.text for s in project.sources)  # lowercase sources/ folder found
    assert len(project.sets) == 2 and project.codings == []
    tables = refi.project_tables(project)
    assert tables.participants.height == 10
    assert tables.codebook.height == 307 and tables.codings.height == 0
    assert any("each of the 10 text source(s) is one participant" in w for w in tables.warnings)


def test_nvivo_windows_counts_utf16_units(fixtures_dir: Path) -> None:
    path = fixtures_dir / "qda" / "nvivo-12.6-win-oltas.qdpx"
    project = refi.read_project_file(path)
    assert len(project.codes) == 60
    assert _kinds(project) == {"TextSource": 1}
    assert sum(s.kind == "PlainTextSelection" for s in project.selections) == 97
    assert len(project.codings) == 97
    assert project.cases == [] and project.sets == [] and project.variables == {}

    # Independent check: slice the raw file (BOM dropped, CRLF kept) in UTF-16 code units.
    with zipfile.ZipFile(path) as archive:
        member = next(
            n for n in archive.namelist() if n.startswith("Sources/") and n.endswith(".txt")
        )
        raw = archive.read(member)
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    utf16 = raw[3:].decode("utf-8").encode("utf-16-le")
    import re

    qde = zipfile.ZipFile(path).read("project.qde").decode("utf-8")
    spans = [
        (int(a), int(b)) for a, b in re.findall(r'startPosition="(\d+)" endPosition="(\d+)"', qde)
    ]
    expected = [utf16[2 * a : 2 * b].decode("utf-16-le") for a, b in spans]
    tables = refi.project_tables(project)
    by_selection = [s.quote for s in project.selections]
    assert by_selection == expected
    # The file has emoji, so counting code points would give other text for some selections.
    text = raw[3:].decode("utf-8")
    assert sum(text[a:b] != e for (a, b), e in zip(spans, expected, strict=True)) > 10
    assert tables.codings.height == 97
    assert tables.participants["participant_id"].to_list() == [project.sources[0].name]
    assert any("UTF-16" in w for w in tables.warnings)
    # Converted positions index the decoded text in code points.
    row = tables.codings.row(50, named=True)
    assert text[row["start"] : row["end"]] == row["quote"]


def test_nvivo_mac_codebook_without_codings(fixtures_dir: Path) -> None:
    project = refi.read_project_file(fixtures_dir / "qda" / "nvivo-15-mac-codebook-no-codings.qdpx")
    assert len(project.codes) == 262
    assert _kinds(project) == {"TextSource": 2}
    assert project.selections == [] and project.codings == []
    tables = refi.project_tables(project)
    assert tables.codebook.height == 262
    assert tables.codebook["code_id"].n_unique() == 262  # repeated names made unique
    assert any("used more than once" in w for w in tables.warnings)


def test_hand_authored_with_cases(fixtures_dir: Path) -> None:
    project = refi.read_project_file(fixtures_dir / "qda" / "hand-authored-with-cases.qde")
    assert len(project.codes) == 4
    assert sum(s.kind == "TextSource" for s in project.sources) == 1
    assert sum(s.kind == "PlainTextSelection" for s in project.selections) == 2
    assert len(project.codings) == 7
    assert len(project.cases) == 1 and len(project.cases[0].values) == 2
    tables = refi.project_tables(project)
    assert tables.participants.to_dicts() == [
        {"participant_id": "Participant 1", "age": 34.0, "consented": "true"}
    ]
    assert tables.attribute_types == {"age": "numeric", "consented": "categorical"}
    text = tables.codings.filter(pl.col("source") == "Interview 1.txt")
    assert text["code_id"].to_list() == ["Health", "Diet"]
    assert text["quote"].to_list() == [
        "Diet and health",
        "health are closely",
    ]  # names: no source file
    # Tree: Topics (not codable) > Health > Diet; Wellbeing under Topics.
    parents = dict(tables.codebook.select("code_id", "parent_id").iter_rows())
    assert parents == {"Topics": None, "Health": "Topics", "Diet": "Health", "Wellbeing": "Topics"}
    assert tables.codebook.filter(pl.col("code_id") == "Diet")["color"].item() == "#dc0000"


def test_f4_only_coded_selections_count(fixtures_dir: Path) -> None:
    project = refi.read_project_file(fixtures_dir / "qda" / "f4analyse-2025-valid-document.qde")
    assert len(project.codes) == 1
    assert _kinds(project) == {"TextSource": 4}
    assert len(project.selections) == 4 and len(project.codings) == 2
    tables = refi.project_tables(project)
    assert tables.participants.height == 4
    assert tables.codings["participant_id"].to_list() == ["Interview 60mins"] * 2
    assert tables.codings.select("start", "end").rows() == [(320, 416), (995, 1260)]


def test_qualcoder_codebook_with_bom_and_crlf(fixtures_dir: Path) -> None:
    path = fixtures_dir / "qda" / "qualcoder-3.8.2-codebook.qdc"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    codebook, warnings = refi.read_codebook(path)
    assert codebook.height == 38
    # 6 categories (isCodable="false") are the nodes with no colour of their own.
    assert codebook.filter(pl.col("color").is_null()).height == 6
    assert codebook.filter(pl.col("color").is_not_null()).height == 32
    fidelity = codebook.filter(pl.col("label") == "Curriculum fidelity").row(0, named=True)
    assert (
        fidelity["description"]
        == "Teacher follows the published sequence.\nSecond line, after a hard break."
    )
    assert (
        codebook.filter(pl.col("label") == "Implementation Quality")["code_id"].item()
        == fidelity["parent_id"]
    )
    assert warnings == ()


def test_taguette_codebook_with_empty_sets(fixtures_dir: Path) -> None:
    codebook, _ = refi.read_codebook(fixtures_dir / "qda" / "taguette-1.4.1-codebook.qdc")
    assert codebook["code_id"].to_list() == ["interesting", "Scarcity", "public opinion"]
    assert codebook["parent_id"].null_count() == 3 and codebook["color"].null_count() == 3


def test_codebook_of_a_project_file_is_refused_as_qdc_root(tmp_path: Path) -> None:
    path = tmp_path / "x.qdc"
    path.write_text('<Other xmlns="urn:QDA-XML:codebook:1.0"/>', encoding="utf-8")
    with pytest.raises(InputError, match="not a REFI-QDA codebook"):
        refi.read_codebook(path)


# --- hand-made projects ------------------------------------------------------------------------

NS = "urn:QDA-XML:project:1.0"
TEXT = "\ufeffAnna: I was tired 😴 all the time.\r\nBen: Pain, mostly at night.\r\nAnna: Nobody knew the disease.\r\n"


def _qdpx(tmp_path: Path, qde: str, texts: dict[str, str], name: str = "study.qdpx") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", qde)
        for member, text in texts.items():
            archive.writestr(f"sources/{member}", text.encode("utf-8"))
    return path


def _span(needle: str) -> tuple[int, int]:
    body = TEXT.removeprefix("\ufeff")
    start = body.index(needle)
    return start, start + len(needle)


def _selection(guid: str, needle: str, code: str, user: str = "u1", name: str | None = None) -> str:
    start, end = _span(needle)
    label = needle if name is None else name
    return (
        f'<PlainTextSelection guid="{guid}" name="{label}" startPosition="{start}" endPosition="{end}" creatingUser="{user}">'
        f'<Coding guid="c-{guid}" creatingUser="{user}"><CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
    )


def _project(body: str, *, ns: str = NS, codes: str = "", extra: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="{ns}" name="Focus group" origin="hand-made">'
        '<Users><User guid="u1" name="Coder One"/><User guid="u2" name="Coder Two"/></Users>'
        '<CodeBook><Codes><Code guid="k-domain" name="Burden" isCodable="false">'
        '<Code guid="k-fatigue" name="Fatigue" isCodable="true"/><Code guid="k-pain" name="Pain" isCodable="true"/>'
        f'<Code guid="k-unknown" name="Not understood" isCodable="true"/></Code>{codes}</Codes></CodeBook>'
        f"{extra}"
        '<Sources><TextSource guid="s1" name="Focus group 1" plainTextPath="internal://t1.txt">'
        f"{body}</TextSource></Sources></Project>"
    )


def test_cases_with_selection_refs_and_typed_variables(tmp_path: Path) -> None:
    selections = (
        _selection("sel-anna-1", "Anna: I was tired 😴 all the time.", "k-fatigue")
        + _selection("sel-ben", "Ben: Pain, mostly at night.", "k-pain", user="u2")
        + _selection("sel-anna-2", "Nobody knew the disease.", "k-unknown")
    )
    cases = (
        '<Variables><Variable guid="v-age" name="Age at onset" typeOfVariable="Integer"/>'
        '<Variable guid="v-score" name="Pain score" typeOfVariable="Float"/>'
        '<Variable guid="v-status" name="Disease status" typeOfVariable="Text"/>'
        '<Variable guid="v-ok" name="Consented" typeOfVariable="Boolean"/></Variables>'
        '<Cases><Case guid="case-anna" name="Anna">'
        '<VariableValue><VariableRef targetGUID="v-age"/><IntegerValue>41</IntegerValue></VariableValue>'
        '<VariableValue><VariableRef targetGUID="v-score"/><FloatValue>6.5</FloatValue></VariableValue>'
        '<VariableValue><VariableRef targetGUID="v-status"/><TextValue>Active</TextValue></VariableValue>'
        '<VariableValue><VariableRef targetGUID="v-ok"/><BooleanValue>true</BooleanValue></VariableValue>'
        '<SelectionRef targetGUID="sel-anna-1"/><SelectionRef targetGUID="sel-anna-2"/></Case>'
        '<Case guid="case-ben" name="Ben">'
        '<VariableValue><VariableRef targetGUID="v-age"/><IntegerValue>63</IntegerValue></VariableValue>'
        '<VariableValue><VariableRef targetGUID="v-status"/><TextValue>Remission</TextValue></VariableValue>'
        '<SelectionRef targetGUID="sel-ben"/></Case>'
        '<Case guid="case-cleo" name="Cleo"/></Cases>'
    )
    path = _qdpx(tmp_path, _project(selections, extra=cases), {"t1.txt": TEXT})
    tables = refi.read_refi(path)
    people = tables.participants
    assert people["participant_id"].to_list() == [
        "Anna",
        "Ben",
        "Cleo",
    ]  # Cleo: no coding, still counted
    assert people["age_at_onset"].to_list() == [41.0, 63.0, None]
    assert people["pain_score"].to_list() == [6.5, None, None]
    assert people["disease_status"].to_list() == ["Active", "Remission", None]
    assert people["consented"].to_list() == ["true", None, None]
    assert tables.attribute_types == {
        "age_at_onset": "numeric",
        "pain_score": "numeric",
        "disease_status": "categorical",
        "consented": "categorical",
    }
    codings = tables.codings.select("participant_id", "code_id", "quote", "coder").rows()
    assert codings == [
        ("Anna", "Fatigue", "Anna: I was tired 😴 all the time.", "Coder One"),
        ("Ben", "Pain", "Ben: Pain, mostly at night.", "Coder Two"),
        ("Anna", "Not understood", "Nobody knew the disease.", "Coder One"),
    ]
    body = TEXT.removeprefix("\ufeff")
    for row in tables.codings.iter_rows(named=True):
        assert body[row["start"] : row["end"]] == row["quote"]
    assert not any("differs" in w for w in tables.warnings)


def test_case_codes_give_participants_and_leave_the_codebook(tmp_path: Path) -> None:
    anna_turns = _span("Anna: I was tired 😴 all the time.")
    ben_turn = _span("Ben: Pain, mostly at night.")
    case_selections = (
        f'<PlainTextSelection guid="cs-anna" startPosition="{anna_turns[0]}" endPosition="{anna_turns[1]}">'
        '<Coding guid="cc1"><CodeRef targetGUID="case-anna"/></Coding></PlainTextSelection>'
        f'<PlainTextSelection guid="cs-ben" startPosition="{ben_turn[0]}" endPosition="{ben_turn[1]}">'
        '<Coding guid="cc2"><CodeRef targetGUID="case-ben"/></Coding></PlainTextSelection>'
    )
    themes = _selection("t-fatigue", "tired 😴 all", "k-fatigue") + _selection(
        "t-pain", "mostly at night", "k-pain"
    )
    codes = '<Code guid="case-anna" name="Anna" isCodable="true"/><Code guid="case-ben" name="Ben" isCodable="true"/>'
    cases = '<Cases><Case guid="case-anna" name="Anna"/><Case guid="case-ben" name="Ben"/></Cases>'
    path = _qdpx(
        tmp_path, _project(case_selections + themes, codes=codes, extra=cases), {"t1.txt": TEXT}
    )
    tables = refi.read_refi(path)
    assert tables.participants["participant_id"].to_list() == ["Anna", "Ben"]
    assert "Anna" not in tables.codebook["code_id"].to_list()
    assert tables.codings.select("participant_id", "code_id").rows() == [
        ("Anna", "Fatigue"),
        ("Ben", "Pain"),
    ]
    assert any("share their GUID with a Case" in w for w in tables.warnings)


def test_namespace_variant_is_a_warning(tmp_path: Path) -> None:
    qde = _project(
        _selection("a", "Ben: Pain, mostly at night.", "k-pain"), ns="urn:QDA-XML:project:1:0"
    )
    path = _qdpx(tmp_path, qde, {"t1.txt": TEXT})
    tables = refi.read_refi(path)
    assert tables.codings["code_id"].to_list() == ["Pain"]
    assert any("namespace 'urn:QDA-XML:project:1:0'" in w for w in tables.warnings)
    assert any("one participant" in w for w in tables.warnings)


def test_offset_mismatch_names_the_selection(tmp_path: Path) -> None:
    wrong = _selection(
        "sel-off", "Ben: Pain, mostly at night.", "k-pain", name="Something else entirely"
    )
    path = _qdpx(tmp_path, _project(wrong), {"t1.txt": TEXT})
    tables = refi.read_refi(path)
    assert any("sel-off" in w and "differs" in w for w in tables.warnings)
    outside = '<PlainTextSelection guid="sel-far" name="far away" startPosition="500" endPosition="600"><Coding guid="x"><CodeRef targetGUID="k-pain"/></Coding></PlainTextSelection>'
    path = _qdpx(tmp_path, _project(outside), {"t1.txt": TEXT}, name="far.qdpx")
    tables = refi.read_refi(path)
    assert tables.codings["quote"].to_list() == ["far away"]
    assert any("sel-far" in w and "outside the text" in w for w in tables.warnings)


def test_absolute_sources_are_not_read_from_disk(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me", encoding="utf-8")
    qde = (
        f'<Project xmlns="{NS}" name="x"><CodeBook><Codes><Code guid="k" name="K" isCodable="true"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="s" name="S" plainTextPath="absolute://{secret}">'
        '<PlainTextSelection guid="p" name="fallback name" startPosition="0" endPosition="6">'
        "<Representation guid='r'><PlainTextContent>own text</PlainTextContent></Representation>"
        '<Coding guid="c"><CodeRef targetGUID="k"/></Coding></PlainTextSelection></TextSource></Sources></Project>'
    )
    path = tmp_path / "p.qde"
    path.write_text(qde, encoding="utf-8")
    tables = refi.read_refi(path)
    assert tables.codings["quote"].to_list() == ["own text"]
    assert any("not read from disk" in w for w in tables.warnings)


def test_bare_qde_reads_a_sources_folder_beside_it(tmp_path: Path) -> None:
    (tmp_path / "Sources").mkdir()
    (tmp_path / "Sources" / "t1.txt").write_bytes(TEXT.encode("utf-8"))
    (tmp_path / "project.qde").write_text(
        _project(_selection("b", "Ben: Pain, mostly at night.", "k-pain")), encoding="utf-8"
    )
    tables = refi.read_refi(tmp_path / "project.qde")
    assert tables.codings["quote"].to_list() == ["Ben: Pain, mostly at night."]


def test_a_codebook_is_not_a_project(tmp_path: Path) -> None:
    path = tmp_path / "c.qde"
    path.write_text(
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>', encoding="utf-8"
    )
    with pytest.raises(InputError, match=r"not <Project>"):
        refi.read_refi(path)


def test_utf16_to_codepoints_matches_python_encoding() -> None:
    text = "a😴b𝄞c"
    mapping = refi.utf16_to_codepoints(text)
    encoded = text.encode("utf-16-le")
    for start in range(len(encoded) // 2 + 1):
        prefix = encoded[: 2 * start].decode("utf-16-le", errors="ignore")
        assert mapping[start] == len(prefix)


@given(st.text(), st.data())
def test_utf16_slices_agree_with_the_utf16_encoding(text: str, data: st.DataObject) -> None:
    encoded = text.encode("utf-16-le", errors="surrogatepass")
    # Boundaries between code points, in UTF-16 units.
    bounds = [0]
    for char in text:
        bounds.append(bounds[-1] + (2 if ord(char) > 0xFFFF else 1))
    start = data.draw(st.sampled_from(bounds))
    end = data.draw(st.sampled_from([b for b in bounds if b >= start]))
    expected = encoded[2 * start : 2 * end].decode("utf-16-le", errors="surrogatepass")
    assert _slice(text, start, end, "utf16") == expected
    assert _slice(text, start, end, "codepoints") == (text[start:end] if end <= len(text) else None)
