"""Reading one table file (CSV, TSV, XLSX, Parquet) into a polars frame.

Text and spreadsheet cells are read as strings (types are decided later, from the manifest),
so an id such as ``007`` stays ``007``. Every frame gets a ``_row`` column: the line a
spreadsheet program shows for that row (the header is line 1, so the first data row is 2).

The fast path is polars' own reader; only when it fails is the file read again with Python's
``csv`` module to say exactly which line is wrong.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from toolkit.errors import InputError, Problem

ROW = "_row"
TEXT_SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": "\t"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
SUFFIXES = (*TEXT_SUFFIXES, *sorted(EXCEL_SUFFIXES), ".parquet")
MISSING_TOKENS = ("", "NA")
# Text files up to this size (characters) are also checked row by row for ragged rows.
STRICT_SCAN_LIMIT = 5_000_000


@dataclass(frozen=True)
class RoleTable:
    """One canonical frame read from a vendor file, with what the reader noticed.

    Attributes:
        frame: the raw frame for the role (participants, codebook or codings).
        warnings: non-fatal notes for the user (parts left out, dictionary found, ...).
        attribute_types: participant attribute types the source declares.
    """

    frame: pl.DataFrame
    warnings: tuple[str, ...] = ()
    attribute_types: Mapping[str, Literal["numeric", "categorical"]] = field(default_factory=dict)


def decode_text(data: bytes, display: str) -> str:
    """Decode a text table as UTF-8 (with or without BOM), or explain how to fix it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            Problem(
                display,
                "the file is UTF-16 encoded; save it as UTF-8 "
                "(Excel: File > Save As > 'CSV UTF-8 (Comma delimited)')",
            )
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError(
            Problem(
                display,
                f"the file is not UTF-8 (byte 0x{data[error.start]:02x} cannot be decoded); "
                "it is probably Latin-1 or Windows-1252: save it as UTF-8 "
                "(Excel: File > Save As > 'CSV UTF-8 (Comma delimited)')",
                line=line,
            )
        ) from None


def sniff_delimiter(header_line: str, default: str) -> str:
    """Comma by default; semicolon or tab when the header clearly uses one instead.

    Spreadsheet programs in many European locales write ';'-separated "CSV".
    """
    if default == "," and "," not in header_line:
        for candidate in (";", "\t"):
            if candidate in header_line:
                return candidate
    return default


def _check_header(
    header: list[str], display: str, *, line: int = 1, positions: list[int] | None = None
) -> None:
    problems = []
    for position, name in zip(positions or range(1, len(header) + 1), header, strict=True):
        if not name.strip():
            problems.append(
                Problem(
                    display,
                    f"column {position} of the header has no name; give it one or delete the column",
                    line=line,
                )
            )
    for name, count in Counter(h.strip() for h in header).items():
        if name and count > 1:
            problems.append(
                Problem(
                    display,
                    f"the header names column '{name}' {count} times; column names must be unique",
                    line=line,
                )
            )
    if problems:
        raise InputError(problems)


