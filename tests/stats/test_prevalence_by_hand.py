"""The bundled calciphylaxis study (SYNTHETIC), counted by hand from its CSV files.

Plain Python only: the csv module, a walk up parent_id, and the Wilson score formula written
out. Compared with `raremix prevalence --by disease_status --format csv`, overall and per stratum.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from click.testing import CliRunner

from toolkit.cli import main

STUDY = Path(__file__).resolve().parents[2] / "examples" / "calciphylaxis"
Z95 = 1.959963984540054  # the 97.5% point of the standard normal


def _read(name: str) -> list[dict[str, str]]:
    with (STUDY / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _wilson(x: int, n: int) -> tuple[float, float]:
    p = x / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 / (1 + Z95**2 / n) * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2))
    return max(0.0, centre - half), min(1.0, centre + half)


def _by_hand() -> dict[tuple[str, str], tuple[int, int, int]]:
    """(code_id, stratum) -> (participants voicing it, denominator, segments)."""
    parent = {row["code_id"]: row["parent_id"] for row in _read("codebook.csv")}

    def ancestors(code: str) -> list[str]:
        chain = [code]
        while parent[chain[-1]]:
            chain.append(parent[chain[-1]])
        return chain

    status = {row["participant_id"]: row["disease_status"] for row in _read("participants.csv")}
    voiced: dict[str, set[str]] = {code: set() for code in parent}
    segments = dict.fromkeys(parent, 0)
    for row in _read("codings.csv"):
        for code in ancestors(row["code_id"]):
            voiced[code].add(row["participant_id"])
            segments[code] += 1
    out = {}
    for code, people in voiced.items():
        out[(code, "")] = (len(people), len(status), segments[code])
        for level in set(status.values()):
            members = {p for p, s in status.items() if s == level}
            out[(code, level)] = (len(people & members), len(members), -1)
    return out


def test_prevalence_equals_a_count_by_hand_overall_and_by_disease_status() -> None:
    result = CliRunner().invoke(
        main, ["prevalence", str(STUDY), "--by", "disease_status", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = _by_hand()
    assert len(rows) == len(expected)
    for row in rows:
        x, n, segments = expected[(row["code_id"], row["stratum_value"])]
        assert (int(row["participants"]), int(row["denominator"])) == (x, n), row["code_id"]
        if segments >= 0:
            assert int(row["segments"]) == segments, row["code_id"]
        lower, upper = _wilson(x, n)
        assert math.isclose(float(row["ci_lower"]), lower, abs_tol=1e-12), row["code_id"]
        assert math.isclose(float(row["ci_upper"]), upper, abs_tol=1e-12), row["code_id"]
    # A few themes spelled out, as a reader of the report would check them.
    assert expected[("severe_pain", "")][:2] == (13, 15)
    assert expected[("pain", "Active")][1] + expected[("pain", "Remission")][1] == 15
