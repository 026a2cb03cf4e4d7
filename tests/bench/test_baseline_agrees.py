"""raremix's prevalence engine and the benchmark's pandas + statsmodels baseline agree.

The benchmark claims raremix computes the same table faster; this checks the "same" on a
10^4-segment SYNTHETIC corpus from bench/generate.py (written into tmp_path): every count and
denominator equal, every prevalence and Wilson limit equal to 1e-12. The baseline is an
independent computation (pandas group-bys over an ancestor table built by walking parents,
statsmodels' Wilson interval), so agreement is evidence both are right.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

pytest.importorskip("pandas")
pytest.importorskip("statsmodels")

from bench import baseline
from bench.generate import Corpus, generate
from toolkit.io.study import load_study
from toolkit.stats.prevalence import prevalence

KEYS = ["code_id", "stratum_variable", "stratum_value"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return generate(10_000, root=tmp_path_factory.mktemp("bench-data"))


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col(KEYS[1:]).fill_null("")).sort(KEYS)


@pytest.mark.parametrize("by", [(), ("sex",), ("sex", "status")])
def test_raremix_and_baseline_give_the_same_table(corpus: Corpus, by: tuple[str, ...]) -> None:
    ours = prevalence(load_study(corpus.study), by=by)
    theirs = pl.from_pandas(baseline.prevalence(corpus.study, list(by)))
    # one row per node overall, plus one per node and level of each attribute
    levels = {"sex": 2, "status": 4}  # status has a visible "missing" level in this corpus
    assert ours.height == 400 * (1 + sum(levels[a] for a in by))
    assert ours.columns == theirs.columns
    assert_frame_equal(
        _sorted(ours).select(pl.exclude("ci_level")),
        _sorted(theirs).select(pl.exclude("ci_level")),
        check_dtypes=False,
        abs_tol=1e-12,
        rel_tol=0,
    )
    assert ours["ci_level"].unique().to_list() == theirs["ci_level"].unique().to_list()


def test_corpus_exercises_the_roll_up(corpus: Corpus) -> None:
    # codings sit on codes (depth 2) and themes (depth 1), never on domains, so domain rows
    # are pure roll-ups: a wrong closure would make them zero in both tools at once.
    codings = pl.read_parquet(corpus.codings)
    depth = codings["code_id"].str.count_matches(r"\.")
    assert set(depth.unique().to_list()) == {1, 2}
    table = prevalence(load_study(corpus.study))
    domains = table.filter(pl.col("depth") == 0)
    assert domains.height == 10
    assert (domains["segments"] > 0).all()
    assert domains["segments"].sum() == codings.height


def test_generation_is_deterministic(tmp_path: Path, corpus: Corpus) -> None:
    again = generate(10_000, root=tmp_path)
    for name in ("codings.parquet", "participants.parquet", "codebook.csv"):
        assert_frame_equal(
            pl.read_parquet(again.study / name)
            if name.endswith("parquet")
            else pl.read_csv(again.study / name),
            pl.read_parquet(corpus.study / name)
            if name.endswith("parquet")
            else pl.read_csv(corpus.study / name),
        )
