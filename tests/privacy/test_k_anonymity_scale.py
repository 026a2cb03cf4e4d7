"""k-anonymity stays polynomial (issue 17): combinations up to a size, pruned, and right.

The old check grouped the participants by every one of the 2^q − 1 combinations of q
quasi-identifiers (16 attributes: 31 s and 2 GB; a 22-attribute export never finished).
"""

from __future__ import annotations

from itertools import combinations
from math import comb
from pathlib import Path

import numpy as np
import pytest

from toolkit.privacy.disclosure import MAX_COMBINATION, _minimal_rare_cells


def brute_force(codes: np.ndarray, k: int, largest: int) -> set[tuple[tuple[int, ...], tuple]]:
    """Every rare cell of every combination up to ``largest``, kept when no part is rare."""
    n, q = codes.shape
    rare: set[tuple[tuple[int, ...], tuple]] = set()
    for size in range(1, largest + 1):
        for combo in combinations(range(q), size):
            cells: dict[tuple, int] = {}
            for row in range(n):
                cell = tuple(int(codes[row, j]) for j in combo)
                cells[cell] = cells.get(cell, 0) + 1
            for cell, count in cells.items():
                if count < k:
                    rare.add((combo, cell))
    return {
        (combo, cell)
        for combo, cell in rare
        if not any(
            (sub, tuple(cell[combo.index(j)] for j in sub)) in rare
            for size in range(1, len(combo))
            for sub in combinations(combo, size)
        )
    }


def found_cells(codes: np.ndarray, k: int, largest: int) -> tuple[set, int, int, int]:
    found, examined, pruned = _minimal_rare_cells(codes, k, largest)
    cells = set()
    for combo, members in found:
        values = {tuple(int(codes[m, j]) for j in combo) for m in members}
        assert len(values) == 1  # the members share the cell
        count = sum(
            all(codes[r, j] == v for j, v in zip(combo, next(iter(values)), strict=True))
            for r in range(codes.shape[0])
        )
        assert count == len(members) < k  # every member of the cell is listed
        cells.add((combo, next(iter(values))))
    return cells, len(found), examined, pruned


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_minimal_rare_cells_match_a_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    codes = np.column_stack([rng.integers(0, levels, 40) for levels in (2, 3, 2, 4, 3, 5, 2)])
    for k in (2, 3, 5):
        for largest in (1, 2, 3, 7):
            cells, listed, _, _ = found_cells(codes, k, largest)
            assert cells == brute_force(codes, k, largest)
            assert listed == len(cells)  # no cell twice


def test_counting_by_sorting_gives_the_same_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit.privacy import disclosure

    rng = np.random.default_rng(11)
    codes = np.column_stack([rng.integers(0, levels, 50) for levels in (3, 7, 2, 5, 4)])
    monkeypatch.setattr(disclosure, "_BINCOUNT_LIMIT", 0)  # the path of very many levels
    cells, _, _, _ = found_cells(codes, 3, 3)
    assert cells == brute_force(codes, 3, 3)


def test_work_stays_polynomial_and_pruned() -> None:
    rng = np.random.default_rng(7)
    q, n = 14, 60
    codes = np.column_stack([rng.integers(0, 3, n) for _ in range(q)])
    codes[:, 5] = np.arange(n)  # a record number among the attributes: everyone unique
    cells, _, examined, pruned = found_cells(codes, 3, MAX_COMBINATION)
    bound = sum(comb(q, size) for size in range(1, MAX_COMBINATION + 1))
    exhaustive = 2**q - 1  # what the old check grouped by: 16,383
    assert examined + pruned == bound < exhaustive / 30
    # every combination with the record number in it, beyond the number itself, is pruned
    assert pruned >= comb(q - 1, 1) + comb(q - 1, 2)
    assert cells == brute_force(codes, 3, MAX_COMBINATION)


def test_the_study_check_reports_what_it_examined(tmp_path: Path) -> None:
    from tests.privacy.test_disclosure import CODINGS, PEOPLE, write_study
    from toolkit.analysis import load
    from toolkit.privacy.disclosure import anonymity_check

    study, _ = load(write_study(tmp_path / "s", PEOPLE, CODINGS))
    frame, check = anonymity_check(study, quasi_identifiers=["age", "sex", "site"], k=3)
    assert check.quasi_identifiers == ("age", "sex", "site")
    assert check.examined + check.pruned == 7 == check.exhaustive
    assert "up to 3 of 3 quasi-identifiers" in check.sentence()
    one, small = anonymity_check(study, quasi_identifiers=["age", "sex", "site"], max_combination=1)
    assert small.examined + small.pruned == 3
    assert set(one["attributes"]) <= {"age", "sex", "site"}
    assert set(zip(one["attributes"], one["values"], strict=True)) <= set(
        zip(frame["attributes"], frame["values"], strict=True)
    )


def test_settings_default_quasi_identifiers_and_combination_size(tmp_path: Path) -> None:
    from tests.privacy import test_disclosure
    from toolkit.analysis import load

    folder = test_disclosure.write_study(tmp_path / "s", test_disclosure.PEOPLE, [])
    yml = (folder / "study.yml").read_text()
    yml = yml.replace(
        "privacy: {quasi_identifiers: [age, sex, site], k: 3,", "privacy: {max_combination: 2,"
    )
    (folder / "study.yml").write_text(
        yml.replace("  site: {type: categorical, levels: [North, South]}\n", "")
    )
    (folder / "codings.csv").write_text("participant_id,code_id,quote,coder\ns1,pain,q,a\n")
    _, settings = load(folder)
    # the strata and the declared categorical or binned attributes, not the undeclared 'site'
    assert settings.quasi_identifiers == ("sex", "age")
    assert settings.max_combination == 2
