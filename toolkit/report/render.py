"""Render a report spec to HTML, PDF and DOCX, with Quarto or with pandoc + typst.

The one place with input/output for reports. Everything is written into a temporary folder
beside the destination and moved into place at the end, so a failure leaves the previous
report as it was.

Engines:
    ``quarto``: ``quarto render report.qmd --to html,typst,docx`` (when a ``quarto``
    executable is on PATH or ``QUARTO_PATH`` names one).
    ``pandoc``: the engines Quarto drives, called directly: pandoc (the ``pypandoc-binary``
    wheel) for HTML and DOCX and for markdown → typst, and the ``typst`` wheel for the PDF.

Static figures (PDF for the typst PDF, PNG for Word) come from plotly through kaleido and
one Chromium session per report (or one for many reports inside :func:`warm_browser`); PNGs
are rasterised from those PDFs by typst, so the browser draws each figure once. The HTML
report needs no browser: plotly.js is inlined once in ``<head>``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from toolkit.choices import ENGINES
from toolkit.choices import REPORT_FORMATS as FORMATS
from toolkit.errors import EnvironmentProblem, ImplementationError, UsageError
from toolkit.folders import check_output_folder, staged_folder
from toolkit.output import frame_to_csv
from toolkit.report.browser import Browser
from toolkit.report.qmd import templates_dir, write_qmd
from toolkit.report.spec import FigureBlock, Report

Engine = Literal["quarto", "pandoc"]  # choices.ENGINES (tests/test_house.py checks)


@dataclass
class Rendered:
    """What :func:`render_report` wrote, and how long each step took (seconds)."""

    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    engine: str = "pandoc"


def quarto_executable() -> str | None:
    """The Quarto executable: ``$QUARTO_PATH`` or ``quarto`` on PATH, else None."""
    env = os.environ.get("QUARTO_PATH")
    if env:
        return env
    return shutil.which("quarto")


def choose_engine(engine: str | None) -> Engine:
    """``engine`` if given (checked), else quarto when present, else pandoc."""
    if engine is None:
        return "quarto" if quarto_executable() else "pandoc"
    if engine not in ENGINES:
        raise UsageError(f"unknown engine '{engine}'; use quarto or pandoc")
    if engine == "quarto" and quarto_executable() is None:
        raise EnvironmentProblem(
            "--engine quarto: no `quarto` executable on PATH and QUARTO_PATH is not set; "
            "install Quarto (https://quarto.org, or `pip install 'raremix[quarto]'`) "
            "or use --engine pandoc"
        )
    return engine  # type: ignore[return-value]


def parse_formats(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"html,pdf"`` or ``["html", "pdf"]`` as a checked tuple in canonical order."""
    items = [p.strip().lower() for p in (text.split(",") if isinstance(text, str) else text)]
    items = [p for p in items if p]
    unknown = [p for p in items if p not in FORMATS]
    if unknown or not items:
        raise UsageError(
            f"unknown report format {', '.join(repr(u) for u in unknown) or '(none)'}; "
            "use html, pdf, docx or a comma-separated list such as html,pdf"
        )
    return tuple(f for f in FORMATS if f in items)


# --- static figures -----------------------------------------------------------------------


def _mathjax_uri() -> str:
    # kaleido's page otherwise asks a CDN for MathJax; offline that sometimes hangs for 5 s.
    return (templates_dir() / "empty_mathjax.js").resolve().as_uri()


_SESSION: Browser | None = None


@contextlib.contextmanager
def warm_browser() -> Iterator[None]:
    """Keep one Chromium running for every report rendered inside the ``with`` block.

    The browser starts in the background at once; the first figure waits for it (bounded,
    see :mod:`toolkit.report.browser`).
    """
    global _SESSION
    import plotly.io as pio

    pio.defaults.mathjax = _mathjax_uri()
    if _SESSION is not None:
        yield
        return
    _SESSION = Browser(_mathjax_uri())
    try:
        yield
    finally:
        session, _SESSION = _SESSION, None
        session.close()


@contextlib.contextmanager
def browser_starting(needed: bool) -> Iterator[None]:
    """Start Chromium in the background while the caller computes the report.

    Starting the browser takes about 1.5 s; overlapping it with the statistics saves most of
    that for a single report. A no-op when ``needed`` is false or a browser is already warm.
    """
    if not needed or _SESSION is not None:
        yield
        return
    with warm_browser():
        yield


