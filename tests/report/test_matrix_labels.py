"""SPSS/Stata value codes follow the attribute's own order, not the order participants come
in, and "missing" is a missing value (the example study is SYNTHETIC)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyreadstat
import pytest
from click.testing import CliRunner

from toolkit.analysis import load
from toolkit.cli import main
from toolkit.stats.strata import stratum_values

REPO = Path(__file__).resolve().parents[2]
CALCI = REPO / "examples" / "calciphylaxis"


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_value_codes_follow_the_attribute_order(tmp_path: Path, fmt: str) -> None:
    study_dir = tmp_path / "study"
    shutil.copytree(CALCI, study_dir)
    # Reverse the participants so the first participant no longer has the lowest age band.
    rows = (study_dir / "participants.csv").read_text(encoding="utf-8").splitlines()
    (study_dir / "participants.csv").write_text(
        "\n".join([rows[0], *reversed(rows[1:])]) + "\n", encoding="utf-8"
    )
    out = tmp_path / f"m.{fmt}"
    result = CliRunner().invoke(main, ["matrix", str(study_dir), "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    _, meta = reader(str(out))
    study, _ = load(study_dir)
    for name, spec in study.attributes.items():
        if spec.type == "numeric" and spec.bins is None:
            continue
        levels = [v for v in stratum_values(study.participants, spec)[1] if v != "missing"]
        labels = next(
            (v for k, v in meta.variable_value_labels.items() if k.startswith(name[:20])), None
        )
        assert labels is not None, name
        assert [labels[k] for k in sorted(labels)] == levels, name
        assert "missing" not in labels.values()