def _diagnose_text(text: str, delimiter: str, display: str, reason: str) -> InputError:
    """Find the line polars could not parse, with Python's csv module (slow, errors only)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    problems: list[Problem] = []
    row = 1
    try:
        header = next(reader)
        for row, record in enumerate(reader, start=2):
            if record and len(record) != len(header):
                problems.append(
                    Problem(
                        display,
                        f"this row has {len(record)} fields but the header has {len(header)}; "
                        f"check for a stray '{delimiter}' or an unclosed quote",
                        line=row,
                    )
                )
                if len(problems) >= 20:
                    break
    except csv.Error as error:
        reason = str(error)
        if "end of data" in reason or "EOF" in reason:
            reason = (
                'a double quote (") opens a quoted value here that never closes; '
                "close the quote or remove it"
            )
        problems.append(Problem(display, f"cannot read this row: {reason}", line=row + 1))
    if not problems:
        problems.append(Problem(display, f"cannot read the file as a table: {reason}"))
    return InputError(problems)


def _read_text(path: Path, display: str, default_delimiter: str) -> pl.DataFrame:
    text = decode_text(path.read_bytes(), display)
    # Old Mac files end lines with a bare CR, which neither reader takes as a line end.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError(Problem(display, "the file is empty; it needs a header row and data rows"))
    first_line = text.split("\n", 1)[0].rstrip("\r")
    delimiter = sniff_delimiter(first_line, default_delimiter)
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter))
    _check_header(header, display)
    try:
        frame = pl.read_csv(
            text.encode("utf-8"),
            separator=delimiter,
            infer_schema=False,
            empty_string_is_null=True,
            truncate_ragged_lines=False,
            raise_if_empty=False,
        )
    except (
        pl.exceptions.ComputeError,
        pl.exceptions.NoDataError,
        pl.exceptions.ShapeError,
    ) as error:
        raise _diagnose_text(text, delimiter, display, str(error).splitlines()[0]) from None
    if len(text) <= STRICT_SCAN_LIMIT:
        # polars pads short rows with nulls; a hand-edited file with a missing field is
        # more likely a mistake than an intent, so small files are checked row by row.
        ragged = _diagnose_text(text, delimiter, display, "")
        if ragged.problems[0].line is not None:
            raise ragged
    frame = frame.rename({name: name.strip() for name in frame.columns})
    frame = frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    # A blank line is not a row (as in a spreadsheet); `validate --explain` lists it as left out.
    values = [c for c in frame.columns if c != ROW]
    return frame.filter(~pl.all_horizontal(pl.col(values).is_null())) if values else frame


def _read_excel(path: Path, display: str) -> pl.DataFrame:
    """The first sheet, all String, with ``_row`` the line number the spreadsheet shows.

    The header is read as data so that repeated or blank column names are reported (the
    engine would rename them silently), and rows are numbered before blank rows are dropped
    and after the blank rows above the header (which the engine skips) are counted.
    """
    try:
        if path.suffix.lower() == ".xls":
            header, rows, first_line = _read_xls(path, display)
        else:
            header, rows, first_line = _read_xlsx(path)
            _check_formulas(path, display, first_line)
    except InputError:
        raise
    except Exception as error:  # the engines raise many types for damaged files
        raise InputError(
            Problem(
                display,
                f"cannot read the spreadsheet ({type(error).__name__}: {' '.join(str(error).split())}); "
                "open it in a spreadsheet program and save it again as .xlsx or CSV UTF-8",
            )
        ) from None
    # A column with neither a name nor any value is formatting, not data.
    keep = [
        i
        for i, name in enumerate(header)
        if name.strip() or any(i < len(row) and row[i] is not None for row in rows)
    ]
    header = [header[i] for i in keep]
    if not header:
        raise InputError(
            Problem(
                display,
                "the spreadsheet's first sheet is empty; it needs a header row and data rows",
            )
        )
    _check_header(header, display, line=first_line, positions=[i + 1 for i in keep])
    names = [name.strip() for name in header]
    columns: dict[str, list[str | None]] = {name: [] for name in names}
    lines: list[int] = []
    for offset, row in enumerate(rows, start=first_line + 1):
        values = [row[i] if i < len(row) else None for i in keep]
        if all(v is None for v in values):
            continue
        lines.append(offset)
        for name, value in zip(names, values, strict=True):
            columns[name].append(value)
    frame = pl.DataFrame(columns, schema=dict.fromkeys(names, pl.String))
    return frame.with_columns(pl.Series(ROW, lines, dtype=pl.Int64)).select(ROW, *names)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return None if text == "" else text


def _read_xlsx(path: Path) -> tuple[list[str], list[list[str | None]], int]:
    """Header, data rows and the header's line number of the first sheet of an .xlsx."""
    frame = pl.read_excel(
        path,
        engine="calamine",
        infer_schema_length=0,
        raise_if_empty=False,
        has_header=False,
        drop_empty_rows=False,
    )
    if frame.height == 0:
        return [], [], 1
    # calamine starts at the first row holding a value; count the blank rows above it.
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        first_line = 1
        for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), 1):
            if any(v is not None and str(v) != "" for v in values):
                first_line = number
                break
    finally:
        book.close()
    table = [[_cell_text(v) for v in row] for row in frame.iter_rows()]
    return [v or "" for v in table[0]], table[1:], first_line


