"""Deterministic SYNTHETIC corpora for the raremix benchmark.

Every corpus is made up: no real participant, code or quote. Each study says
``synthetic: true`` in its ``study.yml``, every participant id starts with ``SYN-`` and every
quote starts with ``[synthetic]``.

A corpus of ``S`` coded segments holds:

- one study (``study/``): ``S // 100`` participants with three stratifying attributes
  (``sex``: 2 levels; ``status``: 3 levels; ``age``: numeric, stratified by bins), about 1% of
  ``status`` and ``age`` values missing; a 400-node codebook of depth 3 (10 domains, 30
  themes, 360 codes); ``S`` codings, mostly on codes, some on themes, with participant and
  code popularity skewed as in real coding (a few themes voiced by most, many by few) and
  code choice depending on ``status`` (so strata differ);
- the same participants and codings split into 50 cohorts (``cohorts/cohort-01`` …), each a
  study folder of its own, for ``raremix compare``.

Participants and codings are Parquet, the codebook CSV (the formats the study reader takes).
Generation is vectorised numpy/polars (no per-row Python) and seeded: the same size and seed
give the same files. Run ``python bench/generate.py --sizes 1e4,1e5`` or see ``--help``.
"""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

DATA = Path(__file__).resolve().parent / "data"
SIZES = (10_000, 100_000, 1_000_000, 5_000_000)
QUICK_SIZES = (10_000, 100_000)
COHORTS = 50
SEED = 20_261_125
FORMAT_VERSION = 1  # bump when the layout or the distributions change

N_ROOTS, THEMES_PER_ROOT, CODES_PER_THEME = 10, 3, 12  # 10 + 30 + 360 = 400 nodes
SEX_LEVELS = ("Female", "Male")
STATUS_LEVELS = ("Active", "Remission", "Stable")
AGE_BINS = (18.0, 40.0, 65.0, 91.0)
THEME_CODING_SHARE = 0.05  # share of segments coded on a theme rather than a leaf code
MISSING_SHARE = 0.01

_WORDS = np.array(
    [
        "pain",
        "fatigue",
        "doctor",
        "family",
        "work",
        "sleep",
        "wound",
        "dialysis",
        "fear",
        "hope",
        "nurse",
        "waiting",
        "diagnosis",
        "friends",
        "money",
        "travel",
        "dressing",
        "morphine",
        "uncertainty",
        "trust",
    ]
)


@dataclass(frozen=True)
class Corpus:
    """Where one generated corpus lives."""

    segments: int
    root: Path

    @property
    def study(self) -> Path:
        return self.root / "study"

    @property
    def cohorts(self) -> list[Path]:
        return [self.root / "cohorts" / f"cohort-{i:02d}" for i in range(1, COHORTS + 1)]

    @property
    def codings(self) -> Path:
        return self.study / "codings.parquet"

    @property
    def participants(self) -> Path:
        return self.study / "participants.parquet"


def size_label(segments: int) -> str:
    """A short label: 10000 -> '1e4', 5000000 -> '5e6'."""
    exponent = len(str(segments)) - 1
    mantissa = segments // 10**exponent
    if mantissa * 10**exponent != segments:
        return str(segments)
    return f"{mantissa}e{exponent}" if mantissa != 1 else f"1e{exponent}"


def parse_size(text: str) -> int:
    """'1e6', '5e6', '100000' -> int."""
    value = float(text)
    if value < 1000 or value != int(value):
        raise argparse.ArgumentTypeError(f"size must be a whole number >= 1000, got {text!r}")
    return int(value)


def codebook_frame() -> pl.DataFrame:
    """The 400-node codebook (domains, themes, codes) in codebook order."""
    ids: list[str] = []
    labels: list[str] = []
    parents: list[str | None] = []
    # 400 rows: building the tree row by row is negligible and clearer than vectorising it.
    for r in range(1, N_ROOTS + 1):
        root = f"D{r:02d}"
        ids.append(root)
        labels.append(f"Synthetic domain {r}")
        parents.append(None)
        for t in range(1, THEMES_PER_ROOT + 1):
            theme = f"{root}.T{t}"
            ids.append(theme)
            labels.append(f"Synthetic theme {r}.{t}")
            parents.append(root)
            for c in range(1, CODES_PER_THEME + 1):
                ids.append(f"{theme}.C{c:02d}")
                labels.append(f"Synthetic code {r}.{t}.{c}")
                parents.append(theme)
    return pl.DataFrame(
        {
            "code_id": ids,
            "label": labels,
            "parent_id": parents,
            "description": ["synthetic benchmark node"] * len(ids),
        },
        schema={
            "code_id": pl.String,
            "label": pl.String,
            "parent_id": pl.String,
            "description": pl.String,
        },
    )


