"""The report spec: an immutable description of a report, every number already formatted.

A report is a title block plus sections of blocks (paragraphs, notes, bullet lists, tables,
figures, quotes). Builders in :mod:`toolkit.report.document` turn results into a
:class:`Report`; :mod:`toolkit.report.qmd` turns a :class:`Report` into Quarto markdown;
:mod:`toolkit.report.render` turns that into HTML, PDF and DOCX. Text in the spec is plain
text (never markdown): the writer escapes it, so a label like ``*pain*`` prints as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl


@dataclass(frozen=True)
class Table:
    """A presentation table: header and rows of already formatted strings.

    Attributes:
        name: file-safe identifier (also the CSV name of the table's source, if any).
        caption: one sentence saying what the table shows.
        columns: header cells.
        rows: body rows, each as many cells as ``columns``.
        align: one of "l", "r", "c" per column.
        indent: per row, the hierarchy depth of the first cell: printed as the table's own
            structure (a styled, indented cell in every format), never as spaces.
        widths: relative column widths (used for long-text tables), or None for automatic.
        notes: footnotes printed under the table (what a dash means, how missing values are
            counted), in every format.
        where: per row, the anchor of the section where the row's item is reported, or "";
            when given, a last column names that section (HTML, Word) or its page (PDF).
    """

    name: str
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[str, ...] = ()
    indent: tuple[int, ...] = ()
    widths: tuple[int, ...] | None = None
    notes: tuple[str, ...] = ()
    where: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        width = len(self.columns)
        for row in self.rows:
            if len(row) != width:
                raise ValueError(
                    f"table {self.name}: row {row!r} has {len(row)} cells, header {width}"
                )
        if self.align and len(self.align) != width:
            raise ValueError(
                f"table {self.name}: align has {len(self.align)} entries, header {width}"
            )
        if self.indent and len(self.indent) != len(self.rows):
            raise ValueError(
                f"table {self.name}: indent has {len(self.indent)} entries, rows {len(self.rows)}"
            )
        if self.where and len(self.where) != len(self.rows):
            raise ValueError(
                f"table {self.name}: where has {len(self.where)} entries, rows {len(self.rows)}"
            )


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Note:
    """A small-print paragraph (cautions, definitions)."""

    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Banner:
    """A prominent warning across the page (SYNTHETIC DATA)."""

    text: str


@dataclass(frozen=True)
class FigureBlock:
    """A plotly figure with its caption and print size (pixels at 96 dpi).

    Attributes:
        name: file-safe identifier; the figure is saved as ``figures/<name>.pdf|png``.
        figure: a plotly ``Figure``.
        caption: one or two sentences saying what it shows.
        width, height: the static export size in CSS pixels.
        alt: what the figure shows, for readers who cannot see it (HTML ``aria-label``, the
            Word picture's description); empty: the caption is used.
    """

    name: str
    figure: Any
    caption: str
    width: int = 760
    height: int = 460
    alt: str = ""


@dataclass(frozen=True)
class JointRow:
    """One theme of the joint display: its prevalence beside exemplar quotes."""

    theme: str
    prevalence: str
    quotes: tuple[tuple[str, str], ...]  # (quote, attribution)
    strata: tuple[str, ...] = ()  # lines under the prevalence: "Female: 8/9 (89%)"
    notes: tuple[str, ...] = ()  # lines after the quotes: negative cases, meta-inference


@dataclass(frozen=True)
class JointDisplay:
    caption: str
    rows: tuple[JointRow, ...]


@dataclass(frozen=True)
class Callout:
    """A boxed warning next to what it is about (a re-identification risk), in every format.

    Attributes:
        title: a short bold lead ("Re-identification check").
        text: the warning.
    """

    title: str
    text: str


Block = Paragraph | Note | Bullets | Banner | Callout | Table | FigureBlock | JointDisplay


@dataclass(frozen=True)
class Section:
    """A numbered part of the report; ``anchor`` is its HTML id."""

    anchor: str
    title: str
    blocks: tuple[Block, ...]
    subsections: tuple[Section, ...] = ()


@dataclass(frozen=True)
class Report:
    """A finished report: title block, sections, and the result frames written as CSV.

    Attributes:
        kind: "study" or "compare" (chooses the document template).
        slug: the study id (or a comparison id), used for default paths.
        title, subtitle, date: the title block.
        synthetic: whether any input is synthetic; drives the banner and page header.
        version: raremix version.
        sections: in reading order.
        preamble: blocks before the first section (the SYNTHETIC DATA banner).
        results: name -> frame, written as ``<name>.csv`` next to the report.
    """

    kind: str
    slug: str
    title: str
    subtitle: str
    date: str
    synthetic: bool
    version: str
    sections: tuple[Section, ...]
    results: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    preamble: tuple[Block, ...] = ()

    def figures(self) -> list[FigureBlock]:
        """Every figure, in reading order."""
        found: list[FigureBlock] = []

        def walk(section: Section) -> None:
            found.extend(b for b in section.blocks if isinstance(b, FigureBlock))
            for sub in section.subsections:
                walk(sub)

        for section in self.sections:
            walk(section)
        return found

    def tables(self) -> list[Table]:
        """Every table, in reading order."""
        found: list[Table] = []

        def walk(section: Section) -> None:
            found.extend(b for b in section.blocks if isinstance(b, Table))
            for sub in section.subsections:
                walk(sub)

        for section in self.sections:
            walk(section)
        return found
