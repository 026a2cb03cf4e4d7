"""Co-occurrence at participant and segment level, against hand counts and brute force.

Every study written here is SYNTHETIC (invented participants and codes).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.analysis import Settings, analyse_cooccurrence, resolve_settings
from toolkit.errors import UsageError
from toolkit.io.study import load_study
from toolkit.model import Study
from toolkit.stats.cooccurrence import (
    PARTICIPANT_COLUMNS,
    SEGMENT_COLUMNS,
    participant_cooccurrence,
    segment_cooccurrence,
)
from toolkit.stats.prevalence import prevalence

CODEBOOK = """code_id,label,parent_id
body,Body,
pain,Pain,body
burning,Burning pain,pain
fatigue,Fatigue,body
mind,Mind,
fear,Fear,mind
"""


def write_study(root: Path, *, participants: str, codings: str, analysis: str = "") -> Study:
    """A SYNTHETIC study folder in ``root``, loaded."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "participants.csv").write_text(participants)
    (root / "codebook.csv").write_text(CODEBOOK)
    (root / "codings.csv").write_text(codings)
    (root / "study.yml").write_text(
        "study:\n  id: synthetic-test\n  title: Synthetic test study\n"
        "  condition: {name: Testing}\n  synthetic: true\n"
        "inputs: {participants: participants.csv, codebook: codebook.csv, codings: codings.csv}\n"
        + (f"analysis:\n{analysis}" if analysis else "")
    )
    return load_study(root)


PARTICIPANTS = "participant_id\nP1\nP2\nP3\nP4\nP5\n"
CODINGS = """participant_id,code_id,source,start,end,coder
P1,burning,p1.txt,0,50,a
P1,fatigue,p1.txt,40,90,a
P1,fear,p1.txt,90,120,a
P2,pain,p2.txt,0,10,a
P2,fear,p2.txt,5,20,a
P2,fear,p2.txt,5,20,b
P3,fatigue,p3.txt,0,10,a
P3,fear,p3.txt,10,20,a
P4,fear,p4.txt,0,10,
"""


def test_participant_level_hand_counts(tmp_path: Path) -> None:
    study = write_study(tmp_path / "s", participants=PARTICIPANTS, codings=CODINGS)
    frame = participant_cooccurrence(study)  # depth 1: pain, fatigue, fear
    assert frame.columns == list(PARTICIPANT_COLUMNS)
    cell = {(r["code_a"], r["code_b"]): r for r in frame.iter_rows(named=True)}
    assert set(cell) == set(itertools.product(["pain", "fatigue", "fear"], repeat=2))
    # pain (P1 via burning, P2), fear (P1, P2, P3, P4): both P1, P2; either 4
    assert cell["pain", "fear"]["participants_both"] == 2
    assert cell["pain", "fear"]["participants_either"] == 4
    assert cell["pain", "fear"]["jaccard"] == pytest.approx(0.5)
    assert cell["pain", "fatigue"]["participants_both"] == 1
    assert cell["fatigue", "fear"]["jaccard"] == pytest.approx(2 / 4)
    assert frame.get_column("denominator").unique().to_list() == [5]
    roots = participant_cooccurrence(study, depth=0)
    body_mind = roots.filter((pl.col("code_a") == "body") & (pl.col("code_b") == "mind")).row(
        0, named=True
    )
    assert body_mind["participants_both"] == 3  # P1, P2, P3


def test_matrix_is_symmetric_with_x_on_the_diagonal(tmp_path: Path, calciphylaxis: Path) -> None:
    for study in (
        write_study(tmp_path / "s", participants=PARTICIPANTS, codings=CODINGS),
        load_study(calciphylaxis),
    ):
        frame = participant_cooccurrence(study)
        matrix = {
            (r["code_a"], r["code_b"]): r["participants_both"] for r in frame.iter_rows(named=True)
        }
        for (a, b), value in matrix.items():
            assert matrix[b, a] == value
        x = prevalence(study).select("code_id", "participants")
        diagonal = frame.filter(pl.col("code_a") == pl.col("code_b")).join(
            x, left_on="code_a", right_on="code_id"
        )
        assert (diagonal["participants_both"] == diagonal["participants"]).all()


def test_analysis_coder_restricts_the_codings(tmp_path: Path) -> None:
    study = write_study(
        tmp_path / "s", participants=PARTICIPANTS, codings=CODINGS, analysis="  coder: b\n"
    )
    # analysis.coder is a setting: resolved once by the analysis layer, passed to stats
    settings = resolve_settings(study.manifest)
    frame = analyse_cooccurrence(study, settings).cooccurrence
    assert frame is not None
    fear = frame.filter((pl.col("code_a") == "fear") & (pl.col("code_b") == "fear")).row(
        0, named=True
    )
    assert fear["participants_a"] == 1  # only P2 was coded by b
    direct = participant_cooccurrence(study, coder=settings.coder)
    assert direct.drop("suppressed").equals(frame.drop("suppressed"))


