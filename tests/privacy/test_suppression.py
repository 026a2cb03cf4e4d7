"""Tests for toolkit.privacy.suppression (and the solver in toolkit.privacy.cells).

The suppression tests build SYNTHETIC studies at random, count prevalence by brute force here
(independently of toolkit.stats), suppress, and then attack the result with linear
programming (scipy.optimize.linprog): a suppressed small count must not be pinned down to one
value by the shown counts, the sums they must satisfy, and non-negativity.
"""

from __future__ import annotations

import io
import json
import random
import re
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linprog

from toolkit.errors import UsageError
from toolkit.privacy import (
    DEFAULT_COMPARE_MIN_CELL,
    suppress,
    suppress_comparison,
    suppress_counts,
    suppress_differences,
)

# ------------------------------------------------------------------------------------------
# A brute-force prevalence frame for a random SYNTHETIC study
# ------------------------------------------------------------------------------------------


def synthetic_study(
    seed: int,
) -> tuple[list[dict[str, str | None]], list[tuple[str, str | None]], list[tuple[str, str]]]:
    rng = random.Random(seed)
    n = rng.randint(3, 30)
    people = []
    for i in range(n):
        people.append(
            {
                "participant_id": f"S{i + 1}",
                "sex": rng.choice(["Female", "Female", "Male", None]),
                "status": rng.choice(["Active", "Remission", "Remission"]),
            }
        )
    codes: list[tuple[str, str | None]] = [("D1", None), ("D2", None)]
    for j in range(rng.randint(2, 7)):
        parent = rng.choice([c for c, _ in codes])
        codes.append((f"T{j + 1}", parent))
    codings = []
    for person in people:
        for code, _ in codes:
            if rng.random() < rng.choice([0.05, 0.2, 0.5]):
                for _ in range(rng.randint(1, 3)):
                    codings.append((str(person["participant_id"]), code))
    return people, codes, codings


def brute_prevalence(
    people: list[dict[str, str | None]],
    codes: list[tuple[str, str | None]],
    codings: list[tuple[str, str]],
    strata: tuple[str, ...] = ("sex", "status"),
) -> pl.DataFrame:
    parent = dict(codes)

    def ancestors(code: str) -> list[str]:
        out = [code]
        while parent[out[-1]] is not None:
            out.append(str(parent[out[-1]]))
        return out

    voiced: dict[str, set[str]] = {c: set() for c, _ in codes}
    segments: dict[str, list[str]] = {c: [] for c, _ in codes}
    for pid, code in codings:
        for a in ancestors(code):
            voiced[a].add(pid)
            segments[a].append(pid)
    groups: list[tuple[str | None, str | None, set[str]]] = [
        (None, None, {str(p["participant_id"]) for p in people})
    ]
    for variable in strata:
        values = sorted({p[variable] or "missing" for p in people})
        for value in values:
            members = {
                str(p["participant_id"]) for p in people if (p[variable] or "missing") == value
            }
            groups.append((variable, value, members))
    rows = []
    for variable, value, members in groups:
        for code, par in codes:
            x = len(voiced[code] & members)
            n = len(members)
            rows.append(
                {
                    "code_id": code,
                    "label": code,
                    "parent_id": par,
                    "depth": len(ancestors(code)) - 1,
                    "stratum_variable": variable,
                    "stratum_value": value,
                    "participants": x,
                    "denominator": n,
                    "prevalence": x / n if n else None,
                    "ci_lower": 0.0 if n else None,
                    "ci_upper": 1.0 if n else None,
                    "ci_method": "wilson",
                    "ci_level": 0.95,
                    "segments": sum(1 for pid in segments[code] if pid in members),
                    "suppressed": False,
                }
            )
    return pl.DataFrame(
        rows,
        schema_overrides={
            "participants": pl.Int64,
            "denominator": pl.Int64,
            "segments": pl.Int64,
            "stratum_variable": pl.String,
            "stratum_value": pl.String,
            "parent_id": pl.String,
            "prevalence": pl.Float64,
            "ci_lower": pl.Float64,
            "ci_upper": pl.Float64,
        },
    )


