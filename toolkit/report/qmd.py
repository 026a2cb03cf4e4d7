"""Write a :class:`~toolkit.report.spec.Report` as a Quarto document (``.qmd``).

Presentation lives in ``templates/``: the document templates (``study.qmd``,
``compare.qmd``) and one partial per kind of block (``templates/partials/*.md``), all
:class:`string.Template` files. This module only escapes text and fills them in; it never
decides how something looks. The ``.qmd`` holds no executable code, so Quarto and the plain
pandoc path render it alike; the figures are referenced as ``figures/<name>.pdf|png`` and,
for HTML, inlined as plotly ``<div>``s.
"""

from __future__ import annotations

import functools
import json
import re
import textwrap
import unicodedata
from string import Template

from toolkit.report.spec import (
    Banner,
    Block,
    Bullets,
    Callout,
    FigureBlock,
    JointDisplay,
    Note,
    Paragraph,
    Report,
    Section,
    Table,
)
from toolkit.resources import templates_dir

NBSP = "\u00a0"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|$~^@!+=])")


@functools.cache
def _template(relative: str) -> Template:
    return Template((templates_dir() / relative).read_text(encoding="utf-8"))


def fill(relative: str, **values: str) -> str:
    """Fill the template ``templates/<relative>`` with ``values`` (all must be given)."""
    return _template(relative).substitute(**values)


def escape(text: str) -> str:
    """Plain text as pandoc markdown that prints exactly ``text`` (one line).

    Besides markdown's specials: a leading "1." or "-" would start a list (a leading ">"
    is already escaped), and "--" would become an en dash (``--min-cell``).
    """
    text = " ".join(text.split())
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    escaped = escaped.replace("--", "-\\-").replace("-\\--", "-\\-\\-")
    escaped = re.sub(r"^(\d+)\.", r"\1\\.", escaped)
    return re.sub(r"^-(\s)", r"\\-\1", escaped)


def escape_typst(text: str) -> str:
    """Plain text inside a typst content block ``[...]``."""
    return re.sub(r"([\\#\[\]*_`$<>@=\-+/~])", r"\\\1", " ".join(text.split()))


def _cell(text: str) -> str:
    return escape(text) if text else NBSP


def _indented(text: str, depth: int) -> str:
    """A first cell at ``depth``: a span the filter turns into the cell's own indentation."""
    if depth <= 0 or not text:
        return _cell(text)
    return f"[{escape(text)}]{{.level-{min(depth, 5)}}}"


def _where(anchor: str, titles: dict[str, str]) -> str:
    """Where an item is reported: the section's link (HTML, Word), its page (PDF)."""
    if not anchor:
        return NBSP
    title = escape(titles.get(anchor, anchor))
    return f'[[{title}](#{anchor})]{{.where anchor="{anchor}"}}'


def pipe_table(table: Table, titles: dict[str, str] | None = None) -> str:
    """A pandoc pipe table (native tables in HTML, typst and Word).

    The dashes of the rule line are proportional to each column's longest cell (or to
    ``table.widths``), and the header is padded past pandoc's 72 columns, so pandoc always
    gives the columns relative widths in that proportion instead of equal ones. A table with
    ``where`` gets a last column naming the section (or PDF page) of each row's item, from
    ``titles`` (anchor -> section title).
    """
    where = table.where
    if table.where:
        titles = titles or {}
        table = Table(
            name=table.name,
            caption=table.caption,
            columns=(*table.columns, "Where reported"),
            rows=tuple(
                (*row, titles.get(anchor, "") if anchor else "")
                for row, anchor in zip(table.rows, table.where, strict=True)
            ),
            align=(*table.align, "l") if table.align else (),
            indent=table.indent,
            widths=(*table.widths, 14) if table.widths else None,
        )
    align = table.align or tuple("l" for _ in table.columns)
    header_cells = [_cell(c) for c in table.columns]
    body_cells = []
    for i, row in enumerate(table.rows):
        depth = table.indent[i] if table.indent else 0
        cells = [_indented(row[0], depth), *(_cell(c) for c in row[1:])]
        if where:
            cells[-1] = _where(where[i], titles or {})
        body_cells.append(cells)
    weights: list[float]
    if table.widths:
        weights = [float(w) for w in table.widths]
    else:
        weights = [
            max(
                [
                    len(table.columns[j]) * 0.7,
                    # A header word never breaks: give the column at least its longest word.
                    float(max((len(w) for w in table.columns[j].split()), default=0) + 3),
                    *(
                        float(len(row[j]) + 3 * (table.indent[i] if table.indent and j == 0 else 0))
                        for i, row in enumerate(table.rows)
                    ),
                ],
                default=3.0,
            )
            for j in range(len(table.columns))
        ]
        # Number columns get three characters of air, so Word's cell padding never wraps them.
        weights = [max(4.0, min(w if j == 0 else w + 3, 60.0)) for j, w in enumerate(weights)]
    total = sum(weights)
    dashes = [max(3, round(90 * w / total)) for w in weights]
    rule = (
        "|"
        + "|".join(
            (":" if a in "lc" else "-") + "-" * d + (":" if a in "rc" else "-")
            for a, d in zip(align, dashes, strict=True)
        )
        + "|"
    )
    header = "| " + " | ".join(header_cells) + " |"
    header += " " * max(0, len(rule) + 2 - len(header))
    body = ["| " + " | ".join(cells) + " |" for cells in body_cells]
    return "\n".join([header, rule, *body])


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _display_width(text))


