"""One call per command: load, compute, assemble, render.

:func:`render_study` and :func:`render_comparison` are what ``raremix report`` calls;
:func:`render_demo` is ``raremix demo``. Inputs are loaded and validated before anything is
written, so a study that fails validation leaves no trace.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.folders import check_output_folder
from toolkit.report.render import (
    FORMATS,
    Rendered,
    browser_starting,
    parse_formats,
    render_report,
    warm_browser,
)

if TYPE_CHECKING:
    from toolkit.model import Study


def _formats(formats: str | Sequence[str] | None, default: Sequence[str]) -> tuple[str, ...]:
    return parse_formats(formats if formats is not None else list(default))


def render_study(
    study_path: Path,
    *,
    out_dir: Path | None = None,
    formats: str | Sequence[str] | None = None,
    engine: str | None = None,
) -> Rendered:
    """Render the report of the study at ``study_path``.

    Args:
        study_path: a study folder or its study.yml.
        out_dir: destination (default ``reports/<study id>/`` under the current folder).
        formats: "html,pdf" or a list; default the study's ``report.formats``.
        engine: "quarto", "pandoc" or None (quarto when present).

    Raises:
        InputError: the study fails validation (nothing is written).
        EnvironmentProblem: Chromium (PDF/DOCX figures) or the engine is missing.
    """
    from toolkit.analysis import analyse_study, load
    from toolkit.report.document import build_study_report

    study, settings = load(study_path)
    study.require_condition()
    chosen = _formats(formats, settings.formats)
    target = out_dir if out_dir is not None else Path("reports") / study.id
    check_output_folder(target, protect=inputs_of([study]))  # before any work
    with browser_starting(any(f in chosen for f in ("pdf", "docx"))):
        report = build_study_report(analyse_study(study, settings))
        return render_report(
            report, target, formats=chosen, engine=engine, protect=inputs_of([study])
        )


def inputs_of(studies: Sequence[Study]) -> list[Path]:
    """Every study folder and input file: a report folder may neither be nor hold one."""
    return [path for study in studies for path in (study.root, *(f.path for f in study.inputs))]


def comparison_slug(ids: Sequence[str]) -> str:
    """``compare-<id>-<id>…``, the default folder name of a comparison report."""
    return "compare-" + "-".join(ids)


def render_comparison(
    study_paths: Sequence[Path],
    *,
    crosswalk: Path | None = None,
    out_dir: Path | None = None,
    formats: str | Sequence[str] | None = None,
    engine: str | None = None,
    min_cell: int | None = None,
) -> Rendered:
    """Render the comparison report of two or more studies (SPEC §5, issue 5).

    ``min_cell``: small-cell threshold of the comparison (None: 5, whatever the studies'
    own ``analysis.min_cell``; 0: off).

    Raises:
        InputError: a study or the crosswalk fails validation (nothing is written).
    """
    from toolkit.analysis import load
    from toolkit.compare import compare
    from toolkit.io.crosswalk import read_crosswalk
    from toolkit.report.comparison import build_comparison_report

    studies = [load(Path(p))[0] for p in study_paths]
    for each in studies:
        each.require_condition()
    walk = read_crosswalk(crosswalk) if crosswalk is not None else None
    comparison = compare(
        studies,
        crosswalk=walk,
        crosswalk_file=crosswalk.name if crosswalk else "crosswalk.csv",
        min_cell=min_cell,
    )
    target = (
        out_dir
        if out_dir is not None
        else Path("reports") / comparison_slug([s.id for s in studies])
    )
    protect = [*inputs_of(studies), *([crosswalk] if crosswalk is not None else [])]
    check_output_folder(target, protect=protect)  # before any work
    report = build_comparison_report(studies, comparison, crosswalk=crosswalk)
    return render_report(
        report, target, formats=_formats(formats, FORMATS), engine=engine, protect=protect
    )


def demo_studies() -> list[Path]:
    """The bundled example studies (folders of ``examples/`` with a study.yml)."""
    from toolkit.resources import examples_dir

    return sorted(p.parent for p in examples_dir().glob("*/study.yml"))


def render_demo(
    output: Path, *, formats: str | Sequence[str] | None = None, engine: str | None = None
) -> Iterator[tuple[str, Rendered]]:
    """Render every bundled study, then their comparison, through one warm Chromium.

    Yields:
        (name, what was written) per report, as each finishes.
    """
    from toolkit.analysis import load
    from toolkit.progress import progress
    from toolkit.resources import examples_dir

    studies = demo_studies()
    ids = [load(path)[0].id for path in studies]
    crosswalk = examples_dir() / "crosswalk.csv"
    chosen = parse_formats(formats) if formats is not None else FORMATS
    needs_browser = any(f in chosen for f in ("pdf", "docx"))
    total = len(studies) + (1 if len(studies) > 1 else 0)
    browser = warm_browser() if needs_browser else contextlib.nullcontext()
    with progress("Rendering the demo reports", total=total) as bar, browser:
        for path, study_id in zip(studies, ids, strict=True):
            rendered = render_study(path, out_dir=output / study_id, formats=chosen, engine=engine)
            bar.advance()
            yield study_id, rendered
        if len(studies) > 1:
            slug = comparison_slug(ids)
            rendered = render_comparison(
                studies,
                crosswalk=crosswalk if crosswalk.is_file() else None,
                out_dir=output / slug,
                formats=chosen,
                engine=engine,
            )
            bar.advance()
            yield slug, rendered
