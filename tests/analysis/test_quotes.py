"""The integrated joint display's selection (issue 12 item 3; issue 14 item 6).

Exemplars spread across participants or chosen by the researcher (the optional ``exemplar``
codings column), no quotation twice, negative cases of near-universal themes, attributions
that show only what the tables show. The example study is SYNTHETIC.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from toolkit.analysis import analyse_study, load
from toolkit.analysis.quotes import NEAR_UNIVERSAL, _text_key
from toolkit.errors import InputError
from toolkit.io.secret import SECRET_FILE

REPO = Path(__file__).resolve().parents[2]
CALCI = REPO / "examples" / "calciphylaxis"


def _quotes(joint: pl.DataFrame) -> list[tuple[str, dict[str, str]]]:
    return [(row["code_id"], q) for row in joint.iter_rows(named=True) for q in row["quotes"]]


@pytest.mark.parametrize("min_cell", [0, 3, 5])
def test_exemplars_spread_across_participants_and_never_repeat(min_cell: int) -> None:
    """Today P12 supplied 7 of 24 quotes and one sentence appeared under four themes."""
    study, settings = load(CALCI, min_cell=min_cell)
    joint = analyse_study(study, settings).need("joint")
    quotes = _quotes(joint)
    assert quotes
    for row in joint.iter_rows(named=True):
        people = [q["pseudonym"] for q in row["quotes"]]
        assert len(people) == len(set(people)), row["code_id"]  # one per participant per theme
        assert len(people) <= settings.quotes_per_theme
    keys = [_text_key(q["quote"]) for _, q in quotes]
    for i, key in enumerate(keys):
        for other in keys[i + 1 :]:
            assert key not in other and other not in key  # no sentence twice, even padded
    supplied = Counter(q["pseudonym"] for _, q in quotes)
    # Least-used first: a participant supplies at most 3 (P12 supplied 7 of 24 before).
    assert max(supplied.values()) <= 3 < len(quotes) / 4
    assert len(supplied) >= min(study.n_participants - 1, len(quotes) // 2)


def test_negative_cases_of_near_universal_themes() -> None:
    study, settings = load(CALCI)
    results = analyse_study(study, settings)
    overall = results.need("prevalence").filter(pl.col("stratum_variable").is_null())
    lookup = dict(results.need("pseudonyms").iter_rows())
    from toolkit.stats.hierarchy import closure

    pairs = closure(study.codebook)
    checked = 0
    for row in results.need("joint").iter_rows(named=True):
        theme = overall.filter(pl.col("code_id") == row["code_id"]).row(0, named=True)
        share = theme["participants"] / theme["denominator"]
        assert row["near_universal"] == (NEAR_UNIVERSAL <= share < 1)
        if not row["near_universal"]:
            assert row["not_voiced"] == []
            continue
        below = pairs.filter(pl.col("ancestor_id") == row["code_id"])["code_id"]
        voiced = set(
            study.codings.filter(pl.col("code_id").is_in(below.to_list()))["participant_id"]
        )
        expected = {lookup[p] for p in study.participants["participant_id"] if p not in voiced}
        assert set(row["not_voiced"]) == expected
        assert len(row["not_voiced"]) == theme["denominator"] - theme["participants"]
        checked += 1
    assert checked >= 2


@pytest.mark.parametrize("min_cell", [0, 3, 5])
def test_attributions_show_bins_and_only_what_the_tables_show(min_cell: int) -> None:
    """Quote attributions printed exact ages ("P04, 72, male, remission"); counting "male"
    attributions rebuilt hidden counts."""
    study, settings = load(CALCI, min_cell=min_cell)
    results = analyse_study(study, settings)
    ages = {f"{a:.0f}" for a in study.participants["age"].drop_nulls()}
    prevalence = results.need("prevalence")
    hidden = {
        (c, v.lower())
        for c, v in prevalence.filter(
            pl.col("stratum_variable").is_not_null() & pl.col("participants").is_null()
        )
        .select("code_id", "stratum_value")
        .iter_rows()
    }
    for code, quote in _quotes(results.need("joint")):
        parts = quote["attribution"].split(", ")
        assert re.fullmatch(r"P\d{2}", parts[0])
        for part in parts[1:]:
            assert part not in ages, quote["attribution"]
            if min_cell > 1:
                assert (code, part.lower()) not in hidden, (code, quote["attribution"])
    if min_cell > 1:
        overall = prevalence.filter(pl.col("stratum_variable").is_null())
        for code in overall.filter(pl.col("participants").is_null())["code_id"]:
            row = results.need("joint").filter(pl.col("code_id") == code)
            assert row.height == 0 or (
                row["quotes"][0].len() == 0 and row["not_voiced"][0].len() == 0
            )


@pytest.fixture
def flagged_study(tmp_path: Path) -> Path:
    folder = tmp_path / "study"
    shutil.copytree(CALCI, folder, ignore=shutil.ignore_patterns(SECRET_FILE))
    path = folder / "codings.csv"
    codings = pl.read_csv(path, infer_schema_length=0)
    pain = codings.with_row_index("i").filter(pl.col("code_id") == "severe_pain")
    chosen = pain["i"][-1]
    refused = pain["i"][0]
    flags = [""] * codings.height
    flags[chosen] = "true"
    flags[refused] = "FALSE"
    codings.with_columns(pl.Series("exemplar", flags)).write_csv(path)
    return folder


def test_the_researchers_exemplars_are_used(flagged_study: Path) -> None:
    study, settings = load(flagged_study)
    assert study.codings["exemplar"].dtype == pl.Boolean
    chosen = study.codings.filter(pl.col("exemplar").fill_null(False)).row(0, named=True)
    refused = study.codings.filter(~pl.col("exemplar").fill_null(True)).row(0, named=True)
    results = analyse_study(study, settings)
    lookup = dict(results.need("pseudonyms").iter_rows())
    joint = results.need("joint")
    pain = joint.filter(pl.col("code_id") == "pain").row(0, named=True)
    assert pain["chosen_by"] == "researcher"
    assert [q["pseudonym"] for q in pain["quotes"]] == [lookup[chosen["participant_id"]]]
    assert chosen["quote"][-20:] == pain["quotes"][0]["quote"][-20:]
    assert all(_text_key(q["quote"]) != _text_key(refused["quote"]) for _, q in _quotes(joint))
    others = joint.filter(pl.col("code_id") != "pain")
    assert set(others["chosen_by"]) == {"spread"}


def test_an_exemplar_value_that_is_not_true_or_false_is_located(flagged_study: Path) -> None:
    path = flagged_study / "codings.csv"
    codings = pl.read_csv(path, infer_schema_length=0)
    flags = codings["exemplar"].fill_null("").to_list()
    flags[4] = "maybe"
    codings.with_columns(pl.Series("exemplar", flags)).write_csv(path)
    with pytest.raises(InputError) as info:
        load(flagged_study)
    (line,) = [x for x in info.value.lines() if "exemplar" in x]
    assert "codings.csv:6" in line and "'maybe' is not true or false" in line


def _with_meta(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "study"
    shutil.copytree(CALCI, folder, ignore=shutil.ignore_patterns(SECRET_FILE))
    (folder / "meta.csv").write_text(text, encoding="utf-8")
    manifest = folder / "study.yml"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("codings:"))
    lines.insert(at + 1, "  meta_inferences: meta.csv")
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_meta_inferences_reach_the_joint_display(tmp_path: Path) -> None:
    folder = _with_meta(
        tmp_path, "code_id,meta_inference,note\npain,Confirms,vivid accounts\nfinancial,expands,\n"
    )
    study, settings = load(folder)
    joint = analyse_study(study, settings).need("joint")
    found = {r["code_id"]: (r["meta_inference"], r["meta_note"]) for r in joint.to_dicts()}
    assert found["pain"] == ("confirms", "vivid accounts")
    assert found["financial"] == ("expands", None)
    assert found["wounds"] == (None, None)
    assert "meta_inferences" in [i.role for i in study.inputs]  # in the provenance


def test_meta_inference_problems_are_located(tmp_path: Path) -> None:
    folder = _with_meta(
        tmp_path,
        "code_id,meta_inference,note\npain,agrees,\nnope,expands,\npain,confirms,\n,confirms,\n",
    )
    with pytest.raises(InputError) as info:
        load(folder)
    lines = info.value.lines()
    assert any("meta.csv:2" in x and "'agrees' is not a meta-inference" in x for x in lines)
    assert any("meta.csv:3" in x and "'nope' is not in the codebook" in x for x in lines)
    assert any("meta.csv:4" in x and "listed twice (first on line 2)" in x for x in lines)
    assert any("meta.csv:5" in x and "empty code_id" in x for x in lines)
    (folder / "meta.csv").write_text("code_id,inference\npain,confirms\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        load(folder)


@pytest.mark.parametrize("min_cell", [3, 5])
def test_negative_cases_never_let_a_small_or_hidden_cell_be_worked_out(min_cell: int) -> None:
    """Knowing a silent participant's sex (from an attribution elsewhere), "Male 3, one man
    did not voice it" gives the men who did: names are withheld when that is small or
    hidden."""
    from toolkit.stats.strata import stratum_values

    study, settings = load(CALCI, min_cell=min_cell)
    results = analyse_study(study, settings)
    back = {p: i for i, p in results.need("pseudonyms").iter_rows()}
    prevalence = results.need("prevalence")
    labels = {
        name: dict(
            zip(
                study.participants["participant_id"],
                stratum_values(study.participants, study.attribute(name))[0],
                strict=True,
            )
        )
        for name in ("age", "sex", "disease_status")
    }
    withheld = 0
    for row in results.need("joint").iter_rows(named=True):
        withheld += row["not_voiced_withheld"]
        if not row["not_voiced"]:
            continue
        silent = [back[p] for p in row["not_voiced"]]
        for name, of in labels.items():
            for level in {of[p] for p in silent}:
                size = sum(v == level for v in of.values())
                voicers = size - sum(of[p] == level for p in silent)
                assert voicers == 0 or voicers >= min_cell, (row["code_id"], name, level)
                cell = prevalence.filter(
                    (pl.col("code_id") == row["code_id"])
                    & (pl.col("stratum_variable") == name)
                    & (pl.col("stratum_value") == level)
                )
                assert cell.height == 0 or cell["participants"][0] is not None
    if min_cell == 5:
        assert withheld >= 1  # the example has such themes at 5
