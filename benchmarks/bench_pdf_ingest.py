"""Pages per second of bare pypdfium2 text extraction vs. read_document on the dev-corpus PDFs (target ratio ≤ 1.5)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pypdfium2 as pdfium

from countyfiscal.ingest import read_document
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


def timed(fn, files: list[Path]) -> float:
    # CPU time of this process: on a shared 2-core machine wall time mostly measures the neighbours
    t0 = time.process_time()
    for f in files:
        fn(f)
    return time.process_time() - t0


def best_of_interleaved(files: list[Path], repeat: int) -> tuple[float, float]:
    # bare and ours alternate so both see the same load on a shared machine; the minimum is the least disturbed run
    bare_t, ours_t = [], []
    for _ in range(repeat):
        bare_t.append(timed(bare, files))
        ours_t.append(timed(read_document, files))
    return min(bare_t), min(ours_t)


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
    t_bare, t_ours = best_of_interleaved(files, args.repeat)
    print(f"{len(files)} PDFs, {pages} pages (CPU time, best of {args.repeat})")
    print(f"bare pypdfium2 text : {pages / t_bare:8.0f} pages/s ({t_bare:.3f} s)")
    print(f"read_document       : {pages / t_ours:8.0f} pages/s ({t_ours:.3f} s)")
    print(f"ratio ours/bare     : {t_ours / t_bare:8.2f}  (target <= 1.5)")


if __name__ == "__main__":
    main()