def _with_missing(values: pl.Series, rng: np.random.Generator) -> pl.Series:
    mask = rng.random(values.len()) < MISSING_SHARE
    return values.scatter(np.flatnonzero(mask), None)


def participants_frame(n: int, rng: np.random.Generator) -> pl.DataFrame:
    """``n`` synthetic participants with sex, status and age."""
    sex = pl.Series("sex", np.array(SEX_LEVELS)[rng.choice(2, size=n, p=[0.62, 0.38])])
    status = pl.Series(
        "status", np.array(STATUS_LEVELS)[rng.choice(3, size=n, p=[0.4, 0.45, 0.15])]
    )
    age = pl.Series("age", np.clip(rng.normal(55, 14, size=n), 18, 90).round(0))
    return pl.DataFrame(
        {
            "participant_id": pl.Series(np.arange(1, n + 1)).cast(pl.String).str.zfill(7),
            "sex": sex,
            "status": _with_missing(status, rng),
            "age": _with_missing(age, rng),
        }
    ).with_columns(pl.concat_str(pl.lit("SYN-"), pl.col("participant_id")).alias("participant_id"))


def codings_frame(
    participants: pl.DataFrame, codebook: pl.DataFrame, segments: int, rng: np.random.Generator
) -> pl.DataFrame:
    """``segments`` synthetic codings, sorted by participant as a coding export is."""
    n = participants.height
    # Participants differ in how much they say: gamma-distributed talkativeness.
    talk = rng.gamma(2.0, 1.0, size=n)
    who = np.sort(rng.choice(n, size=segments, p=talk / talk.sum()))

    is_root = codebook["parent_id"].is_null().to_numpy()
    roots = codebook.filter(pl.col("parent_id").is_null())["code_id"]
    is_theme = codebook["parent_id"].is_in(roots.implode()).fill_null(False).to_numpy()
    leaves = np.flatnonzero(~is_root & ~is_theme)
    themes = np.flatnonzero(is_theme)

    # Zipf-like popularity of codes; each status level shuffles which codes are popular, so
    # prevalence differs between strata.
    ranks = np.arange(1, leaves.size + 1, dtype=float)
    base = 1.0 / ranks**0.9
    status = participants["status"].fill_null("missing").gather(who).to_numpy()
    code_index = np.empty(segments, dtype=np.int64)
    for level_number, level in enumerate((*STATUS_LEVELS, "missing")):
        mask = status == level
        weights = base.copy()
        # Rotate the popularity of one block of codes per level.
        block = slice(level_number * 40, level_number * 40 + 40)
        weights[block] = weights[block][::-1]
        code_index[mask] = leaves[
            rng.choice(leaves.size, size=int(mask.sum()), p=weights / weights.sum())
        ]
    on_theme = rng.random(segments) < THEME_CODING_SHARE
    code_index[on_theme] = themes[rng.integers(0, themes.size, size=int(on_theme.sum()))]

    start = rng.integers(0, 50_000, size=segments)
    length = rng.integers(20, 600, size=segments)
    vocabulary = pl.Series(_WORDS)
    words = [vocabulary.gather(rng.integers(0, _WORDS.size, size=segments)) for _ in range(3)]
    pid = participants["participant_id"].gather(who)
    return pl.DataFrame(
        {
            "participant_id": pid,
            "code_id": codebook["code_id"].gather(code_index),
            "quote": words[0],
            "source": pid,
            "start": start,
            "end": start + length,
        }
    ).with_columns(
        pl.concat_str(
            [pl.lit("[synthetic]"), pl.col("quote"), pl.lit(words[1]), pl.lit(words[2])],
            separator=" ",
        ).alias("quote"),
        pl.concat_str([pl.lit("interview-"), pl.col("source")]).alias("source"),
    )


