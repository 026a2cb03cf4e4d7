"""Saturation after Guest, Namey and Chen (2020), on hand-worked SYNTHETIC examples."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.analysis import resolve_settings
from toolkit.errors import UsageError
from toolkit.io.study import load_study
from toolkit.model import Study
from toolkit.stats.prevalence import prevalence
from toolkit.stats.saturation import CURVE_COLUMNS, Saturation
from toolkit.stats.saturation import saturation as assess


def saturation(
    study: Study,
    *,
    base: int | None = None,
    run: int | None = None,
    threshold: float | None = None,
    depth: int | None = None,
) -> Saturation:
    """The statistics function with the study's settings, resolved as the commands do."""
    settings = resolve_settings(
        study.manifest, saturation_base=base, saturation_run=run, saturation_threshold=threshold
    )
    chosen = settings.saturation
    return assess(
        study,
        base=chosen.base,
        run=chosen.run,
        threshold=chosen.threshold,
        depth=depth,
        order_by=settings.order_by,
        coder=settings.coder,
    )


THEMES = [f"t{i:02d}" for i in range(1, 26)]
FLAT_CODEBOOK = "code_id,label,parent_id\n" + "".join(f"{t},Theme {t},\n" for t in THEMES)

# Interviews in the order held, with the themes voiced (worked by hand in the docstring of
# test_worked_example).
WORKED = [
    [f"t{i:02d}" for i in range(1, 11)],
    [f"t{i:02d}" for i in range(5, 15)],
    ["t01", "t02", "t03", "t15"],
    ["t16", "t17"],
    ["t18"],
    ["t01"],
    ["t19"],
    ["t02"],
    ["t03"],
    [],
]


def write_study(
    root: Path,
    interviews: list[list[str]],
    *,
    order_column: str | None = "interview_order",
    order_values: list[str] | None = None,
    analysis: str = "",
    attributes: str = "",
) -> Study:
    """A SYNTHETIC flat-codebook study; participants listed in reverse interview order."""
    root.mkdir(parents=True, exist_ok=True)
    ids = [f"P{i + 1:02d}" for i in range(len(interviews))]
    values = order_values or [str(i + 1) for i in range(len(interviews))]
    header = "participant_id" + (f",{order_column}" if order_column else "")
    lines = [header] + [
        pid + (f",{value}" if order_column else "")
        for pid, value in reversed(list(zip(ids, values, strict=True)))
    ]
    (root / "participants.csv").write_text("\n".join(lines) + "\n")
    (root / "codebook.csv").write_text(FLAT_CODEBOOK)
    codings = ["participant_id,code_id"] + [
        f"{pid},{t}" for pid, themes in zip(ids, interviews, strict=True) for t in themes
    ]
    (root / "codings.csv").write_text("\n".join(codings) + "\n")
    (root / "study.yml").write_text(
        "study:\n  id: synthetic-test\n  title: Synthetic test study\n"
        "  condition: {name: Testing}\n  synthetic: true\n"
        "inputs: {participants: participants.csv, codebook: codebook.csv, codings: codings.csv}\n"
        + (f"attributes:\n{attributes}" if attributes else "")
        + (f"analysis:\n{analysis}" if analysis else "")
    )
    return load_study(root)


def test_worked_example(tmp_path: Path) -> None:
    """Base 4, run 2, ≤5%.

    After interview 4 the base (1–4) holds t01–t17 = 17 themes; the run 5–6 brings t18:
    1/17 = 5.9% > 5%. Base 2–5 = 17 themes, run 6–7 brings t19: 1/17. Base 3–6 = {t01–t03,
    t15–t18} = 7, run 7–8 brings t19: 1/7. Base 4–7 = {t16–t19, t01} = 5, run 8–9 brings
    nothing new: 0/5 = 0% → saturation at n = 7, confirmed by interviews 8–9.
    """
    study = write_study(tmp_path / "s", WORKED)
    result = saturation(study)
    curve = result.curve
    assert curve.columns == list(CURVE_COLUMNS)
    assert curve["participant_id"].to_list() == [
        f"P{i:02d}" for i in range(1, 11)
    ]  # ordered by interview_order
    assert curve["new_themes"].to_list() == [10, 4, 1, 2, 1, 0, 1, 0, 0, 0]
    assert curve["cumulative_themes"].to_list() == [10, 14, 15, 17, 18, 18, 19, 19, 19, 19]
    assert curve["base_themes"].to_list()[3:7] == [17, 17, 7, 5]
    assert curve["run_new_themes"].to_list()[3:7] == [1, 1, 1, 0]
    assert curve["new_information"].to_list()[3:7] == pytest.approx([1 / 17, 1 / 17, 1 / 7, 0.0])
    assert curve["run_new_themes"].to_list()[8:] == [None, None]  # fewer than 2 interviews follow
    assert result.point == 7
    assert result.order_by == "interview_order"
    assert result.themes_total == 19
    assert (
        result.statement
        == "saturation at n = 7 (base 4, run 2, ≤5% new information; confirmed by interviews 8–9)"
    )
    # A looser threshold is met by the very first run (1/17 = 5.9%).
    assert saturation(study, threshold=0.06).point == 4
    # Settings come from the manifest when not given.
    strict = write_study(
        tmp_path / "m", WORKED, analysis="  saturation: {base: 4, run: 3, threshold: 0.0}\n"
    )
    result = saturation(strict)
    # base 4–7 (5 themes), run 8–10: nothing new
    assert (result.point, result.run, result.threshold) == (7, 3, 0.0)
    assert "≤0% new information; confirmed by interviews 8–10" in result.statement