def export_figures(figures: Sequence[FigureBlock], folder: Path, *, pdf: bool, png: bool) -> None:
    """Write ``folder/<name>.pdf`` (vector) and/or ``.png`` for each figure.

    Chromium draws each figure once, as PDF, all in one browser session; the PNGs are
    rasterised from those PDFs by typst (200 ppi).

    Raises:
        EnvironmentProblem: Chromium is missing, fails to start or hangs.
    """
    if not figures or not (pdf or png):
        return
    import plotly.io as pio

    folder.mkdir(parents=True, exist_ok=True)
    pio.defaults.mathjax = _mathjax_uri()
    specs = [
        {
            "fig": block.figure.to_dict(),
            "path": folder / f"{block.name}.pdf",
            "opts": {"format": "pdf", "width": block.width, "height": block.height, "scale": 1},
        }
        for block in figures
    ]
    if _SESSION is not None:
        _SESSION.write(specs)
    else:
        session = Browser(_mathjax_uri())
        try:
            session.write(specs)
        finally:
            session.close()
    missing = [s["path"] for s in specs if not Path(s["path"]).is_file()]
    if missing:
        raise ImplementationError(f"kaleido did not write {', '.join(str(m) for m in missing)}")
    if png:
        _rasterise([b.name for b in figures], folder)
    if not pdf:
        for block in figures:
            (folder / f"{block.name}.pdf").unlink()


def _rasterise(names: Sequence[str], folder: Path) -> None:
    import typst

    pages = "\n#pagebreak()\n".join(f'#image("{name}.pdf")' for name in names)
    source = f"#set page(width: auto, height: auto, margin: 0pt, fill: white)\n{pages}\n"
    main = folder / ".rasterise.typ"
    main.write_text(source, encoding="utf-8")
    try:
        compiled = typst.compile(str(main), format="png", ppi=200, root=str(folder))
    finally:
        main.unlink()
    images: list[bytes] = [compiled] if isinstance(compiled, bytes) else list(compiled)
    for name, data in zip(names, images, strict=True):
        (folder / f"{name}.png").write_bytes(data)


# --- documents ---------------------------------------------------------------------------


def _pandoc() -> str:
    try:
        import pypandoc

        return str(pypandoc.get_pandoc_path())
    except (ImportError, OSError):
        found = shutil.which("pandoc")
        if found:
            return found
    raise EnvironmentProblem("pandoc is missing: pip install 'raremix[report]' (pypandoc-binary)")


def _support_files(folder: Path, *, synthetic: bool) -> None:
    """``_raremix/``: the house style the .qmd names, for pandoc here and Quarto later."""
    import plotly

    support = folder / "_raremix"
    support.mkdir()
    plotly_js = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(
        encoding="utf-8"
    )
    css = (templates_dir() / "css" / "raremix.css").read_text(encoding="utf-8")
    head = f'<style>\n{css}</style>\n<script type="text/javascript">{plotly_js}</script>\n'
    (support / "head.html").write_text(head, encoding="utf-8")
    shutil.copyfile(templates_dir() / "typst" / "raremix.typ", support / "raremix.typ")
    # Table structure, cross-references and list-marker escapes (the .qmd names it for Quarto).
    shutil.copyfile(templates_dir() / "filters" / "when-format.lua", support / "raremix.lua")
    # Word's house style; a synthetic report's carries a SYNTHETIC DATA page header.
    reference = "reference-synthetic.docx" if synthetic else "reference.docx"
    shutil.copyfile(templates_dir() / "docx" / reference, support / "reference.docx")