def _check_formulas(path: Path, display: str, header_line: int) -> None:
    """Refuse formula cells that hold no saved result, and cells holding an error value.

    A spreadsheet keeps the last computed value of each formula; a file written by a program
    (not by Excel) may hold the formula only, which would be read as an empty cell and turn a
    value into "missing" without a word.
    """
    import openpyxl

    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    problems: list[Problem] = []
    try:
        sheet, saved = formulas.worksheets[0], values.worksheets[0]
        header: dict[int, str] = {}
        for number, (cells, results) in enumerate(
            zip(sheet.iter_rows(), saved.iter_rows(), strict=False), start=1
        ):
            if number == header_line:
                header = {c.column: str(c.value or "") for c in cells if hasattr(c, "column")}
            for cell, saved_cell in zip(cells, results, strict=False):
                result = getattr(saved_cell, "value", None)
                if getattr(saved_cell, "data_type", None) == "e":
                    # #DIV/0!, #N/A, #REF!: the engine reads them as empty, so a value would
                    # turn into "missing" without a word.
                    column = header.get(cell.column) if number > header_line else None
                    problems.append(
                        Problem(
                            display,
                            f"cell {cell.coordinate} holds the spreadsheet error {result}; fix "
                            "the formula or the value, or empty the cell to say the value is "
                            "missing",
                            line=number,
                            column=column or None,
                        )
                    )
                elif cell.data_type == "f" and result is None:
                    column = header.get(cell.column) if number > header_line else None
                    problems.append(
                        Problem(
                            display,
                            f"cell {cell.coordinate} holds a formula ({cell.value}) with no saved "
                            "result; open the file in a spreadsheet program and save it, or type "
                            "the value instead of the formula",
                            line=number,
                            column=column or None,
                        )
                    )
    finally:
        formulas.close()
        values.close()
    if problems:
        raise InputError(problems)


def _read_xls(path: Path, display: str) -> tuple[list[str], list[list[str | None]], int]:
    """Header, data rows and the header's line number of the first sheet of an .xls.

    xlrd gives an error cell (``#DIV/0!``) as its numeric code: that would be read as a
    number, so such cells are refused, as in an .xlsx.
    """
    import io

    import xlrd

    # xlrd prints warnings about damaged files to stdout unless given a log file.
    book = xlrd.open_workbook(str(path), on_demand=True, logfile=io.StringIO())
    sheet = book.sheet_by_index(0)
    table = [[_cell_text(v) for v in sheet.row_values(r)] for r in range(sheet.nrows)]
    first = next((i for i, row in enumerate(table) if any(v is not None for v in row)), None)
    if first is None:
        return [], [], 1
    header = [v or "" for v in table[first]]
    problems = [
        Problem(
            display,
            f"cell {xlrd.cellname(r, c)} holds the spreadsheet error "
            f"{xlrd.error_text_from_code.get(sheet.cell_value(r, c), '#ERROR')}; fix the formula "
            "or the value, or empty the cell to say the value is missing",
            line=r + 1,
            column=(header[c] or None) if r > first and c < len(header) else None,
        )
        for r in range(sheet.nrows)
        for c, kind in enumerate(sheet.row_types(r))
        if kind == xlrd.XL_CELL_ERROR
    ]
    if problems:
        raise InputError(problems)
    return header, table[first + 1 :], first + 1


def _read_parquet(path: Path, display: str, columns: Sequence[str] | None = None) -> pl.DataFrame:
    try:
        if columns is not None:
            present = pl.read_parquet_schema(path)
            frame = pl.read_parquet(path, columns=[c for c in present if c in set(columns)])
        else:
            frame = pl.read_parquet(path)
    except Exception as error:
        raise InputError(Problem(display, f"cannot read the Parquet file: {error}")) from None
    return frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))


def read_table(
    path: Path, *, display: str | None = None, columns: Sequence[str] | None = None
) -> pl.DataFrame:
    """Read a CSV, TSV, XLSX/XLS or Parquet table.

    Args:
        path: the file.
        display: the name to use in messages (default: the file name).
        columns: for Parquet, read only these columns (those the file has): a large codings
            file's quotes need not be read to count participants. Other formats are read
            whole, since their reading also checks every row's shape.

    Returns:
        A frame of String columns (Parquet keeps its types) plus ``_row``, the spreadsheet
        line of each row. Column names are stripped of surrounding blanks.

    Raises:
        InputError: missing file, unknown extension, wrong encoding, empty file, duplicate or
            blank column names, ragged rows; each problem names the file and line.
    """
    display = display or path.name
    if not path.is_file():
        raise InputError(
            Problem(
                display,
                "file not found; check the path in study.yml (paths are relative to study.yml)",
            )
        )
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return _read_text(path, display, TEXT_SUFFIXES[suffix])
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, display)
    if suffix == ".parquet":
        return _read_parquet(path, display, columns)
    raise InputError(
        Problem(
            display,
            f"cannot read '{suffix or 'no extension'}' files here; use one of {', '.join(SUFFIXES)}",
        )
    )
