"""Planning by precision (`raremix plan`): published values, closed forms, properties, CLI."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit import frames
from toolkit.cli import main
from toolkit.errors import UsageError
from toolkit.stats.intervals import z_value
from toolkit.stats.planning import limits, plan, sample_size, widths


@pytest.mark.parametrize(
    ("p", "lower", "upper"),
    [(0.2, 0.05668215, 0.5098375), (0.4, 0.16818033, 0.6873262)],
)
def test_reproduces_the_presize_precision_table(p: float, lower: float, upper: float) -> None:
    """Haynes et al. (2021), presize: precision-based sample size calculation in R, JOSS
    6:3118; the README's table for ``prec_prop(p = c(.2, .4), n = 10, method = "wilson")``:
    p 0.2 → [0.05668215, 0.5098375], p 0.4 → [0.16818033, 0.6873262] (precision is half the
    width: 0.2265777 and 0.2595730)."""
    low, high = limits([10], p, method="wilson")
    assert (low[0], high[0]) == pytest.approx((lower, upper), abs=5e-8)
    half = {0.2: 0.2265777, 0.4: 0.2595730}[p]
    assert widths([10], p)[0] / 2 == pytest.approx(half, abs=5e-8)


@pytest.mark.parametrize(("p", "width"), [(0.5, 0.2), (0.2, 0.1), (0.1, 0.05), (0.3, 0.3)])
def test_wald_sample_size_is_the_textbook_formula(p: float, width: float) -> None:
    """n = z² p (1 − p) / (w/2)², rounded up (Lwanga & Lemeshow 1991, WHO, Table 1's
    formula): for p 0.5 and a width of 0.2 (± 0.1), 97 participants."""
    z = z_value(0.95)
    expected = math.ceil(z * z * p * (1 - p) / (width / 2) ** 2 - 1e-9)
    assert sample_size(p, width, method="wald") == expected
    if (p, width) == (0.5, 0.2):
        assert expected == 97


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.05, 0.95),
    st.floats(0.1, 0.6),
    st.sampled_from(["wilson", "clopper_pearson", "jeffreys", "agresti_coull"]),
)
def test_the_planned_sample_is_the_smallest_that_is_narrow_enough(p, width, method) -> None:  # type: ignore[no-untyped-def]
    n = sample_size(p, width, method=method)
    assert n is not None
    assert widths([n], p, method=method)[0] <= width + 1e-12
    if n > 1:
        assert (widths(list(range(1, n)), p, method=method) > width + 1e-12).all()


def test_a_finite_population_needs_fewer_interviews() -> None:
    infinite = sample_size(0.2, 0.3, method="clopper_pearson")
    finite = sample_size(0.2, 0.3, method="hypergeometric", population=60)
    assert finite is not None and infinite is not None and finite < infinite
    # Interviewing everyone leaves no sampling uncertainty.
    assert widths([60], 0.2, method="hypergeometric", population=60)[0] == 0.0
    assert sample_size(0.5, 0.01, method="hypergeometric", population=20) == 20


def test_plan_table_conforms_and_errors() -> None:
    frame = plan([0.2, 0.5], widths_wanted=[0.3], sizes=[15])
    assert frames.check(frame, frames.PLAN) == []
    assert frame.filter(pl.col("n") == 15).height == 2
    with pytest.raises(UsageError, match="needs --population"):
        plan([0.2], sizes=[15], method="hypergeometric")
    with pytest.raises(UsageError, match="larger than the population"):
        plan([0.2], sizes=[15], method="hypergeometric", population=10)
    with pytest.raises(UsageError, match="give a width"):
        plan([0.2])


def test_cli_plan_writes_the_table_and_a_figure(tmp_path: Path) -> None:
    out, figure = tmp_path / "plan.csv", tmp_path / "plan.html"
    result = CliRunner().invoke(
        main,
        [
            *("plan", "--p", "0.2", "--p", "0.5", "--width", "0.3", "--n", "15"),
            *("-o", str(out), "--figure", str(figure)),
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(out)
    assert frames.check(frame.cast({"population": pl.Int64}), frames.PLAN) == []
    assert frame.filter(pl.col("p") == 0.2)["n"].to_list() == [26, 15]
    text = figure.read_text(encoding="utf-8")
    assert "plotly" in text and "p = 0.5" in text and '<script src="http' not in text
    bad = CliRunner().invoke(
        main, ["plan", "--p", "0.2", "--n", "15", "--ci-method", "hypergeometric"]
    )
    assert bad.exit_code == 1 and "needs --population" in bad.output
