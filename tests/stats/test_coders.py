"""Coder uncertainty: prevalence per coder, for the union and for the intersection."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from toolkit.io.study import load_study
from toolkit.stats.coders import coder_prevalence
from toolkit.stats.prevalence import prevalence

REPO = Path(__file__).resolve().parents[2]


def _study(root: Path):  # type: ignore[no-untyped-def]
    # SYNTHETIC: P1-P4 coded by a and b, P5 by a only, P6 by nobody.
    root.mkdir(parents=True)
    (root / "participants.csv").write_text("participant_id\nP1\nP2\nP3\nP4\nP5\nP6\n")
    (root / "codebook.csv").write_text(
        "code_id,label,parent_id\nbody,Body,\npain,Pain,body\nfatigue,Fatigue,body\nfear,Fear,\n"
    )
    (root / "codings.csv").write_text(
        "participant_id,code_id,coder\nP1,pain,a\nP1,pain,b\nP2,pain,a\nP2,fatigue,b\n"
        "P3,fear,a\nP3,fear,b\nP4,pain,a\nP4,fear,b\nP5,pain,a\n"
    )
    (root / "study.yml").write_text(
        "study:\n  id: synthetic-coders\n  title: Synthetic\n  condition: {name: Testing}\n"
        "  synthetic: true\n"
        "inputs: {participants: participants.csv, codebook: codebook.csv, codings: codings.csv}\n"
    )
    return load_study(root)


def _get(frame: pl.DataFrame, code: str, coder: str) -> tuple[int, int]:
    row = frame.filter((pl.col("code_id") == code) & (pl.col("coder") == coder)).row(0, named=True)
    return row["participants"], row["denominator"]


def test_per_coder_union_and_intersection_by_hand(tmp_path: Path) -> None:
    frame = coder_prevalence(_study(tmp_path / "s"))
    # pain: a coded P1, P2, P4, P5 (of the 5 a coded); b coded P1 (of 4).
    assert _get(frame, "pain", "a") == (4, 5)
    assert _get(frame, "pain", "b") == (1, 4)
    assert _get(frame, "pain", "union") == (4, 6)
    # Intersection: P1 (both), P5 (a alone coded P5); P2 and P4 only a of the two.
    assert _get(frame, "pain", "intersection") == (2, 6)
    # body rolls up: a has P1, P2, P4, P5; b has P1, P2 -> both: P1, P2, P5.
    assert _get(frame, "body", "intersection") == (3, 6)
    assert frame["coder"].unique(maintain_order=True).to_list() == [
        "a",
        "b",
        "union",
        "intersection",
    ]


def test_union_is_raremix_prevalence_and_bounds_the_intersection() -> None:
    study = load_study(REPO / "examples" / "calciphylaxis")
    frame = coder_prevalence(study)
    own = prevalence(study).filter(pl.col("stratum_variable").is_null())
    union = frame.filter(pl.col("coder") == "union").join(own, on="code_id", suffix="_own")
    assert (union["participants"] == union["participants_own"]).all()
    assert union["ci_lower"].to_list() == pytest.approx(union["ci_lower_own"].to_list())
    both = frame.filter(pl.col("coder") == "intersection").join(
        frame.filter(pl.col("coder") == "union"), on="code_id", suffix="_union"
    )
    assert (both["participants"] <= both["participants_union"]).all()
    assert (both["participants"] < both["participants_union"]).any()
