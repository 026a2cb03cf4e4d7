"""Every DOCX report opens in LibreOffice Writer and converts headlessly to PDF (issue 16).

The demo's study and comparison reports are converted by `soffice --headless --convert-to
pdf`; the PDF must hold every table's caption, as many table captions as raremix wrote
tables, and as many images as raremix wrote figures.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

pytestmark = [pytest.mark.tools, pytest.mark.slow]


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _images(pdf: Path) -> int:
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    return sum(1 for line in listing if line.split()[2] == "image")


@pytest.fixture(scope="module")
def converted(rendered_reports: Path, soffice: str, tmp_path_factory: pytest.TempPathFactory):
    """(docx, pdf) for every DOCX report, converted in one LibreOffice run."""
    root = tmp_path_factory.mktemp("libreoffice")
    sources = sorted(rendered_reports.glob("*/report.docx"))
    assert len(sources) == 3, sources
    copies = []
    for source in sources:
        copy = root / f"{source.parent.name}.docx"
        shutil.copyfile(source, copy)
        copies.append(copy)
    done = subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(root / 'profile').as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(root / "pdf"),
            *map(str, copies),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return [(source, root / "pdf" / f"{source.parent.name}.pdf") for source in sources]


def test_every_docx_converts_with_its_captions_tables_and_figures(converted) -> None:
    import docx

    for source, pdf in converted:
        assert pdf.is_file() and pdf.stat().st_size > 0, f"{source}: no PDF"
        document = docx.Document(str(source))
        captions = [_squash(p.text) for p in document.paragraphs if p.style.name == "Table Caption"]
        figures = len(document.inline_shapes)
        written = sorted((source.parent / "figures").glob("*.png"))
        assert captions and len(captions) == len(document.tables), source
        assert figures == len(written), (source, figures, written)
        text = _squash(
            subprocess.run(
                ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
            ).stdout
        )
        flat = re.sub(r"\s+", " ", text)
        missing = [c for c in captions if c not in flat]
        assert not missing, f"{pdf.name}: captions not in the PDF: {missing}"
        assert sum(flat.count(c) for c in set(captions)) >= len(captions)
        assert _images(pdf) == figures, f"{pdf.name}: {_images(pdf)} images, {figures} figures"
        assert "SYNTHETIC DATA" in flat
