"""Terminal tables at 80 columns: long labels wrap, numbers never disappear."""

from __future__ import annotations

import re

import pytest

from toolkit.analysis import analyse_prevalence, settings_for
from toolkit.cli.views import prevalence_view
from toolkit.testing import make_study

LONG = "Experiences of diagnostic delay and of being disbelieved by health professionals"


@pytest.mark.parametrize("width", [60, 80])
def test_numbers_survive_a_narrow_terminal(width: int) -> None:
    from rich.console import Console

    labels = [f"{LONG} ({i})" for i in range(3)]
    study = make_study(
        {"participant_id": ["a", "b", "c", "d", "e"]},
        {"code_id": ["x", "y", "z"], "label": labels, "parent_id": ["", "x", "x"]},
        {"participant_id": ["a", "b", "c", "a", "e"], "code_id": ["x", "y", "y", "z", "z"]},
    )
    results = analyse_prevalence(study, settings_for(study))
    console = Console(width=width, record=True, force_terminal=False, color_system=None)
    for table in prevalence_view(results):
        console.print(table)
    text = console.export_text()
    frame = results.need("prevalence")
    for row in frame.iter_rows(named=True):
        assert f"{row['participants']}/{row['denominator']}" in text
        assert f"{100 * row['prevalence']:.0f}%" in text
        assert re.search(rf"{100 * row['ci_lower']:.0f}%–{100 * row['ci_upper']:.0f}%", text)
    assert all(len(line) <= width for line in text.splitlines())
    assert "…" not in text  # nothing cut: the labels wrap


def test_hidden_segments_are_blank_not_none() -> None:
    from rich.console import Console

    study = make_study(
        {"participant_id": [f"p{i}" for i in range(8)]},
        {"code_id": ["x", "y"]},
        {"participant_id": ["p0", "p1", "p2", "p3", "p0"], "code_id": ["x", "x", "x", "x", "y"]},
        analysis={"min_cell": 3},
    )
    results = analyse_prevalence(study, settings_for(study))
    assert results.need("prevalence")["suppressed"].any()
    console = Console(width=80, record=True, color_system=None)
    for table in prevalence_view(results):
        console.print(table)
    text = console.export_text()
    assert "suppressed" in text and "None" not in text
