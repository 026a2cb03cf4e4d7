"""metafor as the oracle for `raremix compare`'s pooled estimates (issue 16).

Several comparisons are generated (3 to 6 cohorts of 5 to 40 participants, heterogeneous
themes, cohorts at 0/n and at n/n, a theme nobody voiced), pooled by raremix with every method
in toolkit.choices.POOLING_METHODS, and pooled again live in R by metafor::rma (DL, REML) or
metafor::rma.glmm (GLMM) on the same counts. Every number a pooled row carries must equal
metafor's: the proportion, its logit and standard error, the confidence interval, tau², I²,
Cochran's Q and its p-value, and the prediction interval (Higgins et al. 2009, t with k - 2
df, from metafor's estimates); with `--hksj` the interval of rma(test="adhoc")
(Hartung-Knapp-Sidik-Jonkman with Röver's modification). A new numeric column in the pooled
rows fails here until the oracle knows it (tests/tools/r/metafor_pool.R says what each is).
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from tests.tools.conftest import run_r
from toolkit import frames
from toolkit.choices import POOLING_METHODS
from toolkit.cli import main

pytestmark = [pytest.mark.tools, pytest.mark.slow]

SCRIPT = Path(__file__).with_name("r") / "metafor_pool.R"
COMPARISONS = 6
LEVEL = 0.95

# Output column -> metafor's value (tests/tools/r/metafor_pool.R names).
ORACLE = {
    "prevalence": "prevalence",
    "ci_lower": "ci_lower",
    "ci_upper": "ci_upper",
    "tau2": "tau2",
    "i2": "i2",
    "q": "q",
    "q_pvalue": "q_pvalue",
    "pi_lower": "pi_lower",
    "pi_upper": "pi_upper",
    "kh_lower": "kh_lower",
    "kh_upper": "kh_upper",
    "kh_pi_lower": "kh_pi_lower",
    "kh_pi_upper": "kh_pi_upper",
    "logit": "logit",
    "logit_se": "se",
}
# Numeric columns of a pooled row that are not estimates (checked against the counts).
NOT_ESTIMATES = {"participants", "denominator", "segments", "depth", "ci_level", "k"}
TOLERANCE = {"dl": (1e-9, 1e-12), "reml": (1e-6, 1e-9), "glmm": (1e-2, 1e-3)}  # (rel, abs)
# GLMM: metafor::rma.glmm fits through lme4, whose optimiser stops up to ~0.2% short in tau²
# (tests/tools/r/metafor_pool.R); raremix's fit must reach at least metafor's likelihood, and
# its numbers must agree within 1% where tau² is finite in practice (metafor's below GLMM_TAU2).
GLMM_TAU2 = 20.0


def _write_study(folder: Path, study_id: str, n: int, counts: dict[str, int]) -> None:
    folder.mkdir(parents=True)
    (folder / "study.yml").write_text(
        f"study:\n  id: {study_id}\n  title: Cohort {study_id}\n"
        f"  condition: {{name: Condition {study_id}}}\n  synthetic: true\n"
        "inputs:\n  participants: participants.csv\n  codebook: codebook.csv\n"
        "  codings: codings.csv\nanalysis:\n  min_cell: 0\n",
        encoding="utf-8",
    )
    ids = [f"P{i:02d}" for i in range(1, n + 1)]
    (folder / "participants.csv").write_text(
        "participant_id\n" + "".join(f"{p}\n" for p in ids), encoding="utf-8"
    )
    (folder / "codebook.csv").write_text(
        "code_id,label,parent_id,description\n"
        + "".join(f"{theme},Theme {theme},,\n" for theme in counts),
        encoding="utf-8",
    )
    codings = [f"{ids[i]},{theme}\n" for theme, x in counts.items() for i in range(x)]
    (folder / "codings.csv").write_text(
        "participant_id,code_id\n" + "".join(codings), encoding="utf-8"
    )


def _generate(root: Path, seed: int) -> tuple[list[Path], dict[str, list[tuple[int, int]]]]:
    """A comparison of 3 to 6 generated cohorts; its counts (x, n) per theme and cohort."""
    rng = random.Random(seed)
    k = rng.randint(3, 6)  # SPEC: fewer than 3 cohorts get no pooled estimate
    sizes = [rng.randint(5, 40) for _ in range(k)]
    themes: dict[str, list[tuple[int, int]]] = {}
    for t in range(4):
        centre = rng.uniform(0.1, 0.9)
        spread = rng.choice([0.0, 0.5, 1.5])
        logits = [math.log(centre / (1 - centre)) + rng.gauss(0, spread) for _ in range(k)]
        themes[f"t{t}"] = [
            (sum(rng.random() < 1 / (1 + math.exp(-lg)) for _ in range(n)), n)
            for lg, n in zip(logits, sizes, strict=True)
        ]
    # a cohort at 0/n and one at n/n, as rare themes and universal ones are
    themes["t0"][0] = (0, sizes[0])
    themes["t1"][-1] = (sizes[-1], sizes[-1])
    if seed % 3 == 0:  # a theme at 0/n in every cohort
        themes["none"] = [(0, n) for n in sizes]
    folders = []
    for i, n in enumerate(sizes):
        folder = root / f"c{seed}-{i}"
        _write_study(folder, f"cmp{seed}-cohort{i}", n, {t: c[i][0] for t, c in themes.items()})
        folders.append(folder)
    return folders, themes


@pytest.fixture(scope="module")
def comparisons(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    root = tmp_path_factory.mktemp("metafor")
    return [_generate(root, seed) for seed in range(COMPARISONS)]


def _has_hksj() -> bool:
    import click

    compare = main.get_command(click.Context(main), "compare")
    assert compare is not None
    return any("--hksj" in p.opts for p in compare.params)


HKSJ = [False, True] if _has_hksj() else [False]
# With --hksj, raremix's intervals are metafor's test="knha" ones.
KNHA = {
    "ci_lower": "kh_lower",
    "ci_upper": "kh_upper",
    "pi_lower": "kh_pi_lower",
    "pi_upper": "kh_pi_upper",
    "logit_se": "kh_se",
}
# raremix offers --hksj for the two-step estimators only (it adjusts their standard error).
TWO_STEP = {"dl", "reml"}
CASES = [(m, h) for m in POOLING_METHODS for h in HKSJ if not h or m in TWO_STEP]


def _pooled(folders: list[Path], method: str, hksj: bool, target: Path) -> pl.DataFrame:
    args = ["compare", *map(str, folders), "--pooling", method, "--min-cell", "0"]
    args += ["--hksj"] if hksj else []
    result = CliRunner().invoke(main, [*args, "--format", "csv", "-o", str(target)])
    assert result.exit_code == 0, (result.output, result.exception)
    schema = frames.COMPARISON_TABLE
    frame = pl.read_csv(target, schema_overrides=schema.dtypes(), infer_schema_length=0)
    return frame.filter(pl.col("status") == "pooled")


def _close(got: float | None, expected: float | None, rel: float, abs_: float) -> bool:
    if got is None or expected is None:
        return got is None and expected is None
    return math.isclose(got, expected, rel_tol=rel, abs_tol=abs_)


@pytest.mark.parametrize(
    ("method", "hksj"), CASES, ids=[f"{m}-{'hksj' if h else 'z'}" for m, h in CASES]
)
def test_pooled_rows_equal_metafor(
    method: str, hksj: bool, comparisons: list[Any], rscript: str, tmp_path: Path
) -> None:
    assert method in TOLERANCE, f"give the metafor oracle a tolerance for '{method}'"
    rel, abs_ = TOLERANCE[method]
    counts_csv = tmp_path / "counts.csv"
    lines = ["group,x,n,logit,tau2"]
    pooled: dict[str, dict[str, Any]] = {}
    carried: set[str] = set()
    for seed, (folders, themes) in enumerate(comparisons):
        frame = _pooled(folders, method, hksj, tmp_path / f"compare-{seed}.csv")
        numeric = {c for c, d in frame.schema.items() if d.is_numeric()}
        unknown = numeric - set(ORACLE) - NOT_ESTIMATES
        assert not unknown, f"pooled rows carry {unknown}: add metafor's value to the oracle"
        carried |= numeric & set(ORACLE)
        for row in frame.iter_rows(named=True):
            group = f"{seed}/{row['theme_id']}"
            cells = themes[row["theme_id"]]
            assert row["k"] == len(cells)
            assert (row["participants"], row["denominator"]) == (
                sum(x for x, _ in cells),
                sum(n for _, n in cells),
            )
            if (
                method == "glmm"
                and all(x in (0, n) for x, n in cells)
                and len({x == 0 for x, _ in cells}) == 1
            ):
                assert row["prevalence"] is None, "no finite ML estimate: not a number"
                continue
            pooled[group] = row
            fit = [("NA" if row[c] is None else row[c]) for c in ("logit", "tau2")]
            lines += [f"{group},{x},{n},{fit[0]},{fit[1]}" for x, n in cells]
        assert set(frame["theme_id"]) == set(themes)
    counts_csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    oracle = run_r(rscript, SCRIPT.read_text(encoding="utf-8"), counts_csv, method, str(LEVEL))
    assert {"prevalence", "ci_lower", "ci_upper", "tau2"} <= carried
    names = {**ORACLE, **(KNHA if hksj else {})}
    if method == "glmm":
        # No raremix estimate only where metafor has none either or tau² runs off (> GLMM_TAU2).
        undefined = {g for g, r in pooled.items() if r["logit"] is None}
        wrong = {
            g: oracle[g]["tau2"]
            for g in undefined
            if oracle[g]["tau2"] is not None and oracle[g]["tau2"] < GLMM_TAU2
        }
        assert not wrong, f"raremix gives no GLMM estimate where metafor finds tau² {wrong}"
        pooled = {g: r for g, r in pooled.items() if g not in undefined}
        oracle = {g: o for g, o in oracle.items() if g not in undefined}
        short = {g: o for g, o in oracle.items() if o["ll_raremix"] < o["ll_metafor"] - 1e-6}
        assert not short, f"raremix's GLMM fit is not the maximum likelihood: {short}"
        pooled = {g: r for g, r in pooled.items() if oracle[g]["tau2"] < GLMM_TAU2}
    failures = [
        f"{group} {column}: raremix {row[column]!r}, metafor {oracle[group][names[column]]!r}"
        for group, row in pooled.items()
        for column in sorted(carried)
        if not _close(row[column], oracle[group][names[column]], rel, abs_)
    ]
    assert len(pooled) >= 3 * COMPARISONS
    assert not failures, f"{len(failures)} differ:\n" + "\n".join(failures[:20])


def test_generated_comparisons_hold_the_edge_cases(comparisons: list[Any]) -> None:
    cells = [c for _, themes in comparisons for theme in themes.values() for c in theme]
    assert any(x == 0 for x, _ in cells) and any(x == n for x, n in cells)
    assert any(all(x == 0 for x, _ in theme) for _, ts in comparisons for theme in ts.values())