def manifest_text(study_id: str, title: str) -> str:
    """The study.yml of a synthetic benchmark study."""
    bins = ", ".join(f"{b:g}" for b in AGE_BINS)
    return (
        "# SYNTHETIC benchmark data generated by bench/generate.py; no real participant.\n"
        "study:\n"
        f"  id: {study_id}\n"
        f"  title: {title} (synthetic benchmark)\n"
        "  condition: {name: Synthetic condition}\n"
        "  synthetic: true\n"
        "inputs:\n"
        "  participants: participants.parquet\n"
        "  codebook: codebook.csv\n"
        "  codings: codings.parquet\n"
        "attributes:\n"
        f"  sex: {{type: categorical, levels: [{', '.join(SEX_LEVELS)}]}}\n"
        f"  status: {{type: categorical, levels: [{', '.join(STATUS_LEVELS)}]}}\n"
        f"  age: {{type: numeric, bins: [{bins}]}}\n"
        "analysis:\n"
        "  strata: [sex, status]\n"
    )


def _write_study(
    folder: Path,
    study_id: str,
    title: str,
    participants: pl.DataFrame,
    codebook: pl.DataFrame,
    codings: pl.DataFrame,
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yml").write_text(manifest_text(study_id, title), encoding="utf-8")
    codebook.write_csv(folder / "codebook.csv")
    participants.write_parquet(folder / "participants.parquet")
    codings.write_parquet(folder / "codings.parquet")


def generate(segments: int, *, root: Path = DATA, seed: int = SEED, force: bool = False) -> Corpus:
    """Write (or reuse) the corpus of ``segments`` coded segments under ``root``.

    Args:
        segments: number of coded segments (at least 1000).
        root: folder holding all corpora.
        seed: base seed; the corpus seed also depends on ``segments``.
        force: regenerate even when a complete corpus with the same parameters exists.

    Returns:
        The corpus location.
    """
    corpus = Corpus(segments, root / f"seg-{size_label(segments)}")
    stamp = corpus.root / "corpus.json"
    params = {"segments": segments, "seed": seed, "cohorts": COHORTS, "version": FORMAT_VERSION}
    if not force and stamp.is_file() and json.loads(stamp.read_text()) == params:
        return corpus
    if corpus.root.exists():
        shutil.rmtree(corpus.root)
    rng = np.random.default_rng([seed, segments])
    codebook = codebook_frame()
    participants = participants_frame(max(segments // 100, COHORTS), rng)
    codings = codings_frame(participants, codebook, segments, rng)
    _write_study(
        corpus.study,
        f"bench-{size_label(segments).lower()}",
        "Benchmark study",
        participants,
        codebook,
        codings,
    )

    # Cohorts: contiguous blocks of participants with their codings (codings are sorted by
    # participant, so each block of codings is a slice).
    bounds = np.linspace(0, participants.height, COHORTS + 1).astype(np.int64)
    pid = participants["participant_id"]
    cuts = np.searchsorted(codings["participant_id"].to_numpy(), pid.to_numpy()[bounds[:-1]])
    cuts = np.append(cuts, codings.height)
    for i, folder in enumerate(corpus.cohorts):
        _write_study(
            folder,
            f"bench-{size_label(segments).lower()}-cohort-{i + 1:02d}",
            f"Benchmark cohort {i + 1}",
            participants.slice(int(bounds[i]), int(bounds[i + 1] - bounds[i])),
            codebook,
            codings.slice(int(cuts[i]), int(cuts[i + 1] - cuts[i])),
        )
    stamp.write_text(json.dumps(params) + "\n", encoding="utf-8")
    return corpus


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes",
        type=lambda s: [parse_size(x) for x in s.split(",")],
        default=list(SIZES),
        help="comma-separated segment counts (default: 1e4,1e5,1e6,5e6)",
    )
    parser.add_argument("--quick", action="store_true", help="only 1e4 and 1e5")
    parser.add_argument("--root", type=Path, default=DATA, help=f"output folder (default: {DATA})")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--force", action="store_true", help="regenerate existing corpora")
    args = parser.parse_args(argv)
    for segments in QUICK_SIZES if args.quick else args.sizes:
        corpus = generate(segments, root=args.root, seed=args.seed, force=args.force)
        print(f"{size_label(segments)}: {corpus.root}")


if __name__ == "__main__":
    main()
