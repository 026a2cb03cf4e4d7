"""Where raremix's bundled files are: templates, frameworks, examples.

They live at the repository root (``templates/``, ``examples/``) beside the package, which is
how raremix is installed here (an editable install from a clone).
"""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import EnvironmentProblem

ROOT = Path(__file__).resolve().parents[1]


def _existing(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise EnvironmentProblem(
            f"raremix's {what} folder is missing ({path}); install raremix from a clone of its "
            "repository (pip install -e .), which keeps it beside the package"
        )
    return path


def templates_dir() -> Path:
    """The ``templates/`` folder (report templates, frameworks, `init` templates)."""
    return _existing(ROOT / "templates", "templates")


def examples_dir() -> Path:
    """The ``examples/`` folder of bundled synthetic studies."""
    return _existing(ROOT / "examples", "examples")
