"""load_study(codings_columns=...): read only what a command counts with, same numbers."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit.errors import InputError
from toolkit.io.study import load_study
from toolkit.stats.prevalence import prevalence

MANIFEST = """\
study: {{id: projection-synthetic, title: Projection test, condition: {{name: Synthetic}}, synthetic: true}}
inputs:
  participants: participants.parquet
  codebook: codebook.csv
  codings: {codings}
{extra}
attributes:
  sex: {{type: categorical, levels: [F, M]}}
"""


def write_study(
    folder: Path,
    *,
    codings_name: str = "codings.parquet",
    participant_column: str = "participant_id",
    unknown: bool = False,
    extra: str = "",
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"participant_id": ["P1", "P2", "P3"], "sex": ["F", "M", None]}).write_parquet(
        folder / "participants.parquet"
    )
    pl.DataFrame(
        {
            "code_id": ["pain", "severe", "fear"],
            "label": ["Pain", "Severe", "Fear"],
            "parent_id": [None, "pain", None],
        }
    ).write_csv(folder / "codebook.csv")
    codings = pl.DataFrame(
        {
            participant_column: ["P1", "P1", "P2", "P3" if not unknown else "P9"],
            "code_id": ["severe", "pain", "fear", "severe"],
            "quote": [
                "[synthetic] it burns",
                "[synthetic] a lot",
                "[synthetic] afraid",
                "[synthetic] again",
            ],
            "start": [0, 10, 5, 7],
            "end": [9, 20, 12, 15],
        }
    )
    if codings_name.endswith(".parquet"):
        codings.write_parquet(folder / codings_name)
    else:
        codings.write_csv(folder / codings_name)
    (folder / "study.yml").write_text(MANIFEST.format(codings=codings_name, extra=extra))
    return folder


def test_parquet_codings_read_only_the_ids_and_count_the_same(tmp_path: Path) -> None:
    study = write_study(tmp_path / "s")
    whole = load_study(study)
    lean = load_study(study, codings_columns=("coder",))
    assert whole.codings["quote"].null_count() == 0
    assert lean.codings["quote"].null_count() == lean.codings.height  # not read at all
    assert lean.codings.columns == whole.codings.columns
    assert_frame_equal(
        lean.codings.select("_row", "participant_id", "code_id"),
        whole.codings.select("_row", "participant_id", "code_id"),
    )
    assert_frame_equal(prevalence(lean, by=["sex"]), prevalence(whole, by=["sex"]))
    assert prevalence(lean).filter(pl.col("code_id") == "pain")["participants"].item() == 2


def test_ids_are_still_checked(tmp_path: Path) -> None:
    study = write_study(tmp_path / "s", unknown=True)
    with pytest.raises(InputError) as caught:
        load_study(study, codings_columns=("coder",))
    assert caught.value.lines() == [
        "codings.parquet:4: column 'participant_id': participant 'P9' is not in "
        "participants.parquet; add a row for them there or correct the id"
    ]


def test_renamed_columns_are_found(tmp_path: Path) -> None:
    study = write_study(
        tmp_path / "s",
        participant_column="Document",
        extra="  columns: {participant_id: Document}",
    )
    lean = load_study(study, codings_columns=("coder",))
    assert lean.codings["participant_id"].to_list() == ["P1", "P1", "P2", "P3"]
    assert_frame_equal(prevalence(lean), prevalence(load_study(study)))


def test_text_codings_are_read_whole(tmp_path: Path) -> None:
    study = write_study(tmp_path / "s", codings_name="codings.csv")
    lean = load_study(study, codings_columns=("coder",))
    assert lean.codings["quote"].null_count() == 0