def test_not_reached_and_not_assessable(tmp_path: Path) -> None:
    every_time_new = [[t] for t in THEMES[:8]]
    result = saturation(write_study(tmp_path / "a", every_time_new))
    assert result.point is None
    assert (
        result.statement
        == "saturation not reached in 8 interviews (base 4, run 2, ≤5% new information)"
    )
    short = saturation(write_study(tmp_path / "b", WORKED[:5]))
    assert short.point is None
    assert short.statement.startswith("not assessable: 5 interview(s), fewer than base + run = 6")


def test_orders(tmp_path: Path) -> None:
    # no order attribute: the participants table order (written in reverse here)
    plain = saturation(write_study(tmp_path / "plain", WORKED, order_column=None))
    assert plain.order_by is None
    assert plain.curve["participant_id"][0] == "P10"
    # a date attribute, found by its name
    dates = [f"2024-0{1 + i // 5}-{10 + i:02d}" for i in range(10)]
    dated = saturation(
        write_study(tmp_path / "dated", WORKED, order_column="interview_date", order_values=dates)
    )
    assert dated.order_by == "interview_date"
    assert dated.curve["participant_id"].to_list()[:3] == ["P01", "P02", "P03"]
    assert dated.point == 7
    # analysis.order_by wins over interview_order
    chosen = write_study(tmp_path / "chosen", WORKED, analysis="  order_by: interview_order\n")
    assert saturation(chosen).order_by == "interview_order"


def test_order_problems_are_usage_errors(tmp_path: Path) -> None:
    values = [str(i) for i in range(1, 10)] + [""]
    with pytest.raises(
        UsageError,
        match=r"'interview_order' orders the interviews for saturation but is missing for 1 participant\(s\): P10",
    ):
        saturation(write_study(tmp_path / "missing", WORKED, order_values=values))
    dates = ["2024-01-01"] * 9 + ["last spring"]
    with pytest.raises(UsageError, match="not dates"):
        saturation(
            write_study(
                tmp_path / "dates", WORKED, order_column="interview_date", order_values=dates
            )
        )
    study = write_study(tmp_path / "ok", WORKED)
    with pytest.raises(UsageError, match="base size must be at least 1"):
        saturation(study, base=0)
    with pytest.raises(UsageError, match="threshold is a fraction"):
        saturation(study, threshold=5)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25)
@given(
    st.lists(st.lists(st.sampled_from(THEMES[:12]), max_size=6), min_size=1, max_size=12),
    st.integers(0, 2**16),
)
def test_curve_is_non_decreasing_and_ends_at_the_themes_used(
    tmp_path: Path, interviews: list[list[str]], seed: int
) -> None:
    order = list(range(1, len(interviews) + 1))
    random.Random(seed).shuffle(order)
    root = tmp_path / f"h{seed}-{abs(hash(str(interviews)))}"
    study = write_study(root, interviews, order_values=[str(v) for v in order])
    result = saturation(study, base=2, run=1)
    cumulative = result.curve["cumulative_themes"].to_list()
    assert all(a <= b for a, b in itertools.pairwise(cumulative))
    voiced = prevalence(study).filter(pl.col("participants") > 0).height
    assert cumulative[-1] == result.themes_total == voiced
    assert sum(result.curve["new_themes"].to_list()) == voiced


def test_a_study_with_no_coding_is_not_called_saturated() -> None:
    # Eight interviews and a codebook, but nobody coded yet: "nothing new" is not saturation.
    from toolkit.testing import make_study

    study = make_study(
        {"participant_id": [f"P{i}" for i in range(1, 9)]},
        {"code_id": ["a"], "label": ["A"], "parent_id": [None]},
        {"participant_id": [], "code_id": []},
    )
    result = saturation(study)
    assert result.point is None
    assert result.statement.startswith("not assessable: no theme was coded in any of the 8")
    assert result.curve["meets_threshold"].null_count() == 8
    assert result.curve["cumulative_themes"].to_list() == [0] * 8
