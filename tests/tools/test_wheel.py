"""The built wheel and sdist carry what raremix needs at run time (issue 16).

The wheel is built with `pip wheel . --no-deps` from a copy of the checkout's files and
installed into a fresh virtual environment outside the checkout (no system site-packages);
`raremix demo`, `raremix init` and `raremix report` then run there, in a folder with no
templates/ or examples/ near it. uv installs the dependencies from its cache (hard links), so
the whole test takes seconds once the cache is warm.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = (
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "README.md",
    "toolkit",
    "templates",
    "examples",
)
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "_resources", "*.egg-info")

pytestmark = pytest.mark.slow


def _tracked_copy(target: Path) -> Path:
    """The files a build reads, copied, so the build leaves nothing in the checkout."""
    target.mkdir()
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=IGNORE)
        else:
            shutil.copyfile(source, target / name)
    return target


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, (
        f"{' '.join(map(str, args))}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(wheel, sdist) built from a copy of the checkout."""
    root = tmp_path_factory.mktemp("build")
    source = _tracked_copy(root / "src")
    dist = root / "dist"
    _run(sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", dist, cwd=source)
    uv = Path(sys.executable).with_name("uv")
    _run(uv, "build", "--sdist", "-q", "-o", dist, cwd=source)
    (wheel,) = dist.glob("raremix-*.whl")
    (sdist,) = dist.glob("raremix-*.tar.gz")
    return wheel, sdist


def _bundled(names: list[str], prefix: str) -> set[str]:
    return {n[len(prefix) :] for n in names if n.startswith(prefix) and not n.endswith("/")}


def _repo_files(folder: str) -> set[str]:
    """The files of ``folder`` that git tracks (a study's secret key is never among them)."""
    listed = subprocess.run(
        ["git", "ls-files", folder], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    return set(listed)


def test_wheel_and_sdist_carry_templates_and_examples(built: tuple[Path, Path]) -> None:
    wheel, sdist = built
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    with tarfile.open(sdist) as archive:
        sdist_names = archive.getnames()
    top = sdist_names[0].split("/")[0]
    for folder in ("templates", "examples"):
        expected = _repo_files(folder)
        assert _bundled(names, "toolkit/_resources/") >= expected
        assert _bundled(sdist_names, f"{top}/") >= expected
    assert "License-Expression: MIT" in metadata
    unwanted = ("__pycache__", ".pyc", ".raremix-secret")
    assert not [n for n in names + sdist_names if any(u in n for u in unwanted)]


def test_installed_wheel_runs_demo_init_and_report(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    wheel, _ = built
    venv = tmp_path / "venv"
    uv = Path(sys.executable).with_name("uv")
    base = Path(getattr(sys, "_base_executable", sys.executable))
    _run(uv, "venv", "-q", "--python", base, venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    _run(uv, "pip", "install", "-q", "--python", python, f"{wheel}[report]", cwd=tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "LANG": "C.UTF-8",
    }
    where = _run(
        python,
        "-c",
        "import toolkit, toolkit.resources as r; "
        "print(toolkit.__file__); print(r.templates_dir()); print(r.examples_dir())",
        cwd=work,
        env=env,
    ).split()
    site = venv / "lib"
    assert all(Path(p).is_relative_to(site) for p in where), where

    demo = _run("raremix", "demo", "--format", "html", "-o", "out", cwd=work, env=env)
    reports = sorted(work.glob("out/*/report.html"))
    assert len(reports) == 3, demo
    assert all("SYNTHETIC DATA" in r.read_text(encoding="utf-8") for r in reports)

    _run("raremix", "init", "newstudy", cwd=work, env=env)
    assert sorted(p.name for p in (work / "newstudy").iterdir()) == [
        "codebook.csv",
        "codings.csv",
        "participants.csv",
        "study.yml",
    ]

    study = Path(where[2]) / "calciphylaxis"
    _run("raremix", "report", study, "--format", "html", "-o", "rep", cwd=work, env=env)
    html = (work / "rep" / "report.html").read_text(encoding="utf-8")
    assert "Living with calciphylaxis" in html
    assert (work / "rep" / "prevalence.csv").is_file()
