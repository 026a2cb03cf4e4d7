"""Writing results: atomic files, and frames as CSV, JSON, Parquet or a terminal table.

Every file raremix writes goes to a temporary file in the same folder first and is renamed
into place, so an interrupted run leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Literal

import polars as pl

from toolkit.errors import UsageError

Format = Literal["table", "csv", "json", "parquet"]  # choices.OUTPUT_FORMATS (test_house checks)


def _special(target: Path) -> bool:
    """True for an existing FIFO or character device (``/dev/null``, ``/dev/stdout``)."""
    try:
        mode = target.stat().st_mode
    except OSError:
        return False
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return True
    if stat.S_ISREG(mode):
        return False
    kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
    raise UsageError(f"{target} is {kind}; give a file name with -o")


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    On any exception the temporary file is removed and ``target`` is left as it was. A link
    is followed (the file it names is replaced, the link kept). A FIFO or a character device
    (``/dev/null``) is written directly, never renamed over; any other special file is refused.

    Raises:
        UsageError: ``target`` is a folder or a special file, or its folder cannot be written.
    """
    from toolkit.folders import remove_stale, temporary_name, writable_error

    target = Path(target)
    if _special(target):
        yield target
        return
    if target.is_symlink():
        target = target.resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(target)
        fd, tmp_name = tempfile.mkstemp(
            prefix=temporary_name(target), suffix=".tmp", dir=target.parent
        )
    except OSError as error:
        raise writable_error(target.parent, error) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    from toolkit.folders import writable_error

    with atomic_path(target) as tmp:
        try:
            tmp.write_bytes(data)
        except OSError as error:
            raise writable_error(target, error) from None


def write_text_atomic(target: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``target`` atomically."""
    write_bytes_atomic(target, text.encode("utf-8"))


def infer_format(fmt: str | None, output: Path | None, *, interactive: bool) -> Format:
    """Choose the output format from the option, the file extension, or the terminal."""
    if fmt is not None:
        return fmt  # type: ignore[return-value]
    if output is not None:
        suffix = output.suffix.lower()
        by_suffix: dict[str, Format] = {
            ".csv": "csv",
            ".json": "json",
            ".parquet": "parquet",
            ".txt": "table",
        }
        if suffix in by_suffix:
            return by_suffix[suffix]
        raise UsageError(
            f"cannot tell the format of '{output.name}' from its extension; "
            "use --format csv|json|parquet|table or a .csv/.json/.parquet file name"
        )
    return "table" if interactive else "csv"


# A spreadsheet reads a cell starting with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = "=+-@\t\r"
_FORMULA = "^[" + "".join("\\" + c if c in "-\\" else c for c in FORMULA_STARTS) + "]"


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as a formula, prefixed with a single quote.

    A label, id, level or coder name such as ``=HYPERLINK(...)``, ``+1``, ``-2``, ``@SUM``
    or one starting with a tab or carriage return is written ``'=HYPERLINK(...)``: Excel,
    LibreOffice and Google Sheets then show it as text (the OWASP rule for CSV injection).
    Numbers stay numbers; only text columns change. JSON and Parquet outputs stay exact.
    """
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text:
        return frame
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text
    )


def frame_to_csv(frame: pl.DataFrame, *, exact: bool = False) -> bytes:
    """CSV that R's read.csv and Excel open: UTF-8, header, empty string for null.

    Text that a spreadsheet would run as a formula is neutralised
    (:func:`neutralise_formulas`) unless ``exact``: the study folder ``raremix import``
    writes is raremix's own input and keeps every value as it was.
    """
    buffer = io.BytesIO()
    (frame if exact else neutralise_formulas(frame)).write_csv(buffer, null_value="")
    return buffer.getvalue()


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def frame_to_json(frame: pl.DataFrame, meta: Mapping[str, Any] | None = None) -> bytes:
    """A JSON object ``{**meta, "rows": [...]}``; NaN becomes null."""
    rows = [{k: _json_value(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]
    document = {**(meta or {}), "rows": rows}
    return (json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8")


def frame_to_parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def emit_frame(
    frame: pl.DataFrame,
    *,
    fmt: Format,
    output: Path | None,
    meta: Mapping[str, Any] | None = None,
    table: Any = None,
    stream: IO[str] | None = None,
) -> None:
    """Write ``frame`` in ``fmt`` to ``output`` (atomically) or to standard output.

    Args:
        frame: the result.
        fmt: table, csv, json or parquet.
        output: a file, or None for standard output.
        meta: study-level facts (study id, synthetic flag, settings) for JSON and Parquet.
        table: a ready rich renderable for ``fmt == "table"``; default: a plain rich table.
        stream: where standard output goes (tests).
    """
    out = stream or sys.stdout
    if fmt == "table":
        from rich.console import Console

        if table is None:
            table = rich_table(frame)
        if output is not None:
            buffer = io.StringIO()
            Console(file=buffer, width=160, force_terminal=False).print(table)
            write_text_atomic(output, buffer.getvalue())
        else:
            Console(file=out, soft_wrap=False).print(table)
        return
    if fmt == "csv":
        data = frame_to_csv(frame)
    elif fmt == "json":
        data = frame_to_json(frame, meta)
    elif fmt == "parquet":
        if output is None:
            raise UsageError("parquet is a binary format: give a file with -o FILE.parquet")
        if meta:
            binary = io.BytesIO()
            frame.write_parquet(binary, metadata={"raremix": json.dumps(dict(meta), default=str)})
            data = binary.getvalue()
        else:
            data = frame_to_parquet(frame)
    else:  # pragma: no cover - click restricts the choice
        raise UsageError(f"unknown format '{fmt}'")
    if output is not None:
        write_bytes_atomic(output, data)
    else:
        out.write(data.decode("utf-8"))
        out.flush()


def rich_table(frame: pl.DataFrame, *, title: str | None = None) -> Any:
    """A plain rich table of ``frame`` (numbers right-aligned, floats to 3 decimals)."""
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for name, dtype in frame.schema.items():
        table.add_column(name, justify="right" if dtype.is_numeric() else "left")
    for row in frame.iter_rows():
        table.add_row(
            *("" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v) for v in row)
        )
    return table