def pinned(
    equations: list[tuple[list[int], list[int]]],
    known: dict[int, int],
    unknown: list[int],
    target: int,
) -> bool:
    """Is ``target`` forced to one value by the equations sum(plus) = sum(minus) (LP)?

    Unknowns are free (no bounds): the guarantee of :func:`suppress` is about exact linear
    derivation; ranges from non-negativity are documented as not protected.
    """
    index = {c: i for i, c in enumerate(unknown)}
    a_eq, b_eq = [], []
    for plus, minus in equations:
        row = np.zeros(len(unknown))
        constant = 0.0
        for c in plus:
            if c in index:
                row[index[c]] += 1
            else:
                constant -= known[c]
        for c in minus:
            if c in index:
                row[index[c]] -= 1
            else:
                constant += known[c]
        if row.any():
            a_eq.append(row)
            b_eq.append(constant)
    bounds = [(None, None)] * len(unknown)
    objective = np.zeros(len(unknown))
    objective[index[target]] = 1
    kwargs = {"A_eq": np.array(a_eq), "b_eq": np.array(b_eq)} if a_eq else {}
    low = linprog(objective, bounds=bounds, method="highs", **kwargs)
    high = linprog(-objective, bounds=bounds, method="highs", **kwargs)
    if low.status == 3 or high.status == 3:  # unbounded: certainly not pinned
        return False
    assert low.status == 0 and high.status == 0
    return bool(abs(low.fun + high.fun) < 1e-6)


def attack(
    original: pl.DataFrame, shown: pl.DataFrame, k: int, column: str, *, tree: bool
) -> list[int]:
    """Rows whose small hidden ``column`` value the shown frame pins down exactly."""
    rows = original.to_dicts()
    seen = shown.to_dicts()
    hidden = [i for i, r in enumerate(seen) if r[column] is None]
    known = {i: rows[i][column] for i in range(len(rows)) if i not in hidden}
    key = {(r["code_id"], r["stratum_variable"], r["stratum_value"]): i for i, r in enumerate(rows)}
    equations: list[tuple[list[int], list[int]]] = []
    strata: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(rows):
        if r["stratum_variable"] is not None:
            strata.setdefault((r["code_id"], r["stratum_variable"]), []).append(i)
    for (code, _), parts in strata.items():
        equations.append(([key[(code, None, None)]], parts))
    if tree:
        # worst case: the reader knows every node's own (direct) segment count
        direct = {}
        for i, r in enumerate(rows):
            kids = [
                j
                for j, s in enumerate(rows)
                if s["parent_id"] == r["code_id"]
                and s["stratum_variable"] == r["stratum_variable"]
                and s["stratum_value"] == r["stratum_value"]
            ]
            if kids:
                own = rows[i][column] - sum(rows[j][column] for j in kids)
                direct[i] = own
                equations.append(([i], kids))
        # fold the known direct counts into `known` via a pseudo-cell
        base = len(rows)
        for offset, own in enumerate(direct.values()):
            known[base + offset] = own
            plus, minus = equations[len(strata) + offset]
            equations[len(strata) + offset] = (plus, [*minus, base + offset])
    exposed = []
    for i in hidden:
        value = rows[i]["participants"]
        if 1 <= value < k and pinned(equations, known, hidden, i):
            exposed.append(i)
    return exposed


@given(seed=st.integers(0, 10_000), k=st.integers(2, 6))
def test_suppress_leaves_no_small_cell_and_no_derivable_one(seed: int, k: int) -> None:
    people, codes, codings = synthetic_study(seed)
    original = brute_prevalence(people, codes, codings)
    shown = suppress(original, min_cell=k)
    assert shown.columns == original.columns and shown.height == original.height
    for column in ("participants", "denominator", "segments"):
        values = shown[column].drop_nulls().to_list()
        assert not [v for v in values if 1 <= v < k], column
    # a shown percentage always sits beside its shown count and denominator
    visible = shown.filter(pl.col("prevalence").is_not_null())
    assert visible["participants"].null_count() == 0
    assert visible["denominator"].null_count() == 0
    # every originally small count is hidden
    small = original.with_row_index().filter(
        (pl.col("participants") >= 1) & (pl.col("participants") < k)
    )
    assert shown[small["index"].to_list()]["suppressed"].all()
    assert attack(original, shown, k, "participants", tree=False) == []
    assert attack(original, shown, k, "segments", tree=True) == []


def test_suppress_off_changes_nothing() -> None:
    people, codes, codings = synthetic_study(7)
    original = brute_prevalence(people, codes, codings)
    for k in (0, 1):
        assert suppress(original, min_cell=k).equals(original)