def test_segment_level_hand_counts(tmp_path: Path) -> None:
    study = write_study(tmp_path / "s", participants=PARTICIPANTS, codings=CODINGS)
    frame = segment_cooccurrence(study)
    assert frame.columns == list(SEGMENT_COLUMNS)
    cell = {(r["code_a"], r["code_b"]): r for r in frame.iter_rows(named=True)}
    assert ("fear", "fear") not in cell
    # P1: burning [0,50) overlaps fatigue [40,90); fatigue [40,90) touches fear [90,120): no overlap
    assert cell["pain", "fatigue"]["overlapping_pairs"] == 1
    # P2: pain [0,10) overlaps fear [5,20) of coder a; coder b's fear segment is not paired with a's pain
    assert cell["pain", "fear"]["overlapping_pairs"] == 1
    assert cell["pain", "fear"]["participants"] == 1
    # P3: fatigue [0,10) and fear [10,20) only touch
    assert cell["fatigue", "fear"]["overlapping_pairs"] == 0
    assert cell["fear", "pain"] == {
        **cell["pain", "fear"],
        "code_a": "fear",
        "label_a": "Fear",
        "code_b": "pain",
        "label_b": "Pain",
        "segments_a": cell["pain", "fear"]["segments_b"],
        "segments_b": cell["pain", "fear"]["segments_a"],
    }
    assert cell["pain", "fear"]["segments_b"] == 5  # fear segments with positions


def test_segment_level_without_positions_is_a_usage_error(tmp_path: Path) -> None:
    study = write_study(
        tmp_path / "s", participants=PARTICIPANTS, codings="participant_id,code_id\nP1,pain\n"
    )
    with pytest.raises(UsageError, match="needs coded segments with 'source', 'start' and 'end'"):
        segment_cooccurrence(study)


def test_bad_depth(tmp_path: Path) -> None:
    study = write_study(tmp_path / "s", participants=PARTICIPANTS, codings=CODINGS)
    with pytest.raises(
        UsageError, match=r"depth 5 is not in the codebook: its depths run from 0 \(roots\) to 2"
    ):
        participant_cooccurrence(study, depth=5)


segment = st.tuples(
    st.sampled_from(["P1", "P2"]),
    st.sampled_from(["pain", "burning", "fatigue", "fear"]),
    st.integers(0, 30),
    st.integers(1, 15),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(segment, min_size=1, max_size=12))
def test_segment_pairs_equal_a_brute_force_count(
    tmp_path: Path, segments: list[tuple[str, str, int, int]]
) -> None:
    rows = [f"{p},{c},{p}.txt,{s},{s + w}" for p, c, s, w in segments]
    root = tmp_path / f"h{abs(hash(tuple(segments)))}"
    study = write_study(
        root,
        participants=PARTICIPANTS,
        codings="participant_id,code_id,source,start,end\n" + "\n".join(rows) + "\n",
    )
    node = {"pain": "pain", "burning": "pain", "fatigue": "fatigue", "fear": "fear"}
    expected: dict[tuple[str, str], int] = {}
    for a, b in itertools.permutations(segments, 2):
        if a[0] == b[0] and node[a[1]] != node[b[1]] and a[2] < b[2] + b[3] and b[2] < a[2] + a[3]:
            key = (node[a[1]], node[b[1]])
            expected[key] = expected.get(key, 0) + 1
    frame = segment_cooccurrence(study)
    got = {
        (r["code_a"], r["code_b"]): r["overlapping_pairs"]
        for r in frame.iter_rows(named=True)
        if r["overlapping_pairs"]
    }
    assert got == expected


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["P1", "P2", "P3", "P4", "P5"]),
            st.sampled_from(["pain", "burning", "fatigue", "fear"]),
        ),
        max_size=15,
    ),
    st.sampled_from([0, 1, 2]),
)
def test_participant_matrix_is_symmetric_with_x_on_the_diagonal(
    tmp_path: Path, codings: list[tuple[str, str]], depth: int
) -> None:
    root = tmp_path / f"p{depth}-{abs(hash(tuple(codings)))}"
    rows = "participant_id,code_id\n" + "".join(f"{p},{c}\n" for p, c in codings)
    study = write_study(root, participants=PARTICIPANTS, codings=rows)
    frame = participant_cooccurrence(study, depth=depth)
    matrix = {(r["code_a"], r["code_b"]): r for r in frame.iter_rows(named=True)}
    x = dict(prevalence(study).select("code_id", "participants").iter_rows())
    for (a, b), row in matrix.items():
        assert matrix[b, a]["participants_both"] == row["participants_both"]
        assert row["participants_both"] <= min(row["participants_a"], row["participants_b"])
        if a == b:
            assert row["participants_both"] == x[a]


def test_min_cell_blanks_small_counts(tmp_path: Path) -> None:
    study = write_study(tmp_path / "s", participants=PARTICIPANTS, codings=CODINGS)
    assert not participant_cooccurrence(study)["suppressed"].any()
    # suppression is the disclosure gate's, applied by the analysis layer
    settings = Settings(min_cell=3)
    frame = analyse_cooccurrence(study, settings).cooccurrence
    assert frame is not None
    shown = frame.filter(~pl.col("suppressed"))
    for column in ("participants_a", "participants_b", "participants_both"):
        assert not shown[column].is_between(1, 2).any()
    hidden = frame.filter(pl.col("suppressed"))
    assert hidden.height > 0 and hidden["jaccard"].null_count() == hidden.height
    # fear (x = 4) with itself is shown; pain (x = 2) is hidden everywhere
    fear = frame.filter((pl.col("code_a") == "fear") & (pl.col("code_b") == "fear"))
    assert fear["participants_both"].to_list() == [4]
    assert frame.filter(pl.col("code_a") == "pain")["suppressed"].all()
    segments = analyse_cooccurrence(study, settings, unit="segment").segment_cooccurrence
    assert segments is not None
    assert not segments.filter(~pl.col("suppressed"))["participants"].is_between(1, 2).any()
