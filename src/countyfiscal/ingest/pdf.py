"""PDF bytes -> per-page text with pypdfium2 (fast; pdfplumber is ~35x slower) -> a normalised Document."""

from __future__ import annotations

import re
from itertools import islice

import pypdfium2 as pdfium

from countyfiscal.extract.pdf_tables import page_words
from countyfiscal.ingest.limits import MAX_PDF_PAGES
from countyfiscal.ingest.normalise import normalise_pages
from countyfiscal.model import Document, RejectedInput

NO_TEXT = "no text layer (scanned PDF; OCR needed)"
ENCRYPTED = "encrypted PDF (password required)"
_MEANINGFUL = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
# PDFium's load error codes (fpdfview.h): 3 = format, 4 = password, 5 = security handler
_ERR_FORMAT, _ERR_PASSWORD, _ERR_SECURITY = 3, 4, 5


# A page with a line ending in an amount may hold a disclosure table: its positioned words are kept while the page
# is open, so the table reader need not load it again (loading a page costs more than reading its text).
_TABULAR_LINE = re.compile(r"\d\.\d+[ \t]*\r?$", re.M)


def page_texts(data: bytes, words: dict[int, list] | None = None) -> list[str]:
    """Text of every page, in order, as PDFium lays it out; raises RejectedInput for unreadable PDFs.

    With ``words`` (a dict), the positioned words of each page that may hold a table are added to it by 1-based page.
    """
    if b"%%EOF" not in data[-2048:]:
        # PDFium happily rebuilds a cut-off file and returns the pages it finds: a silent partial read.
        raise RejectedInput("corrupt or truncated PDF: no end-of-file marker")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code in (_ERR_PASSWORD, _ERR_SECURITY):
            raise RejectedInput(ENCRYPTED) from None
        raise RejectedInput(f"corrupt or truncated PDF: {_short(exc)}") from None
    try:
        n = len(pdf)
        if n > MAX_PDF_PAGES:  # a page tree may list one page 100,000 times in 600 KB
            raise RejectedInput(f"PDF of {n:,} pages: more than {MAX_PDF_PAGES:,} are not read (no disclosure is that long)")
        texts = []
        for i in range(n):
            page = pdf[i]
            try:
                textpage = page.get_textpage()
                try:
                    texts.append(textpage.get_text_range())
                    if words is not None and _TABULAR_LINE.search(texts[-1]):
                        words[i + 1] = page_words(textpage, texts[-1])
                finally:
                    textpage.close()
            finally:
                page.close()
        return texts
    except pdfium.PdfiumError as exc:
        raise RejectedInput(f"corrupt or truncated PDF: {_short(exc)}") from None
    finally:
        pdf.close()


def _short(exc: Exception) -> str:
    msg = str(exc).strip().rstrip(".")
    msg = re.sub(r"^Failed to load document \(PDFium: (.*)\)$", r"\1", msg)
    return (msg or type(exc).__name__)[:120]


def read_pdf(data: bytes, file: str) -> Document:
    words: dict[int, list] = {}
    texts = page_texts(data, words)
    n = len(texts)
    if n == 0:
        raise RejectedInput("corrupt or truncated PDF: no pages")
    text, starts = normalise_pages(texts)
    needed = max(20, 5 * n)
    if sum(1 for _ in islice(_MEANINGFUL.finditer(text), needed)) < needed:
        raise RejectedInput(NO_TEXT)
    doc = Document(file=file, format="pdf", text=text, page_starts=starts, n_pages=n,
                   tables=[{"cells": [], "page": p, "start": None, "end": None, "words": w} for p, w in words.items()])
    blank = [i + 1 for i, t in enumerate(texts) if sum(1 for _ in islice(_MEANINGFUL.finditer(t), 5)) < 5]
    if blank:
        doc.warnings.append(f"pages {_ranges(blank)} of {n} have no text layer (OCR needed)")
    return doc


def _ranges(pages: list[int]) -> str:
    out, start, prev = [], pages[0], pages[0]
    for p in pages[1:] + [None]:
        if p is not None and p == prev + 1:
            prev = p
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if p is not None:
            start = prev = p
    return ", ".join(out)