def test_suppress_one_small_stratum_hides_a_second_and_keeps_the_overall() -> None:
    # 12 participants: theme T voiced by 2 women, 5 men; the women cell (2) is small at k=3,
    # so the men cell must go too, or 7 - 5 = 2 gives it back.
    frame = pl.DataFrame(
        {
            "code_id": ["T", "T", "T"],
            "parent_id": [None, None, None],
            "stratum_variable": [None, "sex", "sex"],
            "stratum_value": [None, "Female", "Male"],
            "participants": [7, 2, 5],
            "denominator": [12, 6, 6],
            "prevalence": [7 / 12, 2 / 6, 5 / 6],
            "ci_lower": [0.3, 0.1, 0.4],
            "ci_upper": [0.8, 0.7, 0.97],
            "segments": [9, 2, 7],
            "suppressed": [False, False, False],
        },
        schema_overrides={"parent_id": pl.String},
    )
    shown = suppress(frame, min_cell=3)
    assert shown["suppressed"].to_list() == [False, True, True]
    assert shown["participants"].to_list() == [7, None, None]
    assert shown["segments"].to_list() == [9, None, None]
    assert shown["denominator"].to_list() == [12, 6, 6]


def test_suppress_small_stratum_hides_its_denominator_and_a_second_stratum() -> None:
    frame = pl.DataFrame(
        {
            "code_id": ["T"] * 4,
            "parent_id": [None] * 4,
            "stratum_variable": [None, "sex", "sex", "sex"],
            "stratum_value": [None, "Female", "Male", "missing"],
            "participants": [9, 6, 0, 3],
            "denominator": [20, 10, 2, 8],
            "prevalence": [0.45, 0.6, 0.0, 0.375],
            "ci_lower": [0.2, 0.3, 0.0, 0.1],
            "ci_upper": [0.6, 0.8, 0.6, 0.7],
            "segments": [12, 8, 0, 4],
        },
        schema_overrides={"parent_id": pl.String},
    )
    shown = suppress(frame, min_cell=3)
    # Male (n = 2) is small; its complement is the smallest other stratum (missing, n = 8)
    assert shown["denominator"].to_list() == [20, 10, None, None]
    assert shown["participants"].to_list() == [9, 6, None, None]
    assert shown["suppressed"].to_list() == [False, False, True, True]


def test_suppress_whole_study_below_k() -> None:
    people, codes, codings = synthetic_study(3)
    original = brute_prevalence(
        people[:3], codes, [c for c in codings if c[0] in {"S1", "S2", "S3"}]
    )
    shown = suppress(original, min_cell=4)
    assert shown["suppressed"].all()
    assert shown["denominator"].null_count() == shown.height


def test_suppress_rejects_negative_min_cell() -> None:
    people, codes, codings = synthetic_study(1)
    with pytest.raises(UsageError, match="min_cell"):
        suppress(brute_prevalence(people, codes, codings), min_cell=-1)


def test_suppress_counts_blanks_dependants_row_by_row() -> None:
    frame = pl.DataFrame(
        {
            "x1": [1, 5, 0],
            "n1": [10, 10, 10],
            "x0": [6, 6, 6],
            "n0": [9, 9, 9],
            "difference": [-0.57, -0.17, -0.67],
            "p_value": [0.02, 0.6, 0.01],
        }
    )
    out = suppress_differences(frame, min_cell=3)
    assert out["suppressed"].to_list() == [True, False, False]
    assert out.row(0) == (None, None, None, None, None, None, True)
    assert out.row(1)[:4] == (5, 10, 6, 9)
    generic = suppress_counts(frame, min_cell=3, counts={"x1": ["difference"]})
    assert generic["x1"].to_list() == [None, 5, 0] and generic["p_value"].to_list() == [
        0.02,
        0.6,
        0.01,
    ]


def test_suppress_comparison_hides_the_pooled_row_of_a_theme_with_a_hidden_cohort() -> None:
    assert DEFAULT_COMPARE_MIN_CELL >= 3
    frame = pl.DataFrame(
        {
            "theme_id": ["pain", "pain", "pain", "fatigue", "fatigue", "fatigue"],
            "label": ["Pain"] * 3 + ["Fatigue"] * 3,
            "cohort": ["a", "b", "pooled"] * 2,
            "participants": [2, 10, None, 8, 9, None],
            "denominator": [15, 20, None, 15, 20, None],
            "prevalence": [2 / 15, 0.5, 0.3, 8 / 15, 0.45, 0.49],
            "ci_lower": [0.03, 0.3, 0.1, 0.3, 0.25, 0.3],
            "ci_upper": [0.4, 0.7, 0.6, 0.75, 0.65, 0.7],
        },
        schema_overrides={"participants": pl.Int64, "denominator": pl.Int64},
    )
    out = suppress_comparison(frame)
    assert out["suppressed"].to_list() == [True, False, True, False, False, False]
    assert out["prevalence"].null_count() == 2 and out["participants"][1] == 10


