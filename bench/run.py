"""The raremix benchmark (``make bench``): whole processes, timed, on SYNTHETIC corpora.

For each corpus size (coded segments) it runs, several times each, as separate processes:

- ``floor``: polars alone reading the codings Parquet and counting distinct (participant, code)
  pairs (:mod:`bench.floor`), the least work any prevalence computation does;
- ``raremix``: ``raremix prevalence STUDY --by sex --by status --format parquet -o FILE``;
- ``duckdb``: the same table in DuckDB SQL (:mod:`bench.duckdb_anchor`), the anchor;
- ``baseline``: the same table with pandas + statsmodels (:mod:`bench.baseline`);
- ``compare``: ``raremix compare`` over the 50 cohorts the corpus is split into;

and the start-up (``raremix --help``, ``raremix prevalence`` on the bundled example). It
reports the median wall time and the peak resident memory of each process (``ru_maxrss`` of
that child, reported by the small wrapper :mod:`bench.measure`), checks that raremix, the
baseline and DuckDB give the same numbers, then (unless ``--no-scale``) times the example
report (:mod:`bench.report`) and the inputs that once blew up (:mod:`bench.scale`), and writes
``bench/results/results.md`` and ``results.json`` with the machine described.

    python -m bench.run                 # 1e4 to 2e7 and the scale rows (about 20 minutes on 2 cores)
    python -m bench.run --quick         # 1e4 and 1e5, to try it out
    python -m bench.run --sizes 1e6 --repeats 3 --no-scale
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.generate import DATA, QUICK_SIZES, SIZES, Corpus, generate, parse_size, size_label

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
BY = ("sex", "status")
TOOLS = ("floor", "raremix", "duckdb", "baseline", "compare")
BIG = 5_000_000  # sizes from here on run --big-repeats times
# Beyond this the baseline is not run: pandas needed 6 GiB at 5e6 segments and grows
# linearly, so 2e7 would not fit in 24 GiB.
BASELINE_MAX = 5_000_000
DEFAULT_SIZES = (*SIZES, 20_000_000)


@dataclass
class Measurement:
    """Repeated runs of one command."""

    tool: str
    segments: int
    command: list[str]
    seconds: list[float] = field(default_factory=list)
    peak_mib: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def median_seconds(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def max_peak_mib(self) -> float | None:
        return max(self.peak_mib) if self.peak_mib else None


def run_once(command: list[str], *, cwd: Path) -> tuple[float, float, int, str]:
    """Run ``command`` under bench/measure.py; return (seconds, peak MiB, status, stderr tail)."""
    wrapper = [sys.executable, "-I", str(HERE / "measure.py"), "--", *command]
    with tempfile.TemporaryFile() as err:
        done = subprocess.run(wrapper, cwd=cwd, stdout=subprocess.PIPE, stderr=err, check=False)
        err.seek(0)
        tail = err.read().decode("utf-8", "replace").strip().splitlines()[-3:]
    try:
        report = json.loads(done.stdout.decode().strip().splitlines()[-1])
    except (IndexError, ValueError):
        return 0.0, 0.0, done.returncode or 1, " | ".join(tail) or "measure.py reported nothing"
    return report["seconds"], report["max_rss_kib"] / 1024, report["status"], " | ".join(tail)


def measure_round_robin(
    segments: int, commands_by_tool: dict[str, list[str]], repeats: int
) -> dict[str, Measurement]:
    """Run every command ``repeats`` times, one of each in turn.

    Taking turns spreads bursts of other work on the machine over all tools alike, so their
    medians stay comparable.
    """
    results = {
        tool: Measurement(tool, segments, command) for tool, command in commands_by_tool.items()
    }
    for _ in range(repeats):
        for result in results.values():
            if result.error is not None:
                continue
            seconds, peak, status, tail = run_once(result.command, cwd=REPO)
            if status != 0:
                result.error = f"exit {status}: {tail}"
                continue
            result.seconds.append(seconds)
            result.peak_mib.append(peak)
    label = size_label(segments) if segments else "-"
    for tool, result in results.items():
        shown = (
            f"{result.median_seconds:.3f} s, {result.max_peak_mib:.0f} MiB"
            if result.error is None
            else result.error
        )
        print(f"  {label:>4} {tool:<9} {shown}", flush=True)
    return results


def raremix_command() -> list[str]:
    """The installed ``raremix`` beside this Python, else ``python -m toolkit``."""
    script = Path(sys.executable).with_name("raremix")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "toolkit"]


def commands(corpus: Corpus, out: Path) -> dict[str, list[str]]:
    by = [arg for name in BY for arg in ("--by", name)]
    py = [sys.executable, "-m"]
    return {
        "floor": [*py, "bench.floor", str(corpus.codings)],
        "raremix": [
            *raremix_command(),
            "prevalence",
            str(corpus.study),
            *by,
            "--format",
            "parquet",
            "-o",
            str(out / "raremix.parquet"),
        ],
        "duckdb": [
            *py,
            "bench.duckdb_anchor",
            str(corpus.study),
            *by,
            "-o",
            str(out / "duckdb.parquet"),
        ],
        "baseline": [
            *py,
            "bench.baseline",
            str(corpus.study),
            *by,
            "-o",
            str(out / "baseline.parquet"),
        ],
        "compare": [
            *raremix_command(),
            "compare",
            *(str(c) for c in corpus.cohorts),
            "--format",
            "parquet",
            "-o",
            str(out / "compare.parquet"),
        ],
    }


def input_mib(corpus: Corpus) -> float:
    """In-memory size (polars) of the codings and participants tables, all columns."""
    import polars as pl

    size = pl.read_parquet(corpus.codings).estimated_size("mb")
    return size + pl.read_parquet(corpus.participants).estimated_size("mb")


def agreement(out: Path, other: str = "baseline.parquet") -> str:
    """Whether raremix and ``other`` (the baseline's or DuckDB's table) wrote the same numbers
    ('yes', or what differs): counts equal, prevalence and interval limits to 1e-9."""
    import polars as pl

    keys = ["code_id", "stratum_variable", "stratum_value"]
    ours_path, theirs_path = out / "raremix.parquet", out / other
    if not (ours_path.is_file() and theirs_path.is_file()):
        return "not compared"
    ours = pl.read_parquet(ours_path).with_columns(pl.col(keys[1:]).fill_null(""))
    theirs = pl.read_parquet(theirs_path).with_columns(pl.col(keys[1:]).fill_null(""))
    if ours.height != theirs.height:
        return f"no: {ours.height} rows against {theirs.height}"
    joined = ours.join(theirs, on=keys, how="inner", suffix="_b")
    if joined.height != ours.height:
        return f"no: {ours.height - joined.height} rows without a match"
    bad = []
    for column in ("participants", "denominator", "segments"):
        if (joined[column] != joined[f"{column}_b"]).any():
            bad.append(column)
    for column in ("prevalence", "ci_lower", "ci_upper"):
        diff = (joined[column] - joined[f"{column}_b"]).abs().fill_nan(0).max()
        if isinstance(diff, float) and diff > 1e-9:
            bad.append(column)
    return "yes" if not bad else "no: " + ", ".join(bad)


def machine() -> dict[str, str]:
    """nproc, memory, CPU model, Python and library versions."""
    import polars as pl

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        memory = f"{kib / 1024**2:.1f} GiB"
    versions = {"polars": pl.__version__}
    for name in ("pandas", "statsmodels", "numpy", "duckdb"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            versions[name] = "not installed"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = "unknown"
    from toolkit import __version__

    return {
        "nproc": str(os.cpu_count()),
        "memory": memory,
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        **versions,
        "raremix": f"{__version__} ({commit})",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def _fmt(value: float | None, spec: str, unit: str = "") -> str:
    return "—" if value is None else format(value, spec) + unit


def markdown(results: dict[str, object]) -> str:
    """The results as Markdown: machine, table, ratios, curve."""
    m = results["machine"]
    assert isinstance(m, dict)
    rows = results["sizes"]
    assert isinstance(rows, list)
    lines = [
        "# raremix benchmark",
        "",
        "Generated by `make bench` (`python -m bench.run`) on SYNTHETIC corpora from "
        "`bench/generate.py` (no real participant). Whole processes, start-up included "
        "(raremix's modules compiled to bytecode first, as installing a package does); "
        f"median of {results['repeats']} runs ({results['big_repeats']} at 5·10^6 segments and "
        "above); peak memory is the largest resident set size of the process.",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']} memory, {m['os']}; "
        f"Python {m['python']}, polars {m['polars']}, pandas {m['pandas']}, "
        f"statsmodels {m['statsmodels']}, numpy {m['numpy']}, DuckDB {m.get('duckdb', '?')}; "
        f"raremix {m['raremix']}; {m['date']}. "
        f"Load average when the run ended (1/5/15 min): {m['load']}; other work on the machine "
        "slows every tool alike, so compare the ratios more than the seconds.",
        "",
        "Tools: **floor** = polars alone counting distinct (participant, code) pairs in the "
        "codings Parquet; **raremix** = `raremix prevalence STUDY --by sex --by status --format "
        "parquet`; **duckdb** = the anchor a data-savvy user would write instead: the same "
        "distinct-participant roll-up per stratum in DuckDB SQL over the same files (a "
        "recursive CTE for the ancestors, Wilson intervals; no validation; every core); "
        "**baseline** = the same table with pandas group-bys + statsmodels "
        "`proportion_confint(method='wilson')`; **compare** = `raremix compare` over 50 cohorts "
        "(the same segments split into 50 study folders).",
        "",
        "| segments | participants | input in memory | floor | raremix | duckdb | baseline "
        "| compare | raremix ÷ duckdb, time | raremix ÷ duckdb, peak | baseline ÷ raremix "
        "| raremix ÷ floor | raremix peak ÷ input | same numbers (baseline; duckdb) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|",
    ]
    for row in rows:
        t = row["tools"]

        def cell(tool: str, t: dict[str, dict[str, object]] = t) -> str:
            entry = t.get(tool)
            if not entry:
                return "—"
            if entry.get("error"):
                return "failed"
            return f"{entry['median_seconds']:.2f} s / {entry['max_peak_mib']:.0f} MiB"

        def sec(tool: str, t: dict[str, dict[str, object]] = t) -> float | None:
            entry = t.get(tool) or {}
            value = entry.get("median_seconds")
            return value if isinstance(value, float) else None

        def peak(tool: str, t: dict[str, dict[str, object]] = t) -> float | None:
            entry = t.get(tool) or {}
            value = entry.get("max_peak_mib")
            return value if isinstance(value, float) else None

        ours, base, floor_s, ours_peak = (
            sec("raremix"),
            sec("baseline"),
            sec("floor"),
            peak("raremix"),
        )
        speedup = base / ours if base and ours else None
        over_floor = ours / floor_s if ours and floor_s else None
        over_input = ours_peak / row["input_mib"] if ours_peak else None
        duck, duck_peak = sec("duckdb"), peak("duckdb")
        over_duck = ours / duck if ours and duck else None
        over_duck_peak = ours_peak / duck_peak if ours_peak and duck_peak else None
        lines.append(
            f"| {row['segments']:,} | {row['participants']:,} | {row['input_mib']:.0f} MiB "
            f"| {cell('floor')} | {cell('raremix')} | {cell('duckdb')} | {cell('baseline')} "
            f"| {cell('compare')} | {_fmt(over_duck, '.2f', '×')} "
            f"| {_fmt(over_duck_peak, '.2f', '×')} | {_fmt(speedup, '.1f', '×')} "
            f"| {_fmt(over_floor, '.2f', '×')} | {_fmt(over_input, '.2f', '×')} "
            f"| {row['agreement']}; {row.get('duckdb_agreement', '—')} |"
        )
    startup = results["startup"]
    assert isinstance(startup, dict)
    given = results.get("startup_prevalence")
    example: dict[str, Any] = dict(given) if isinstance(given, dict) else {}
    if example.get("peak_mib") and example.get("max_peak_mib") is None:
        example["max_peak_mib"] = max(example["peak_mib"])
    lines += [
        "",
        f"The baseline is not run above {BASELINE_MAX:,} segments: it needed 6 GiB at 5·10^6 and "
        "grows linearly, past what this machine holds.",
        "",
        "Peak memory includes the Python interpreter and libraries (about 60-120 MiB before any "
        "data), so the ratio to the input only means something at the larger sizes. "
        "*Input in memory* is the polars in-memory size of the codings and participants tables, "
        "all columns.",
        "",
        f"Start-up: `raremix --help` takes {_fmt(startup.get('median_seconds'), '.3f')} s "
        f"(median of {len(startup.get('seconds') or [])} runs; target < 0.3 s); "
        "`raremix prevalence examples/calciphylaxis --format csv` (15 participants: start-up, "
        f"imports, reading and validating) {_fmt(example.get('median_seconds'), '.3f')} s "
        f"and {_fmt(example.get('max_peak_mib'), '.0f')} MiB (target 0.25 s).",
        "",
        "## Cost against size",
        "",
        "Seconds against segments. In brackets: the marginal cost from the previous size, "
        "in microseconds per added segment, (t₂ − t₁) / (s₂ − s₁); the same figure from one "
        "size to the next means cost linear in segments. At the small sizes start-up "
        "dominates and the differences are within noise.",
        "",
        "| segments | " + " | ".join(TOOLS) + " |",
        "|---:|" + "---:|" * len(TOOLS),
    ]
    previous: dict[str, tuple[int, float]] = {}
    for row in rows:
        cells = []
        for tool in TOOLS:
            entry = row["tools"].get(tool) or {}
            value = entry.get("median_seconds")
            if not isinstance(value, float):
                cells.append("—")
                continue
            text = f"{value:.2f} s"
            if tool in previous:
                size, seconds = previous[tool]
                marginal = (value - seconds) * 1e6 / (row["segments"] - size)
                text += f" ({marginal:.2f} µs)"
            previous[tool] = (row["segments"], value)
            cells.append(text)
        lines.append(f"| {row['segments']:,} | " + " | ".join(cells) + " |")
    errors = [
        f"- {size_label(row['segments'])} {tool}: {entry['error']}"
        for row in rows
        for tool, entry in row["tools"].items()
        if entry.get("error")
    ]
    if errors:
        lines += ["", "Failures:", "", *errors]
    report_runs = results.get("report")
    if isinstance(report_runs, dict):
        lines += [
            "",
            "## Report of the bundled example",
            "",
            "`raremix report examples/calciphylaxis` (15 participants), whole process, median "
            "of 3 runs after a warm-up (Chromium's files in the page cache):",
            "",
            "| formats | time | runs |",
            "|---|---:|---|",
        ]
        for formats, times in report_runs.items():
            runs = ", ".join(f"{t:.2f}" for t in times)
            lines.append(f"| {formats} | {statistics.median(times):.2f} s | {runs} s |")
    scale_rows = results.get("scale")
    if isinstance(scale_rows, list):
        from bench.scale import markdown as scale_markdown

        lines += ["", scale_markdown(scale_rows).rstrip("\n")]
    return "\n".join(lines) + "\n"


def compile_bytecode() -> None:
    """Compile raremix's modules to bytecode, as ``pip install`` does for an installed package.

    The benchmark runs from a source checkout: with ``PYTHONDONTWRITEBYTECODE=1`` (or an
    outdated ``__pycache__``) every timed process would compile the modules it imports again,
    a cost no installed copy pays.
    """
    import compileall

    compileall.compile_dir(REPO / "toolkit", quiet=1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Time raremix against pandas + statsmodels and a polars floor."
    )
    parser.add_argument(
        "--sizes",
        type=lambda s: [parse_size(x) for x in s.split(",")],
        default=list(DEFAULT_SIZES),
        help="comma-separated segment counts (default: 1e4,1e5,1e6,5e6,2e7; "
        "the baseline runs up to 5e6)",
    )
    parser.add_argument("--quick", action="store_true", help="only 1e4 and 1e5, 3 runs each")
    parser.add_argument("--repeats", type=int, default=5, help="runs per command (default 5)")
    parser.add_argument(
        "--big-repeats", type=int, default=5, help="runs at 5e6 and above (default 5)"
    )
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"subset of {','.join(TOOLS)}")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where results.md/json go")
    parser.add_argument("--data", type=Path, default=DATA, help="where corpora are generated")
    parser.add_argument(
        "--no-scale",
        action="store_true",
        help="skip bench.scale (the inputs that once blew up) and the example report",
    )
    args = parser.parse_args(argv)
    sizes = list(QUICK_SIZES) if args.quick else args.sizes
    repeats = 3 if args.quick else args.repeats
    tools = [t for t in args.tools.split(",") if t]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")

    print("Generating SYNTHETIC corpora (cached in bench/data/)...", flush=True)
    corpora = [generate(s, root=args.data) for s in sizes]
    compile_bytecode()
    print("Start-up:", flush=True)
    example = REPO / "examples" / "calciphylaxis"
    starts = measure_round_robin(
        0,
        {
            "--help": [*raremix_command(), "--help"],
            "prevalence": [*raremix_command(), "prevalence", str(example), "--format", "csv"],
        },
        max(repeats, 10),
    )
    startup, example_run = starts["--help"], starts["prevalence"]
    rows = []
    for corpus in corpora:
        count = corpus.segments
        runs = args.big_repeats if count >= BIG else repeats
        out = Path(tempfile.mkdtemp(prefix=f"raremix-bench-{size_label(count)}-"))
        try:
            chosen = {
                t: c
                for t, c in commands(corpus, out).items()
                if t in tools and (t != "baseline" or count <= BASELINE_MAX)
            }
            done = measure_round_robin(count, chosen, runs)
            rows.append(
                {
                    "segments": count,
                    "participants": max(count // 100, 50),
                    "input_mib": input_mib(corpus),
                    "agreement": agreement(out),
                    "duckdb_agreement": agreement(out, "duckdb.parquet"),
                    "tools": {
                        tool: {
                            **asdict(m),
                            "median_seconds": m.median_seconds,
                            "max_peak_mib": m.max_peak_mib,
                        }
                        for tool, m in done.items()
                    },
                }
            )
        finally:
            shutil.rmtree(out, ignore_errors=True)
    extras: dict[str, object] = {}
    if not args.no_scale:
        from bench import report, scale

        extras["scale"] = scale.measure(args.quick, 1)
        print("Report of the 15-person example:", flush=True)
        extras["report"] = {
            formats: report.timings(formats, 3) for formats in ("html", "html,pdf,docx")
        }
        print(f"  {extras['report']}", flush=True)
    results: dict[str, object] = {
        "machine": machine(),
        "repeats": repeats,
        "big_repeats": args.big_repeats,
        "startup": {**asdict(startup), "median_seconds": startup.median_seconds},
        "startup_prevalence": {
            **asdict(example_run),
            "median_seconds": example_run.median_seconds,
            "max_peak_mib": example_run.max_peak_mib,
        },
        "sizes": rows,
        **extras,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "results.json").write_text(
        json.dumps(results, indent=2) + "\n", encoding="utf-8"
    )
    (args.results / "results.md").write_text(markdown(results), encoding="utf-8")
    print(f"Wrote {args.results / 'results.md'}")


if __name__ == "__main__":
    main()
