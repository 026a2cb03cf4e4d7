"""Tests for toolkit.privacy.disclosure: small counts in text, k-anonymity, ``raremix privacy``."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from toolkit.privacy import find_small_cells


def test_find_small_cells() -> None:
    text = "Pain 2/15 (13%), Fatigue 9/15 (60.0%), n = 3 women; 20% of 15 people"
    hits = find_small_cells(text, min_cell=5, denominators=[15])
    assert any("2/15" in h for h in hits)
    assert any("n = 3" in h for h in hits)
    assert any("13%" in h for h in hits)  # 2/15 = 13.3% -> 13
    assert not any("9/15" in h and h.strip().startswith("9") for h in hits)
    assert find_small_cells("9/15 (60.0%) and 10 of 15", min_cell=5, denominators=[15]) == []
    assert find_small_cells(text, min_cell=0) == []


# ------------------------------------------------------------------------------------------
# k-anonymity and the command line, on a SYNTHETIC study written here
# ------------------------------------------------------------------------------------------

STUDY_YML = """\
# SYNTHETIC test study
study: {id: privacy-synthetic, title: Privacy test (synthetic), condition: {name: Testitis}, synthetic: true}
inputs: {participants: participants.csv, codebook: codebook.csv, codings: codings.csv}
attributes:
  age: {type: numeric, bins: [18, 50, 65, 120]}
  sex: {type: categorical, levels: [Female, Male]}
  site: {type: categorical, levels: [North, South]}
analysis: {strata: [sex], coder: a}
privacy: {quasi_identifiers: [age, sex, site], k: 3, redact: {names: [Odile]}}
"""


def write_study(
    folder: Path, people: list[tuple[str, str, str, str]], codings: list[tuple[str, str, str, str]]
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yml").write_text(STUDY_YML)
    (folder / "participants.csv").write_text(
        "participant_id,age,sex,site\n" + "".join(f"{p},{a},{s},{t}\n" for p, a, s, t in people)
    )
    (folder / "codebook.csv").write_text(
        "code_id,label,parent_id\nroot,Root,\npain,Pain,root\nfear,Fear,root\n"
    )
    (folder / "codings.csv").write_text(
        "participant_id,code_id,quote,coder\n"
        + "".join(f"{p},{c},{q},{w}\n" for p, c, q, w in codings)
    )
    return folder


PEOPLE = [
    ("s1", "30", "Female", "North"),
    ("s2", "35", "Female", "North"),
    ("s3", "40", "Female", "North"),
    ("s4", "55", "Female", "South"),
    ("s5", "58", "Male", "South"),
    ("s6", "70", "Male", "South"),
    ("s7", "", "Female", "South"),
    ("s10", "45", "Female", "North"),
]
CODINGS = [
    ("s1", "pain", "Odile said so", "a"),
    ("s1", "pain", "Odile said so", "b"),
    ("s2", "fear", "on 3 March 2021", "a"),
    ("s5", "pain", "it hurts", "b"),
]


def brute_rare(people: list[tuple[str, str, str, str]], k: int) -> set[tuple[str, str]]:
    """Minimal rare combinations, counted by hand (age bands written out)."""
    from itertools import combinations

    def band(age: str) -> str:
        if not age:
            return "missing"
        value = float(age)
        return "18–49" if value < 50 else "50–64" if value < 65 else "65–120"

    rows = [{"age": band(a), "sex": s, "site": t} for _, a, s, t in people]
    rare: list[dict[str, str]] = []
    for size in (1, 2, 3):
        for combo in combinations(["age", "sex", "site"], size):
            values = {tuple(r[c] for c in combo) for r in rows}
            for v in values:
                count = sum(all(r[c] == x for c, x in zip(combo, v, strict=True)) for r in rows)
                cell = dict(zip(combo, v, strict=True))
                if count < k and not any(
                    all(cell.get(c) == x for c, x in sub.items()) for sub in rare
                ):
                    rare.append(cell)
    return {(", ".join(c), ", ".join(c_v for c_v in c.values())) for c in rare}


def test_k_anonymity_matches_a_hand_count(tmp_path: Path) -> None:
    from toolkit.analysis import load, reidentification
    from toolkit.privacy import k_anonymity

    study, settings = load(write_study(tmp_path / "s", PEOPLE, CODINGS))
    frame = reidentification(study, settings)  # the study's k and strata (report elements)
    got = set(zip(frame["attributes"], frame["values"], strict=True))
    assert got == brute_rare(PEOPLE, 3)
    assert all(1 <= n < 3 for n in frame["participants"])
    men = frame.filter(pl.col("values") == "Male").row(0, named=True)
    # s5 and s6 are the men, named by the study's keyed pseudonyms
    from toolkit.analysis.gate import pseudonym_mapping

    lookup = dict(pseudonym_mapping(study).iter_rows())
    expected = ", ".join(sorted([lookup["s5"], lookup["s6"]], key=lambda p: int(p[1:])))
    assert men["participants"] == 2 and men["pseudonyms"] == expected
    assert "cohort table by sex" in men["exposed_by"]
    assert k_anonymity(study, k=1).height == 0
    assert k_anonymity(study, quasi_identifiers=["site"], k=4).height == 0  # 4 and 4
    assert k_anonymity(study, quasi_identifiers=["site"], k=5)["participants"].to_list() == [4, 4]


def test_cli_privacy_reports_and_writes_key_only_outside_reports(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from toolkit.cli import main

    folder = write_study(tmp_path / "s", PEOPLE, CODINGS)
    runner = CliRunner()
    result = runner.invoke(main, ["privacy", str(folder), "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "attributes,values,participants,pseudonyms,exposed_by"
    assert f"{len(lines) - 1} combination(s)" in result.stderr
    assert not (tmp_path / "key.csv").exists()

    inside = tmp_path / "reports" / "privacy-synthetic" / "key.csv"
    refused = runner.invoke(main, ["privacy", str(folder), "--write-key", str(inside)])
    assert refused.exit_code == 1 and "Error: refusing to write the pseudonym key" in refused.stderr
    assert not inside.parent.exists()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "report.qmd").write_text("x")
    refused = runner.invoke(
        main, ["privacy", str(folder), "--write-key", str(tmp_path / "out" / "k.csv")]
    )
    assert refused.exit_code == 1 and not (tmp_path / "out" / "k.csv").exists()

    key = tmp_path / "key.csv"
    written = runner.invoke(
        main, ["privacy", str(folder), "--write-key", str(key), "--k", "2", "--format", "json"]
    )
    assert written.exit_code == 0, written.output
    assert json.loads(written.stdout)["k"] == 2
    mapping = pl.read_csv(key)
    assert sorted(mapping["participant_id"].to_list()) == sorted(
        ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s10"]
    )
    assert mapping["pseudonym"].to_list() == [f"P0{i}" for i in range(1, 9)]
