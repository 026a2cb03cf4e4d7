"""Where raremix's bundled files are: templates, frameworks, examples.

In the repository they are top-level folders (``templates/``, ``examples/``) beside the
package. A built wheel or sdist carries a copy of them inside the package, as
``toolkit/_resources/templates`` and ``toolkit/_resources/examples`` (``setup.py`` copies them
there at build time, so git holds one copy). The copy inside the package is used when it
exists (an installed wheel); otherwise the checkout's folders (an editable install or a
clone). ``$RAREMIX_TEMPLATES`` names another templates folder to use instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from toolkit.errors import EnvironmentProblem

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
BUNDLED = PACKAGE / "_resources"
"""Where a built wheel keeps its copy of ``templates/`` and ``examples/``."""

_MARKERS = {"templates": "partials", "examples": "crosswalk.csv"}


def _find(name: str) -> Path:
    """The folder ``name``: the wheel's copy, else the checkout's beside the package."""
    candidates = [BUNDLED / name, ROOT / name]
    for candidate in candidates:
        if (candidate / _MARKERS[name]).exists():
            return candidate
    raise EnvironmentProblem(
        f"raremix's {name} folder is missing (looked in {', '.join(map(str, candidates))}); "
        "reinstall raremix (pip install --force-reinstall raremix), or from a clone of its "
        "repository run make setup"
    )


def templates_dir() -> Path:
    """The ``templates/`` folder (report templates, frameworks, `init` templates).

    ``$RAREMIX_TEMPLATES``, when set, names the folder to use instead of the bundled one.

    Raises:
        EnvironmentProblem: ``$RAREMIX_TEMPLATES`` is not a templates folder, or raremix's
            own is missing from the installation.
    """
    override = os.environ.get("RAREMIX_TEMPLATES")
    if override:
        path = Path(override)
        if not (path / _MARKERS["templates"]).is_dir():
            raise EnvironmentProblem(
                f"RAREMIX_TEMPLATES is set to '{override}', which is not a raremix templates "
                "folder (it has no partials/ folder); unset it or point it at one"
            )
        return path
    return _find("templates")


def examples_dir() -> Path:
    """The ``examples/`` folder of bundled SYNTHETIC studies.

    Raises:
        EnvironmentProblem: it is missing from the installation.
    """
    return _find("examples")
