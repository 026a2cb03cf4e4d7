"""``raremix import``: a vendor project or export → a study folder of canonical CSVs."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.choices import PARTICIPANT_UNITS, REPEATING_INSTANCES


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path, exists=False), metavar="FILE")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="The study folder to write (participants.csv, codebook.csv, codings.csv, study.yml).",
)
@click.option(
    "--format",
    "fmt",
    default=None,
    metavar="F",
    help="What FILE is, when the extension does not say: refi, qualcoder, taguette, mex "
    "(MAXQDA exchange), maxqda (coded segments), dedoose, canonical, redcap (default: detected).",
)
@click.option(
    "--dictionary",
    type=click.Path(path_type=Path, dir_okay=False, exists=False),
    default=None,
    help="The REDCap data dictionary of a REDCap export (default: a file with 'dictionary' "
    "in its name beside FILE).",
)
@click.option(
    "--column",
    "column_pairs",
    multiple=True,
    metavar="KEY=NAME",
    help="For a coded-segment spreadsheet: the column holding KEY (participant_id, code_id, "
    "quote, source, start, end, coder). Repeatable.",
)
@click.option(
    "--participant-unit",
    "unit",
    type=click.Choice(PARTICIPANT_UNITS),
    default=None,
    help="Who a participant is: case (the project's cases), source (one document each), "
    "speaker (focus-group turns tagged 'P1: ...'), user (each coder). Default: cases where "
    "the project has them, else sources. Written into study.yml as participant_unit.",
)
@click.option(
    "--repeating",
    type=click.Choice(REPEATING_INSTANCES),
    default="refuse",
    show_default=True,
    help="REDCap repeating instruments: refuse the export, or keep each record's first or "
    "last instance.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace a study folder raremix imported earlier (never one holding other files, or "
    "files changed since).",
)
def import_(
    file: Path,
    output: Path,
    fmt: str | None,
    dictionary: Path | None,
    column_pairs: tuple[str, ...],
    unit: str | None,
    repeating: str,
    force: bool,
) -> None:
    """Import a REFI-QDA project (.qdpx .qde) or codebook (.qdc), a QualCoder project
    (NAME.qda), a Taguette project (.sqlite3), a MAXQDA exchange file (.mex), a coded-segment
    spreadsheet (Taguette, QualCoder, MAXQDA, Dedoose excerpts) or a REDCap export into a
    study folder.

    Writes participants.csv, codebook.csv, codings.csv and a study.yml to edit (condition
    name, attribute levels), then prints what it could not take over as warnings.

    Examples:

    \b
        raremix import interviews.qdpx -o my-study/ && raremix validate my-study/
        raremix import redcap_data.csv --dictionary redcap_dictionary.csv -o my-study/
        raremix import focus-group.csv --participant-unit speaker -o my-study/
    """
    from toolkit.errors import UsageError
    from toolkit.io.importers import write_import

    columns: dict[str, str] = {}
    for pair in column_pairs:
        key, sep, name = pair.partition("=")
        if not sep or not key.strip() or not name.strip():
            raise UsageError(
                f"--column takes KEY=NAME (for example participant_id='Document name'), not '{pair}'"
            )
        columns[key.strip()] = name.strip()
    summary = write_import(
        file,
        output,
        fmt=fmt,
        columns=columns or None,
        dictionary=dictionary,
        force=force,
        unit=unit,
        repeating=repeating,
    )
    for warning in summary.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(summary.line())
