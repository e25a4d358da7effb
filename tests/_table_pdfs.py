"""Small PDFs with a real text layer, laid out like published disclosure tables, for the table-reader tests."""

from __future__ import annotations

from pathlib import Path

from countyfiscal.model import Document


def pdf_pages(path: Path, pages: list[list[tuple]], fontsize: float = 9, landscape: bool = True) -> None:
    """A PDF: each page a list of (x, y, text, ha) in figure fractions (y up), CJK font, text kept as text (the
    way ingest sees a published PDF: positioned glyphs, no cell structure)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mplfonts
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=str(Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"))
    matplotlib.rcParams["pdf.fonttype"] = 42
    size = (11.69, 8.27) if landscape else (8.27, 11.69)
    with PdfPages(path) as pdf:
        for items in pages:
            fig = plt.figure(figsize=size)
            for x, y, s, ha in items:
                fig.text(x, y, s, fontproperties=font, fontsize=fontsize, ha=ha)
            pdf.savefig(fig)
            plt.close(fig)


def pdf_document(path: Path) -> Document:
    """The PDF as ingest reads it (text layer, page offsets, the positioned words of its table pages)."""
    from countyfiscal.ingest import read_document

    return read_document(path)


def grid(x_cols: list[float], y: float, cells: list[str], align: list[str]) -> list[tuple]:
    """One printed table row: cell texts at the columns' x positions ('' cells print nothing)."""
    return [(x, y, c, a) for x, c, a in zip(x_cols, cells, align) if c]