def grid_table(
    columns: tuple[str, ...], rows: list[list[list[str]]], widths: tuple[int, ...]
) -> str:
    """A pandoc grid table whose cells hold several paragraphs (lists of lines).

    ``rows[i][j]`` is the list of paragraphs of cell (i, j), already escaped markdown.
    """

    def wrap(paragraphs: list[str], width: int) -> list[str]:
        lines: list[str] = []
        for k, paragraph in enumerate(paragraphs):
            if k:
                lines.append("")
            lines.extend(
                textwrap.wrap(
                    paragraph, width=width, break_long_words=False, break_on_hyphens=False
                )
                or [""]
            )
        return lines

    wrapped_rows = [[wrap(cell, w) for cell, w in zip(row, widths, strict=True)] for row in rows]
    widths = tuple(
        max(
            [w, _display_width(columns[j])]
            + [_display_width(line) for r in wrapped_rows for line in r[j]]
        )
        for j, w in enumerate(widths)
    )

    def rule(char: str) -> str:
        return "+" + "+".join(char * (w + 2) for w in widths) + "+"

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(_pad(c, w) for c, w in zip(cells, widths, strict=True)) + " |"

    header_rule = "+" + "+".join(":" + "=" * (w + 1) for w in widths) + "+"  # left-aligned
    out = [rule("-"), line([escape(c) for c in columns]), header_rule]
    for cells in wrapped_rows:
        height = max(len(c) for c in cells)
        for k in range(height):
            out.append(line([c[k] if k < len(c) else "" for c in cells]))
        out.append(rule("-"))
    return "\n".join(out)


# Offline reports offer no Chart Studio: plotly's cloud buttons off, no server URL.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "showSendToCloud": False,
    "plotlyServerURL": "",
    "modeBarButtonsToRemove": ["sendDataToCloud", "editInChartStudio"],
}


def _figure_html(block: FigureBlock, label: str) -> str:
    import html

    import plotly.io as pio

    plot = str(
        pio.to_html(
            block.figure,
            full_html=False,
            include_plotlyjs=False,
            div_id=f"plot-{block.name}",
            default_width="100%",
            default_height=f"{block.height}px",
            config=PLOTLY_CONFIG,
        )
    ).strip()
    alt = html.escape(f"{label}: {block.alt or block.caption}", quote=True)
    # A wide figure (a heatmap) keeps a readable width and scrolls inside its own box on a
    # phone; the page itself never scrolls sideways.
    least = min(block.width, 640) if block.width > 760 else 0
    inner = f'<div style="min-width: {least}px">\n{plot}\n</div>' if least else plot
    return f'<div class="plot" role="figure" aria-label="{alt}">\n{inner}\n</div>'


#: Tables of at most this many rows stay on one page in the PDF.
KEEP_TOGETHER = 14


