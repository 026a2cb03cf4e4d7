"""Build hook: the wheel carries the top-level templates/ and examples/ inside the package.

Everything else about the package is in pyproject.toml. raremix needs its report templates,
frameworks, `init` templates and the bundled SYNTHETIC example studies at run time; in the
repository they stay top-level folders, and the build copies them to
``toolkit/_resources/`` so that git holds one copy (``toolkit/resources.py`` finds either).
MANIFEST.in puts the same folders into the sdist, so a wheel built from it has them too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("templates", "examples")
IGNORE = shutil.ignore_patterns("__pycache__", "*.py[cod]", ".*")


class BuildWithResources(build_py):
    """build_py that also copies templates/ and examples/ into toolkit/_resources/."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's folders
            return
        for name in BUNDLED:
            target = Path(self.build_lib) / "toolkit" / "_resources" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(name, target, ignore=IGNORE)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not self.editable_mode:
            root = Path(self.build_lib) / "toolkit" / "_resources"
            outputs += [str(p) for p in root.rglob("*") if p.is_file()]
        return outputs


setup(cmdclass={"build_py": BuildWithResources})