def _run(args: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait(process: subprocess.Popen[bytes], what: str) -> None:
    _out, err = process.communicate()
    if process.returncode != 0:
        raise ImplementationError(f"{what} failed: {err.decode('utf-8', 'replace').strip()}")


def _render_pandoc(folder: Path, formats: Sequence[str], timings: dict[str, float]) -> None:
    pandoc = _pandoc()
    lua = str(templates_dir() / "filters" / "when-format.lua")
    common = [
        pandoc,
        "report.qmd",
        "--from",
        "markdown",
        "--lua-filter",
        lua,
        "--resource-path",
        ".",
    ]
    started = time.perf_counter()
    jobs: list[tuple[subprocess.Popen[bytes], str]] = []
    if "html" in formats:
        jobs.append(
            (
                _run(
                    [
                        *common,
                        "--to",
                        "html5",
                        "--standalone",
                        "--include-in-header",
                        "_raremix/head.html",
                        "--output",
                        "report.html",
                    ],
                    folder,
                ),
                "pandoc (HTML)",
            )
        )
    if "docx" in formats:
        jobs.append(
            (
                _run(
                    [
                        *common,
                        "--to",
                        "docx",
                        "--reference-doc",
                        "_raremix/reference.docx",
                        "--output",
                        "report.docx",
                    ],
                    folder,
                ),
                "pandoc (DOCX)",
            )
        )
    if "pdf" in formats:
        jobs.append(
            (
                _run(
                    [
                        *common,
                        "--to",
                        "typst",
                        "--template",
                        "_raremix/raremix.typ",
                        "--output",
                        ".report.typ",
                    ],
                    folder,
                ),
                "pandoc (typst)",
            )
        )
    for process, what in jobs:
        _wait(process, what)
    timings["pandoc"] = time.perf_counter() - started
    if "pdf" in formats:
        import typst

        started = time.perf_counter()
        try:
            typst.compile(
                str(folder / ".report.typ"), output=str(folder / "report.pdf"), root=str(folder)
            )
        except Exception as error:  # typst raises its own TypstError
            raise ImplementationError(f"typst could not compile the PDF: {error}") from None
        finally:
            (folder / ".report.typ").unlink(missing_ok=True)
        timings["typst"] = time.perf_counter() - started


def _render_quarto(folder: Path, formats: Sequence[str], timings: dict[str, float]) -> None:
    quarto = quarto_executable()
    if quarto is None:  # pragma: no cover - choose_engine checked
        raise EnvironmentProblem("no quarto executable")
    started = time.perf_counter()
    to = ",".join("typst" if f == "pdf" else f for f in formats)
    process = _run([quarto, "render", "report.qmd", "--to", to], folder)
    _wait(process, "quarto render")
    timings["quarto"] = time.perf_counter() - started


def render_report(
    report: Report,
    out_dir: Path,
    *,
    formats: Sequence[str] = FORMATS,
    engine: str | None = None,
    protect: Sequence[Path] = (),
) -> Rendered:
    """Write ``report`` into ``out_dir``: report.qmd, the formats asked for, figures, CSVs.

    Args:
        report: the finished spec.
        out_dir: destination folder; replaced as a whole only when everything succeeded,
            and only when it is new, empty or a folder raremix wrote (see
            :mod:`toolkit.folders`).
        formats: any of html, pdf, docx.
        engine: "quarto", "pandoc", or None for quarto when present, else pandoc.
        protect: the study folders and input files, which ``out_dir`` may neither be nor hold.

    Returns:
        The files written and the time each step took.

    Raises:
        EnvironmentProblem: Chromium (for pdf/docx figures) or the chosen engine is missing.
        UsageError: ``out_dir`` may not be replaced (it holds inputs or others' files).
    """
    formats = parse_formats(formats)
    chosen = choose_engine(engine)
    out_dir = check_output_folder(Path(out_dir), protect=protect)
    rendered = Rendered(folder=out_dir, engine=chosen)
    timings = rendered.timings
    with staged_folder(out_dir, command="report", protect=protect) as staging:
        started = time.perf_counter()
        for name, frame in report.results.items():
            (staging / f"{name}.csv").write_bytes(frame_to_csv(frame))
        _support_files(staging, synthetic=report.synthetic)
        (staging / "report.qmd").write_text(write_qmd(report), encoding="utf-8")
        timings["qmd"] = time.perf_counter() - started

        started = time.perf_counter()
        export_figures(
            report.figures(), staging / "figures", pdf="pdf" in formats, png="docx" in formats
        )
        timings["figures"] = time.perf_counter() - started

        if chosen == "quarto":
            _render_quarto(staging, formats, timings)
        else:
            _render_pandoc(staging, formats, timings)
        for fmt in formats:
            path = staging / f"report.{fmt}"
            if not path.is_file():
                raise ImplementationError(f"the {chosen} engine did not write report.{fmt}")
    rendered.files = {fmt: out_dir / f"report.{fmt}" for fmt in formats}
    rendered.files["qmd"] = out_dir / "report.qmd"
    return rendered
