"""Codes by cases: the counts, and the disclosure rule (it reveals no hidden count)."""

from __future__ import annotations

import itertools
from pathlib import Path

import polars as pl
import pytest

from toolkit import privacy
from toolkit.analysis import analyse_matrix, analyse_prevalence, settings_for
from toolkit.testing import make_study

PEOPLE = {
    "participant_id": [f"id{i}" for i in range(1, 13)],
    "sex": ["F"] * 6 + ["M"] * 5 + ["X"],
    "age": ["20", "30", "40", "50", "60", "70", "25", "35", "45", "55", "65", "75"],
    "score": ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"],
}
CODEBOOK = {
    "code_id": ["root", "common", "rare", "lonely"],
    "parent_id": ["", "root", "root", ""],
}
# common: 8 participants; rare: 2 (hidden with min_cell 3); lonely: 6, all women but one.
CODINGS = {
    "participant_id": [f"id{i}" for i in (1, 2, 3, 4, 7, 8, 9, 10)]
    + ["id1", "id1", "id5"]
    + [f"id{i}" for i in (1, 2, 3, 4, 5, 7)],
    "code_id": ["common"] * 8 + ["common", "rare", "rare"] + ["lonely"] * 6,
}
ATTRIBUTES = {"age": {"type": "numeric", "bins": [18, 50, 80]}, "score": {"type": "numeric"}}


def _study(min_cell: int):  # type: ignore[no-untyped-def]
    return make_study(
        PEOPLE, CODEBOOK, CODINGS, attributes=ATTRIBUTES, analysis={"min_cell": min_cell}
    )


def _independent_counts() -> dict[tuple[str, str], int]:
    parent = dict(zip(CODEBOOK["code_id"], CODEBOOK["parent_id"], strict=True))
    counts: dict[tuple[str, str], int] = {}
    for pid, code in zip(CODINGS["participant_id"], CODINGS["code_id"], strict=True):
        node: str = code
        while node:
            counts[(pid, node)] = counts.get((pid, node), 0) + 1
            node = parent[node]
    return counts


def test_counts_roll_up_the_codebook() -> None:
    study = _study(0)
    results = analyse_matrix(study, settings_for(study))
    matrix = results.need("matrix")
    mapping = dict(results.need("pseudonyms").iter_rows())
    expected = _independent_counts()
    assert matrix.columns[:4] == ["pseudonym", "sex", "age", "score"]
    for pid in PEOPLE["participant_id"]:
        row = matrix.filter(pl.col("pseudonym") == mapping[pid]).row(0, named=True)
        for node in CODEBOOK["code_id"]:
            assert row[node] == expected.get((pid, node), 0), (pid, node)
    assert set(matrix["age"].to_list()) == {"18–49", "50–80"}
    assert not set(matrix["pseudonym"].to_list()) & set(PEOPLE["participant_id"])


def test_with_min_cell_no_hidden_count_shows() -> None:
    k = 3
    study = _study(k)
    settings = settings_for(study)
    results = analyse_matrix(study, settings)
    matrix = results.need("matrix")
    # Numeric without bins: one participant's value each, left out.
    assert "score" not in matrix.columns
    # The one "X" is a small level; hidden with a complement, never alone.
    shown_sex = matrix["sex"].value_counts()
    for level, n in shown_sex.iter_rows():
        assert not privacy.is_small(n, k), (level, n)
    assert "X" not in matrix["sex"].to_list()
    by = ["sex", "age"]
    prevalence = analyse_prevalence(study, settings, by=by).need("prevalence")
    hidden = privacy.hidden_cells(prevalence)
    nodes = [n for n in CODEBOOK["code_id"] if n in matrix.columns]
    assert "rare" not in nodes and "root" not in nodes  # hidden, and the node above it
    for code, _, _ in hidden:
        assert code not in matrix.columns
    # Every count the matrix lets one compute (overall and in each shown group) is 0 or >= k.
    for node in nodes:
        voiced = pl.col(node) > 0
        assert not privacy.is_small(int(matrix.select(voiced.sum()).item()), k)
        for column in ("sex", "age"):
            for n in matrix.group_by(column).agg(voiced.sum())[node].to_list():
                assert not privacy.is_small(int(n), k), (node, column)
    # Two attributes together: the matrix shows no more than the participants table would.
    for combo in itertools.combinations(["sex", "age"], 1):
        assert matrix.group_by(list(combo)).len()["len"].min() >= k
    assert any("left out" in note for note in results.notes)


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_long_and_repeated_labels_make_valid_files(tmp_path: Path, fmt: str) -> None:
    import pyreadstat

    from toolkit.report.matrix import write_matrix

    long = "Experiences of diagnostic delay and of being disbelieved by health professionals"
    study = make_study(
        {"participant_id": ["a", "b"], "sex": ["F", "M"]},
        {
            "code_id": ["p", "q", "p1", "q1"],
            "label": [long, "Fatigue", "Other", "Other"],
            "parent_id": ["", "", "p", "q"],
        },
        {"participant_id": ["a", "b"], "code_id": ["p1", "q1"]},
    )
    out = tmp_path / f"m.{fmt}"
    write_matrix(analyse_matrix(study, settings_for(study)), out, fmt=fmt)
    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    frame, meta = reader(str(out), output_format="polars")
    labels = list(meta.column_names_to_labels.values())
    # Two nodes labelled "Other" are told apart by their parents.
    assert "Fatigue / Other" in labels and any(lab and lab.endswith("/ Other") for lab in labels)
    assert all(len(name) <= 30 for name in frame.columns)
    assert frame.height == 2
