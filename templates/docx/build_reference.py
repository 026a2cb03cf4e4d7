"""Rebuild ``templates/docx/reference.docx``, the Word house style of raremix reports.

Run from the repository root: ``.venv/bin/python templates/docx/build_reference.py``.
It starts from pandoc's own reference document and changes only what the report needs:
A4 pages with 2 cm margins (a 17 cm text width), a sans-serif body, table text (pandoc's
"Compact" style) at 8.5 pt so number columns do not wrap, captions in ink, a "Synthetic Banner" paragraph style
(the SYNTHETIC DATA box) and "Table Level N" styles (indented table cells for the codebook tree).
Pandoc (and Quarto, through ``reference-doc``) take the styles and the page from this file.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import docx
import pypandoc
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
ACCENT = RGBColor(0x00, 0x72, 0xB2)  # Okabe–Ito blue, as in the CSS and the typst template
WARN = "D55E00"  # Okabe–Ito vermillion: the SYNTHETIC DATA banner


def _banner_style(document: docx.document.Document) -> None:
    """ "Synthetic Banner": bold dark-orange text, centred, in an orange box on a pale fill."""
    style = document.styles.add_style("Synthetic Banner", WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.font.bold = True
    style.font.size = Pt(11)
    style.font.color.rgb = RGBColor(0x8A, 0x31, 0x00)
    style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    style.paragraph_format.space_before = Pt(6)
    style.paragraph_format.space_after = Pt(12)
    ppr = style.element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single")
        edge.set(qn("w:sz"), "18")  # eighths of a point
        edge.set(qn("w:space"), "6")
        edge.set(qn("w:color"), WARN)
        borders.append(edge)
    ppr.append(borders)
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), "FFF3EC")
    ppr.append(shading)


LEVELS = 5  # "Table Level 1" ... "Table Level 5": codebook depth in a table's first column


def _level_styles(document: docx.document.Document) -> None:
    """ "Table Level N": table text indented N × 0.4 cm, so a codebook tree is indented by
    the paragraph style of its cells (Word users never remove spaces by hand)."""
    for level in range(1, LEVELS + 1):
        style = document.styles.add_style(f"Table Level {level}", WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = document.styles["Compact"]
        style.paragraph_format.left_indent = Cm(0.4 * level)


def build(target: Path, *, synthetic: bool = False) -> None:
    """Write the reference document to ``target``; ``synthetic`` adds a SYNTHETIC DATA page
    header (pandoc keeps the reference document's headers and footers)."""
    with tempfile.TemporaryDirectory() as tmp:
        default = Path(tmp) / "default.docx"
        data = subprocess.run(
            [pypandoc.get_pandoc_path(), "--print-default-data-file", "reference.docx"],
            capture_output=True,
            check=True,
        ).stdout
        default.write_bytes(data)
        document = docx.Document(str(default))
    for section in document.sections:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.0)
        section.top_margin, section.bottom_margin = Cm(2.2), Cm(2.2)
    styles = document.styles
    body_fonts = ("Normal", "Body Text", "First Paragraph", "Compact")
    for name in body_fonts:
        styles[name].font.name = "Calibri"
    styles["Normal"].font.size = Pt(10.5)
    styles["Body Text"].font.size = Pt(10.5)
    styles["Compact"].font.size = Pt(8.5)
    for name in ("Table Caption", "Image Caption"):
        styles[name].font.size = Pt(9)
        styles[name].font.italic = False
        styles[name].font.color.rgb = RGBColor(0x1D, 0x24, 0x33)
    for name in ("Title", "Heading 1", "Heading 2"):
        styles[name].font.color.rgb = ACCENT
    styles["Block Text"].font.size = Pt(10)
    _banner_style(document)
    _level_styles(document)
    if synthetic:
        for section in document.sections:
            header = section.header
            header.is_linked_to_previous = False
            paragraph = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            run = paragraph.add_run("SYNTHETIC DATA")
            run.bold = True
            run.font.size = Pt(8)
            run.font.color.rgb = RGBColor(0xD5, 0x5E, 0x00)
    document.save(str(target))


if __name__ == "__main__":
    build(HERE / "reference.docx")
    build(HERE / "reference-synthetic.docx", synthetic=True)
    print(HERE / "reference.docx", HERE / "reference-synthetic.docx")
