"""The baseline: theme prevalence the way a researcher computes it without raremix.

pandas group-bys and statsmodels' ``proportion_confint(method="wilson")``, written plainly,
as one would in a notebook: read the three tables whole, expand each coding to its code and
every ancestor, count distinct participants and segments per node (overall and per level of
each stratifying attribute), divide by the number of participants, add Wilson intervals.
It produces the columns of ``raremix prevalence`` (SPEC §3) so the two can be compared.

Only categorical ``--by`` attributes are handled (the benchmark uses ``sex`` and ``status``);
a missing value forms its own ``missing`` level after the declared levels, as in raremix.

    python -m bench.baseline STUDY_DIR --by sex --by status -o out.parquet
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from statsmodels.stats.proportion import proportion_confint

COLUMNS = [
    "code_id",
    "label",
    "parent_id",
    "depth",
    "stratum_variable",
    "stratum_value",
    "participants",
    "denominator",
    "prevalence",
    "ci_lower",
    "ci_upper",
    "ci_method",
    "ci_level",
    "segments",
    "suppressed",
]


def ancestors_table(codebook: pd.DataFrame) -> pd.DataFrame:
    """One row per (code_id, ancestor_id), the code itself included."""
    parent = dict(zip(codebook["code_id"], codebook["parent_id"], strict=True))
    rows = []
    for code in codebook["code_id"]:
        node: Any = code
        while isinstance(node, str) and node != "":
            rows.append((code, node))
            node = parent.get(node)
    return pd.DataFrame(rows, columns=["code_id", "ancestor_id"])


def depth_of(codebook: pd.DataFrame) -> pd.Series:
    closure = ancestors_table(codebook)
    return closure.groupby("code_id").size() - 1


def _counts(expanded: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = expanded.groupby(keys)
    return pd.DataFrame(
        {
            "participants": grouped["participant_id"].nunique(),
            "segments": grouped.size(),
        }
    )


def prevalence(study: Path, by: list[str], *, level: float = 0.95) -> pd.DataFrame:
    """The SPEC §3 prevalence table of the study folder ``study``, computed with pandas."""
    manifest = yaml.safe_load((study / "study.yml").read_text(encoding="utf-8"))
    inputs = manifest["inputs"]
    participants = pd.read_parquet(study / inputs["participants"])
    codebook = pd.read_csv(study / inputs["codebook"], dtype=str, keep_default_na=False)
    codings = pd.read_parquet(study / inputs["codings"])

    codebook["parent_id"] = codebook["parent_id"].replace("", None)
    closure = ancestors_table(codebook)
    expanded = codings.merge(closure, on="code_id")
    nodes = codebook[["code_id", "label", "parent_id"]].copy()
    nodes["depth"] = nodes["code_id"].map(depth_of(codebook))

    pieces = []
    overall = _counts(expanded, ["ancestor_id"])
    table = nodes.merge(overall, left_on="code_id", right_index=True, how="left")
    table["stratum_variable"] = None
    table["stratum_value"] = None
    table["denominator"] = len(participants)
    pieces.append(table)

    for attribute in by:
        declared = manifest.get("attributes", {}).get(attribute, {}).get("levels")
        values = participants[attribute].fillna("missing")
        levels = list(declared) if declared else sorted(set(values) - {"missing"})
        if (values == "missing").any():
            levels.append("missing")
        strata = pd.DataFrame({"participant_id": participants["participant_id"], "value": values})
        counts = _counts(expanded.merge(strata, on="participant_id"), ["ancestor_id", "value"])
        grid = pd.MultiIndex.from_product(
            [nodes["code_id"], levels], names=["ancestor_id", "value"]
        )
        counts = counts.reindex(grid).reset_index()
        table = nodes.merge(counts, left_on="code_id", right_on="ancestor_id").drop(
            columns="ancestor_id"
        )
        table = table.rename(columns={"value": "stratum_value"})
        table["stratum_variable"] = attribute
        table["denominator"] = table["stratum_value"].map(values.value_counts()).fillna(0)
        pieces.append(table)

    result = pd.concat(pieces, ignore_index=True)
    result["participants"] = result["participants"].fillna(0).astype("int64")
    result["segments"] = result["segments"].fillna(0).astype("int64")
    result["denominator"] = result["denominator"].astype("int64")
    has_people = result["denominator"] > 0
    result["prevalence"] = float("nan")
    result["ci_lower"] = float("nan")
    result["ci_upper"] = float("nan")
    x = result.loc[has_people, "participants"]
    n = result.loc[has_people, "denominator"]
    lower, upper = proportion_confint(x, n, alpha=1 - level, method="wilson")
    result.loc[has_people, "prevalence"] = x / n
    result.loc[has_people, "ci_lower"] = lower
    result.loc[has_people, "ci_upper"] = upper
    result["ci_method"] = "wilson"
    result["ci_level"] = level
    result["suppressed"] = False
    return result[COLUMNS]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Prevalence with pandas + statsmodels (baseline).")
    parser.add_argument("study", type=Path)
    parser.add_argument("--by", action="append", default=[])
    parser.add_argument("-o", "--output", type=Path, required=True, help="a .parquet file")
    args = parser.parse_args(argv)
    prevalence(args.study, args.by).to_parquet(args.output, index=False)


if __name__ == "__main__":
    main()
