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


def test_many_tied_themes_are_counted_not_listed(tmp_path: Path) -> None:
    """With thousands of themes tied, a finding names a few and counts the rest (the table
    lists every one): a SYNTHETIC study whose 40 themes are each voiced by both participants."""
    from toolkit.analysis import load
    from toolkit.report.sentences import MOST_NAMED

    themes = [f"t{i:02d}" for i in range(40)]
    (tmp_path / "participants.csv").write_text("participant_id\nP1\nP2\n", encoding="utf-8")
    (tmp_path / "codebook.csv").write_text(
        "code_id,label,parent_id\n" + "".join(f"{t},Theme {t},\n" for t in themes),
        encoding="utf-8",
    )
    (tmp_path / "codings.csv").write_text(
        "participant_id,code_id\n" + "".join(f"P{p},{t}\n" for t in themes for p in (1, 2)),
        encoding="utf-8",
    )
    (tmp_path / "study.yml").write_text(
        "study: {id: ties, title: Ties, condition: {name: X}, synthetic: true}\n"
        "inputs: {participants: participants.csv, codebook: codebook.csv, codings: codings.csv}\n",
        encoding="utf-8",
    )
    tied, settings = load(tmp_path)
    first = key_findings(tied, analyse_study(tied, settings))[0]
    assert f"and {40 - (MOST_NAMED - 1)} other themes were tied as the most often voiced" in first
    assert first.count("Theme t") == MOST_NAMED - 1
