"""Pages per second of bare pypdfium2 text extraction vs. our PDF reading on the dev-corpus PDFs (issue 16).

Two ratios from one run (each timing the best of ``--repeat`` interleaved rounds, CPU time):
- text: every page's text and the normalised document text (``ingest.pdf.page_texts`` + ``normalise_pages``),
  target <= 1.3;
- read_document: the same plus the positioned words of the pages that may hold a table (what extraction uses),
  target <= 1.5.

    .venv/bin/python benchmarks/bench_pdf_ingest.py [../shared/dev-corpus] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pypdfium2 as pdfium

from countyfiscal.ingest import read_document
from countyfiscal.ingest.normalise import normalise_pages
from countyfiscal.ingest.pdf import page_texts
from countyfiscal.model import RejectedInput


def bare(path: Path) -> int:
    """What any reader must pay: open, text of every page, close."""
    pdf = pdfium.PdfDocument(path.read_bytes())
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
        return len(pdf)
    finally:
        pdf.close()


def text_only(path: Path) -> None:
    """Our text path without the table words: page texts, then the normalised text."""
    normalise_pages(page_texts(path.read_bytes()))


def timed(fn, files: list[Path]) -> float:
    # CPU time of this process: on a shared 2-core machine wall time mostly measures the neighbours
    t0 = time.process_time()
    for f in files:
        fn(f)
    return time.process_time() - t0


def best_of_interleaved(files: list[Path], repeat: int) -> tuple[float, float, float]:
    # the readers alternate so all see the same load on a shared machine; the minimum is the least disturbed run
    bare_t, text_t, ours_t = [], [], []
    for _ in range(repeat):
        bare_t.append(timed(bare, files))
        text_t.append(timed(text_only, files))
        ours_t.append(timed(read_document, files))
    return min(bare_t), min(text_t), min(ours_t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("corpus", nargs="?", default="../shared/dev-corpus")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    files = []
    pages = 0
    for f in sorted(Path(args.corpus).glob("*.pdf")):
        try:
            pages += bare(f)
            read_document(f)
            files.append(f)
        except (pdfium.PdfiumError, RejectedInput):
            continue  # e.g. the HTML page saved as .pdf: not a PDF, nothing to time
    if not files:
        raise SystemExit(f"no readable PDFs under {args.corpus}")
    t_bare, t_text, t_ours = best_of_interleaved(files, args.repeat)
    print(f"{len(files)} PDFs, {pages} pages (CPU time, best of {args.repeat})")
    print(f"bare pypdfium2 text : {pages / t_bare:8.0f} pages/s ({t_bare:.3f} s)")
    print(f"text + normalise    : {pages / t_text:8.0f} pages/s ({t_text:.3f} s)")
    print(f"read_document       : {pages / t_ours:8.0f} pages/s ({t_ours:.3f} s)")
    print(f"ratio text/bare     : {t_text / t_bare:8.2f}  (target <= 1.3)")
    print(f"ratio read_document/bare: {t_ours / t_bare:4.2f}  (with the table words; target <= 1.5)")


if __name__ == "__main__":
    main()
