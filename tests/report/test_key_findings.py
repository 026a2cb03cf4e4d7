"""Key findings (issue 12 item 1): descriptive, ties as ties, a subgroup difference only
when both groups have at least ``report.min_subgroup`` participants, in codebook order,
never ranked by the size of the difference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from toolkit.analysis import analyse_study, resolve_settings
from toolkit.io.study import load_study
from toolkit.report.sentences import key_findings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "calciphylaxis"


@pytest.fixture(scope="module")
def study():  # type: ignore[no-untyped-def]
    return load_study(EXAMPLE)


def _findings(study, **overrides):  # type: ignore[no-untyped-def]
    settings = resolve_settings(study.manifest, **overrides)
    return key_findings(study, analyse_study(study, settings))


def test_small_groups_give_no_difference(study) -> None:  # type: ignore[no-untyped-def]
    sentences = _findings(study)
    assert any("tied as the most often voiced themes" in s for s in sentences)
    differences = [s for s in sentences if s.startswith("By ")]
    assert len(differences) == 2  # disease status (6 and 9) and sex (3 and 12)
    assert all("fewer than 10 participants" in s for s in differences)


def test_groups_big_enough_are_described_in_codebook_order(study) -> None:  # type: ignore[no-untyped-def]
    sentences = _findings(study, min_subgroup=6)
    by_status = next(s for s in sentences if s.startswith("By disease status"))
    by_sex = next(s for s in sentences if s.startswith("By sex"))
    assert "fewer than 6 participants" in by_sex  # 3 men
    assert "not tested as hypotheses" in by_status and "p =" not in by_status
    themes = re.findall(r"(?:: |; )([A-Z][^;:]*?) \d+/\d+ against", by_status)
    order = [
        "Pain",
        "Wounds and skin",
        "Treatment burden",
        "Physical function",
        "Living with uncertainty",
    ]
    assert themes[:5] == order  # codebook order, not the largest difference first


def test_the_manifest_sets_the_threshold(study) -> None:  # type: ignore[no-untyped-def]
    assert resolve_settings(study.manifest).min_subgroup == 10