class _Writer:
    """Writes blocks in reading order, numbering tables and figures as it goes ("Table 2",
    "Figure 1", the same in every format; typst's own numbering is off)."""

    def __init__(self, titles: dict[str, str]) -> None:
        self.titles = titles
        self.tables = 0
        self.figures = 0

    def table_caption(self, caption: str) -> str:
        self.tables += 1
        return escape(f"Table {self.tables}. {caption}")

    def block(self, block: Block) -> str:
        if isinstance(block, Table):
            caption = self.table_caption(block.caption)
            text = fill("partials/table.md", table=pipe_table(block, self.titles), caption=caption)
            if block.notes:
                notes = "\n\n".join(fill("partials/note.md", text=escape(n)) for n in block.notes)
                text = text.rstrip("\n") + "\n\n" + notes
            if len(block.rows) <= KEEP_TOGETHER:
                # A short table is never split (PDF): no page holds one orphaned row.
                text = "::: {.keep-together}\n" + text.strip("\n") + "\n:::"
            return text
        if isinstance(block, FigureBlock):
            self.figures += 1
            label = f"Figure {self.figures}"
            caption = escape(f"{label}. {block.caption}")
            return fill(
                "partials/figure.md",
                name=block.name,
                html=_figure_html(block, label),
                caption=caption,
                alt=escape(block.alt or block.caption).replace('"', "'"),
                # Tall figures are limited by the page height, not its width.
                print_size="height=20cm" if block.height > 1.25 * block.width else "width=100%",
                # Word (A4, 2 cm margins: a 17 × 25 cm text area): the same rule.
                docx_size="height=22cm" if block.height > 1.3 * block.width else "width=17cm",
            )
        if isinstance(block, JointDisplay):
            caption = self.table_caption(block.caption)
            return _joint(block, caption)
        return _block(block)

    def section(self, section: Section, *, level: int = 2) -> str:
        parts = [self.block(b).strip("\n") for b in section.blocks]
        parts += [self.section(sub, level=level + 1).strip("\n") for sub in section.subsections]
        body = "\n\n".join(parts)
        if level == 2:
            return fill(
                "partials/section.md",
                title=escape(section.title),
                anchor=section.anchor,
                body=body,
            )
        return fill(
            "partials/subsection.md", title=escape(section.title), anchor=section.anchor, body=body
        )


def _joint(block: JointDisplay, caption: str) -> str:
    rows = [
        [
            [escape(row.theme)],
            [escape(row.prevalence), *(escape(line) for line in row.strata)],
            [escape(f"“{quote}” ({who})") for quote, who in row.quotes]
            + [escape(line) for line in row.notes]
            or [escape("no quotation")],
        ]
        for row in block.rows
    ]
    table = grid_table(("Theme", "Participants", "Exemplar quotations"), rows, (22, 16, 58))
    return fill("partials/joint.md", table=table, caption=caption)


def _block(block: Block) -> str:
    """One block without a number (tables and figures get theirs from :class:`_Writer`)."""
    if isinstance(block, Paragraph):
        return fill("partials/paragraph.md", text=escape(block.text))
    if isinstance(block, Note):
        return fill("partials/note.md", text=escape(block.text))
    if isinstance(block, Bullets):
        # A loose list (blank lines between items): body-size text in Word, not "Compact".
        return "\n".join(fill("partials/bullet.md", text=escape(item)) for item in block.items)
    if isinstance(block, Banner):
        return fill(
            "partials/banner.md", text=escape(block.text), typst_text=escape_typst(block.text)
        )
    if isinstance(block, Callout):
        return fill(
            "partials/callout.md",
            title=escape(block.title),
            text=escape(block.text),
            typst_title=escape_typst(block.title),
            typst_text=escape_typst(block.text),
        )
    if isinstance(block, Table | FigureBlock | JointDisplay):
        return _Writer({}).block(block)
    raise TypeError(f"unknown block {type(block).__name__}")  # pragma: no cover


def _titles(sections: tuple[Section, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for section in sections:
        found[section.anchor] = section.title
        found.update(_titles(section.subsections))
    return found


def _yaml_string(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar; pandoc reads metadata as
    # markdown, so escape its specials too.
    return json.dumps(escape(text), ensure_ascii=False)


def write_qmd(report: Report) -> str:
    """The whole Quarto document for ``report``."""
    writer = _Writer(_titles(report.sections))
    parts = [writer.block(b).strip("\n") for b in report.preamble]
    parts += [writer.section(s).strip("\n") for s in report.sections]
    body = "\n\n".join(parts)
    return fill(
        f"{report.kind}.qmd",
        title=_yaml_string(report.title),
        subtitle=_yaml_string(report.subtitle),
        short_title=_yaml_string(report.title),
        date=_yaml_string(report.date),
        synthetic="true" if report.synthetic else "false",
        version=json.dumps(report.version),
        body=body,
    )
