"""Every broken input in tests/bad_inputs/cases/ fails cleanly through the command line.

For each case (see CASES.md): ``raremix validate`` and ``raremix prevalence -o FILE`` exit 1,
print only ``Error:`` lines (each naming the file, and the line and column where the case
says), no traceback, write no output file and leave the study folder as it was. A hypothesis
test throws malformed CSV files at the loader: exit 0, or exit 1 with ``Error:`` lines, never
an exception.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.cli import main

HERE = Path(__file__).resolve().parent


def _load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bad_inputs_generate", HERE / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bad_inputs_generate"] = module
    spec.loader.exec_module(module)
    return module


generate = _load_generator()
CASES = generate.CASES


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def check_clean_failure(result: Result, expect: tuple[str, ...], errors: int | None) -> list[str]:
    assert result.exit_code == 1, f"exit {result.exit_code}; output:\n{result.output}"
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "no message at all"
    assert all(line.startswith(("Error: ", "Warning: ")) for line in lines), lines
    error_lines = [line for line in lines if line.startswith("Error: ")]
    text = "\n".join(error_lines)
    for fragment in expect:
        assert re.search(fragment, text), f"{fragment!r} not in:\n{text}"
    if errors is not None:
        assert len(error_lines) == errors, f"expected {errors} Error: line(s):\n{text}"
    return error_lines


def test_corpus_is_large_and_committed() -> None:
    assert len(CASES) >= 40
    names = [case.name for case in CASES]
    assert len(set(names)) == len(names)
    for case in CASES:
        folder = HERE / "cases" / case.name
        assert (folder / "study.yml").is_file(), f"run tests/bad_inputs/generate.py ({case.name})"
        committed = snapshot(folder)
        expected = generate.case_files(case)
        assert set(committed) == set(expected), case.name
        for name, data in expected.items():
            if not name.endswith((".xlsx", ".qdpx")):  # zips embed timestamps
                assert committed[name] == data, f"{case.name}/{name} is stale: regenerate"
    table = (HERE / "CASES.md").read_text(encoding="utf-8")
    assert all(f"| {name} |" in table for name in names)


PARAMS = [
    pytest.param(
        case,
        id=case.name,
        marks=[pytest.mark.xfail(strict=True, reason=case.gap)] if case.gap else [],
    )
    for case in CASES
]


@pytest.mark.parametrize("command", ["validate", "prevalence"])
@pytest.mark.parametrize("case", PARAMS)
def test_bad_input_fails_cleanly(case, command: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "study"
    shutil.copytree(HERE / "cases" / case.name, folder)
    before = snapshot(folder)
    out = tmp_path / "out" / "prevalence.csv"
    args = [command, str(folder)]
    if command == "prevalence":
        args += ["--format", "csv", "-o", str(out)]
    result = CliRunner().invoke(main, args)
    check_clean_failure(result, case.expect, case.errors)
    assert not out.exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert snapshot(folder) == before


# --------------------------------------------------------------------------------------------
# Malformed CSVs at random: exit 0, or exit 1 with Error: lines; never a traceback
# --------------------------------------------------------------------------------------------

CELL = st.one_of(
    st.sampled_from(
        ["P1", "P2", "pain", "body", "", " ", "NaN", "inf", "-1", "1e400", "Female", "=1+1"]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6),
    st.sampled_from(['"', '""', '"a,b"', ";", "\t", "\r", "\\", "\x00"]),
)
ROW = st.lists(CELL, min_size=0, max_size=9)


def render(rows: list[list[str]], delimiter: str, newline: str) -> str:
    return newline.join(delimiter.join(row) for row in rows)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    role=st.sampled_from(["participants.csv", "codebook.csv", "codings.csv"]),
    header=st.sampled_from(
        [
            None,
            "participant_id,age,sex,status",
            "code_id,label,parent_id,description",
            "participant_id,code_id,quote,source,start,end,coder",
        ]
    ),
    rows=st.lists(ROW, max_size=8),
    delimiter=st.sampled_from([",", ";", "\t", ",,"]),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]),
)
def test_malformed_csv_never_raises(
    tmp_path_factory: pytest.TempPathFactory,
    role: str,
    header: str | None,
    rows: list[list[str]],
    delimiter: str,
    newline: str,
    encoding: str,
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    for name, data in generate.base_files().items():
        (folder / name).write_bytes(data)
    text = render(([header.split(",")] if header else []) + rows, delimiter, newline)
    (folder / role).write_bytes(text.encode(encoding, errors="replace"))
    result = CliRunner().invoke(main, ["prevalence", str(folder), "--format", "csv"])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{text!r}"
    )
    assert result.exit_code in (0, 1)
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines and all(line.startswith(("Error: ", "Warning: ")) for line in lines), lines
