"""`raremix prevalence` imports only what counting needs (issue 17, start-up).

A structural check (which modules get imported), not a timing: `make bench` times the
command on the bundled example. Reports, comparisons, importers, plotting, the other
analyses and the optional data libraries stay unimported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_PROBE = """
import json, sys
from toolkit.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

#: Never needed to count prevalence (prefixes of module names).
UNNEEDED = (
    "scipy",
    "plotly",
    "kaleido",
    "pandas",
    "statsmodels",
    "pyarrow",
    "duckdb",
    "rich",
    "toolkit.report",
    "toolkit.compare",
    "toolkit.io.refi",
    "toolkit.io.qualcoder",
    "toolkit.io.redcap",
    "toolkit.stats.cooccurrence",
    "toolkit.stats.saturation",
    "toolkit.stats.agreement",
    "toolkit.stats.cohort",
)


def test_prevalence_of_the_example_imports_only_what_it_needs(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "RAREMIX_PROGRESS": "0"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _PROBE,
            "prevalence",
            str(REPO / "examples" / "calciphylaxis"),
            "--format",
            "csv",
            "-o",
            str(tmp_path / "prevalence.csv"),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert (tmp_path / "prevalence.csv").is_file(), done.stderr  # the command really ran
    imported = json.loads(done.stderr.strip().splitlines()[-1])
    assert "toolkit.stats.prevalence" in imported
    unneeded = sorted(
        name
        for name in imported
        for prefix in UNNEEDED
        if name == prefix or name.startswith(prefix + ".")
    )
    assert unneeded == []
