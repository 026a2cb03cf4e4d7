"""Saturation at code level as well as theme level, and the interview order from a number
attribute (Guest, Namey & Chen 2020). Every study below is SYNTHETIC."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import UsageError
from toolkit.io.study import load_study
from toolkit.model import Study
from toolkit.stats.saturation import saturation

CODEBOOK = (
    "code_id,label,parent_id\nbody,Body,\npain,Pain,body\nfatigue,Fatigue,body\nitch,Itch,body\n"
)


def _study(root: Path, codings: list[tuple[str, str]], participants: str) -> Study:
    root.mkdir(parents=True)
    (root / "participants.csv").write_text(participants)
    (root / "codebook.csv").write_text(CODEBOOK)
    (root / "codings.csv").write_text(
        "participant_id,code_id\n" + "".join(f"{p},{c}\n" for p, c in codings)
    )
    (root / "study.yml").write_text(
        "study:\n  id: synthetic-saturation\n  title: Synthetic\n  condition: {name: Testing}\n"
        "  synthetic: true\n"
        "inputs: {participants: participants.csv, codebook: codebook.csv, codings: codings.csv}\n"
        "attributes:\n  interview_number: {type: numeric}\n"
    )
    return load_study(root)


def test_codes_keep_coming_after_the_themes_saturate(tmp_path: Path) -> None:
    # Listed out of order; interview_number puts P1..P6 in order. Every interview voices the
    # one theme (body), but interviews 5 and 6 bring new codes (fatigue, itch) under it.
    participants = "participant_id,interview_number\nP6,6\nP2,2\nP1,1\nP3,3\nP4,4\nP5,5\n"
    codings = [("P1", "pain"), ("P2", "pain"), ("P3", "pain"), ("P4", "pain")]
    codings += [("P5", "fatigue"), ("P6", "itch")]
    study = _study(tmp_path / "s", codings, participants)
    themes = saturation(study, base=2, run=2, threshold=0.0, depth=0)
    codes = saturation(study, base=2, run=2, threshold=0.0, level="codes")
    assert themes.order_by == "interview_number"
    assert themes.curve["participant_id"].to_list() == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert themes.point == 2 and themes.themes_total == 1
    # By hand, code level: base {pain} after 2 interviews; runs 3–4 add nothing (n = 2
    # confirmed), but the curve still counts fatigue and itch at 5 and 6.
    assert codes.themes_total == 3 and codes.level == "codes"
    assert codes.curve["new_themes"].to_list() == [1, 0, 0, 0, 1, 1]
    assert codes.statement.startswith("code level:")
    late = saturation(study, base=4, run=2, threshold=0.0, level="codes")
    assert late.point is None  # interviews 5-6 bring 2 new codes after a base of 1
    assert saturation(study, base=4, run=2, threshold=0.0, depth=0).point == 4
    with pytest.raises(UsageError, match="'themes' or 'codes'"):
        saturation(study, level="words")