@pytest.mark.parametrize("k", [3, 5])
def test_prevalence_outputs_hold_no_small_count(
    calciphylaxis: Path, tmp_path: Path, k: int
) -> None:
    """raremix prevalence (CSV and JSON) of the bundled SYNTHETIC study with min_cell k."""
    from click.testing import CliRunner

    from toolkit.cli import main

    folder = tmp_path / "study"
    shutil.copytree(calciphylaxis, folder)
    manifest = (folder / "study.yml").read_text(encoding="utf-8")
    (folder / "study.yml").write_text(
        re.sub(r"min_cell: \d+", f"min_cell: {k}", manifest), encoding="utf-8"
    )
    runner = CliRunner()
    args = ["prevalence", str(folder), "--by", "disease_status", "--by", "sex", "--by", "age"]
    csv_result = runner.invoke(main, [*args, "--format", "csv"])
    assert csv_result.exit_code == 0, csv_result.output
    frame = pl.read_csv(io.StringIO(csv_result.stdout))
    json_result = runner.invoke(main, [*args, "--format", "json"])
    rows = pl.DataFrame(json.loads(json_result.stdout)["rows"])
    for shown in (frame, rows):
        assert shown["suppressed"].any()
        for column in ("participants", "denominator", "segments"):
            assert not [v for v in shown[column].drop_nulls().to_list() if 1 <= v < k], column
        visible = shown.filter(pl.col("prevalence").is_not_null())
        assert (
            visible["participants"].null_count() == 0 and visible["denominator"].null_count() == 0
        )
    # and the same frame, unsuppressed, had small counts to hide
    (folder / "study.yml").write_text(
        re.sub(r"min_cell: \d+", "min_cell: 0", manifest), encoding="utf-8"
    )
    raw = pl.read_csv(io.StringIO(runner.invoke(main, [*args, "--format", "csv"]).stdout))
    assert raw.filter((pl.col("participants") >= 1) & (pl.col("participants") < k)).height > 0
    assert raw.height == frame.height


# ------------------------------------------------------------------------------------------
# Issue 12: documents from the same study never disagree about what is hidden
# ------------------------------------------------------------------------------------------


def test_a_comparison_says_where_it_hides_more_or_less_than_a_studys_own() -> None:
    from toolkit.privacy import min_cell_disagreement

    assert min_cell_disagreement(5, {"a": 5, "b": 5}) == ""
    assert min_cell_disagreement(0, {"a": 1, "b": 0}) == ""
    more = min_cell_disagreement(5, {"a": 3, "b": 5})
    assert "hides more than the own reports of a (min_cell = 3)" in more
    assert "analysis.min_cell: 5" in more and "--min-cell 3" in more and "b (" not in more
    less = min_cell_disagreement(3, {"a": 5})
    assert "shows counts that the own reports of a (min_cell = 5) hide" in less
    assert "--min-cell 5" in less


def test_report_warns_when_a_study_publishes_what_comparisons_hide() -> None:
    from toolkit.privacy import DEFAULT_COMPARE_MIN_CELL, comparison_warning

    assert DEFAULT_COMPARE_MIN_CELL == 5
    warning = comparison_warning(3, synthetic=False)
    assert warning is not None
    assert "counts of 3 to 4 participants" in warning and "analysis.min_cell: 5" in warning
    assert "--min-cell 3" in warning
    assert comparison_warning(5, synthetic=False) is None
    assert comparison_warning(8, synthetic=True) is None
    assert comparison_warning(0, synthetic=True) is None  # synthetic, suppression off
    assert "every count" in (comparison_warning(0, synthetic=False) or "")
    assert comparison_warning(3, synthetic=True) is not None


def test_compare_cli_privacy_note_names_the_studies_own_min_cell(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import re
    import shutil

    from click.testing import CliRunner

    from toolkit.cli import main

    repo = __import__("pathlib").Path(__file__).resolve().parents[2]
    study = tmp_path / "calci"
    shutil.copytree(repo / "examples" / "calciphylaxis", study)
    manifest = study / "study.yml"
    manifest.write_text(
        re.sub(r"(?m)^(\s*min_cell:\s*)\d+", r"\g<1>3", manifest.read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        [
            "compare",
            str(study),
            str(repo / "examples" / "erythromelalgia"),
            "--crosswalk",
            str(repo / "examples" / "crosswalk.csv"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "calciphylaxis-synthetic (min_cell = 3)" in result.stderr
    from toolkit.analysis import suppression_warning

    warning = suppression_warning(study)
    assert warning is not None and "analysis.min_cell is 3" in warning
