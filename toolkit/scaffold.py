"""`raremix init`: a new study folder from the templates in ``templates/init``."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from toolkit.errors import UsageError
from toolkit.resources import templates_dir


def scaffold_study(directory: Path) -> list[Path]:
    """Create ``directory`` with a commented study.yml and header-only canonical CSVs.

    The folder is assembled beside the target and renamed into place, so a failure leaves
    nothing behind.

    Raises:
        UsageError: ``directory`` exists and is not empty.
    """
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise UsageError(f"'{directory}' already exists and is not empty; choose a new folder name")
    source = templates_dir() / "init"
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        for template in sorted(source.iterdir()):
            shutil.copyfile(template, staging / template.name)
        if directory.exists():
            directory.rmdir()
        staging.rename(directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(directory.iterdir())
