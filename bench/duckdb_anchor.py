"""The anchor: the prevalence table as a data-savvy user would write it in DuckDB SQL.

The same distinct-participant roll-up per stratum as ``raremix prevalence --by ...``, over
the same files (codings and participants Parquet, codebook CSV): a recursive CTE for each
code's ancestors, distinct (participant, node) pairs, counts overall and per level of each
``--by`` attribute (a missing value is the level ``missing``), Wilson 95% intervals, written
to Parquet. No validation (raremix checks ids, codes, levels and bins first): this is what a
user who trusts the files would run. DuckDB uses every core, as it does by default.

    python -m bench.duckdb_anchor STUDY_DIR --by sex --by status -o out.parquet
"""

from __future__ import annotations

import argparse
from pathlib import Path

Z95 = 1.959963984540054


def query(study: Path, by: list[str]) -> str:
    """The SQL: one row per codebook node and stratum (overall, then each level of each
    ``by`` attribute), with participants, denominator, segments and the Wilson interval."""
    codebook = f"read_csv('{study / 'codebook.csv'}', all_varchar = true)"
    codings = f"read_parquet('{study / 'codings.parquet'}')"
    people = f"read_parquet('{study / 'participants.parquet'}')"
    levels = "".join(f", coalesce(CAST({a} AS VARCHAR), 'missing') AS {a}" for a in by)
    sets = ", ".join(["()", *(f"({a})" for a in by)])
    # which attribute a grouping-set row is for, and its value (NULL, NULL: overall)
    variable = "CASE " + " ".join(f"WHEN GROUPING({a}) = 0 THEN '{a}'" for a in by) + " END"
    value = "CASE " + " ".join(f"WHEN GROUPING({a}) = 0 THEN {a}" for a in by) + " END"
    if not by:
        variable = value = "NULL"
    z2 = Z95 * Z95
    x, n = "coalesce(c.x, 0)", "g.n"
    p = f"({x} / {n})"
    half = f"{Z95} * sqrt({p} * (1 - {p}) / {n} + {z2} / (4 * {n} * {n}))"
    return f"""
WITH RECURSIVE
book AS (SELECT code_id, nullif(parent_id, '') AS parent_id FROM {codebook}),
ancestors(code_id, node) AS (
    SELECT code_id, code_id FROM book
    UNION ALL
    SELECT a.code_id, b.parent_id FROM ancestors a JOIN book b ON b.code_id = a.node
    WHERE b.parent_id IS NOT NULL
),
people AS (SELECT participant_id{levels} FROM {people}),
pairs AS (SELECT participant_id, code_id, count(*) AS segments FROM {codings} GROUP BY ALL),
rolled AS (
    SELECT p.participant_id, a.node, sum(p.segments) AS segments
    FROM pairs p JOIN ancestors a USING (code_id) GROUP BY ALL
),
counts AS (
    SELECT r.node, {variable} AS variable, {value} AS value,
           count(*) AS x, sum(r.segments) AS segments
    FROM rolled r JOIN people USING (participant_id)
    GROUP BY GROUPING SETS ({", ".join(["(r.node)", *(f"(r.node, {a})" for a in by)])})
),
denominators AS (
    SELECT {variable} AS variable, {value} AS value, count(*) AS n
    FROM people GROUP BY GROUPING SETS ({sets})
),
grid AS (SELECT b.code_id, d.variable, d.value, d.n FROM book b CROSS JOIN denominators d)
SELECT
    g.code_id, g.variable AS stratum_variable, g.value AS stratum_value,
    {x} AS participants, {n} AS denominator, coalesce(c.segments, 0) AS segments,
    {p} AS prevalence,
    ({p} + {z2} / (2 * {n}) - {half}) / (1 + {z2} / {n}) AS ci_lower,
    ({p} + {z2} / (2 * {n}) + {half}) / (1 + {z2} / {n}) AS ci_upper
FROM grid g LEFT JOIN counts c
  ON c.node = g.code_id
 AND c.variable IS NOT DISTINCT FROM g.variable
 AND c.value IS NOT DISTINCT FROM g.value
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("study", type=Path)
    parser.add_argument("--by", action="append", default=[])
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    import duckdb

    sql = query(args.study.resolve(), args.by)
    duckdb.sql(f"COPY ({sql}) TO '{args.output}' (FORMAT parquet)")


if __name__ == "__main__":
    main()
