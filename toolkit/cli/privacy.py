"""``raremix privacy``: the re-identification check, and the pseudonym key on request."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from toolkit.cli.options import output_options, study_argument

if TYPE_CHECKING:
    from toolkit.model import Study


@click.command()
@study_argument
@click.option(
    "--k",
    "k",
    type=click.IntRange(min=1),
    default=None,
    help="Flag combinations shared by fewer than K participants (default: privacy.k, else 3).",
)
@click.option(
    "--quasi",
    "quasi",
    multiple=True,
    metavar="ATTR",
    help="A quasi-identifier (repeatable; default: privacy.quasi_identifiers, else the strata "
    "and the attributes declared categorical or with bins).",
)
@click.option(
    "--write-key",
    "key",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the key FILE (CSV: participant_id, pseudonym). Keep it apart from "
    "reports; it may not be written inside a report folder.",
)
@output_options
def privacy(
    study: Path,
    k: int | None,
    quasi: tuple[str, ...],
    key: Path | None,
    fmt: str | None,
    output: Path | None,
) -> None:
    """Re-identification check: attribute combinations shared by fewer than k participants.

    Lists each rare combination of quasi-identifiers (age band, sex, disease status, site,
    ...), who shares it (as pseudonyms) and which report elements would show it. Exit status
    is 0 even when combinations are found: this is a report, not a failure. With
    --write-key FILE, also writes the mapping from raw participant ids to the pseudonyms the
    reports use (P01, P02, ...); that file identifies people: store it like the raw data.
    The pseudonyms are a random permutation keyed by the study secret (.raremix-secret
    beside study.yml, created on first use): keep it with the data, out of version control
    and out of report folders; every document of the study uses the same pseudonyms.

    Examples:

    \b
        raremix privacy examples/calciphylaxis

        raremix privacy examples/calciphylaxis --k 5 --quasi age --quasi sex

        raremix privacy my-study --write-key ../keys/my-study-pseudonyms.csv
    """
    from toolkit.analysis import analyse_reidentification, load
    from toolkit.cli.emit import emit_results

    if key is not None:
        _refuse_key_in_report(key)
    loaded, settings = load(study, k=k, quasi_identifiers=quasi or None)
    results = analyse_reidentification(loaded, settings)
    frame = results.reidentification
    assert frame is not None
    extra = {"k": settings.k, "max_combination": settings.max_combination, "checked": results.notes}
    emit_results(results, frame, fmt, output, view=lambda: [], extra=extra)
    exposed = frame.filter(frame["exposed_by"] != "").height
    click.echo(
        f"{frame.height} combination(s) of quasi-identifiers shared by fewer than {settings.k} "
        f"participants; {exposed} of them shown by the report."
        if frame.height
        else f"No combination of quasi-identifiers is shared by fewer than {settings.k} participants.",
        err=True,
    )
    click.echo(" ".join(results.notes), err=True)
    if key is not None:
        _write_key(key, loaded)


def _refuse_key_in_report(key: Path) -> None:
    from toolkit.errors import UsageError

    folder = report_folder_of(key)
    if folder is not None:
        raise UsageError(
            f"refusing to write the pseudonym key inside the report folder '{folder}': "
            "anyone given the report would get the key; write it beside the folder instead "
            f"(for example {folder.parent / (folder.name + '-pseudonym-key.csv')})"
        )


def _write_key(key: Path, study: Study) -> None:
    from toolkit.analysis.gate import pseudonym_mapping
    from toolkit.output import frame_to_csv, write_bytes_atomic

    write_bytes_atomic(key, frame_to_csv(pseudonym_mapping(study)))
    click.echo(
        f"Wrote the pseudonym key to {key}: it identifies participants, keep it with the raw data.",
        err=True,
    )


def report_folder_of(path: Path) -> Path | None:
    """The report folder ``path`` would be inside, or None.

    A report folder is ``reports/<id>/`` (the default place of ``raremix report``), or any
    folder holding a ``report.qmd`` that raremix wrote. Keys belong beside it, never inside.
    """
    target = Path(path).resolve()
    parts = target.parts
    for i in range(len(parts) - 2):
        if parts[i] == "reports":
            return Path(*parts[: i + 2])
    for folder in target.parents:
        if (folder / "report.qmd").is_file():
            return folder
    return None
