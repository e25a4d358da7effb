"""PDF bytes -> per-page text with pypdfium2 (fast; pdfplumber is ~35x slower), scanned pages read by OCR where the
``[ocr]`` extra is installed -> a normalised Document."""

from __future__ import annotations

import re
from itertools import islice

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from countyfiscal.extract.pdf_tables import page_words
from countyfiscal.ingest.limits import MAX_OCR_PAGES, MAX_PDF_PAGES as MAX_PAGES
from countyfiscal.ingest.normalise import normalise_pages
from countyfiscal.model import Document, RejectedInput

NO_TEXT = "no text layer (scanned PDF; OCR needed)"
NO_TEXT_OCR = "no text layer, and OCR found no text on its pages"
EMPTY = "empty PDF: no page has text or an image"
ENCRYPTED = "encrypted PDF (password required)"
# A real disclosure has tens of pages, a city's whole budget book a few hundred. Past MAX_PAGES (ingest/limits.py)
# a PDF is refused, past MAX_OCR_PAGES its further scanned pages are left unread (OCR, ~4 s a page), each with one
# sentence saying so.
_MEANINGFUL = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
# PDFium's load error codes (fpdfview.h): 3 = format, 4 = password, 5 = security handler
_ERR_FORMAT, _ERR_PASSWORD, _ERR_SECURITY = 3, 4, 5
# A page without readable text holding this many vector paths may be text drawn as outlines, this many text objects
# text in a font without a Unicode map (its characters come out as nothing or garbage): worth OCR, not blank. A blank
# page's page number or header is a text object or two.
_OUTLINE_PATHS = 50
_UNREADABLE_TEXTS = 10


# A page with a line ending in an amount may hold a disclosure table: its positioned words are kept while the page
# is open, so the table reader need not load it again (loading a page costs more than reading its text).
_TABULAR_LINE = re.compile(r"\d\.\d+[ \t]*\r?$", re.M)


def _open(data: bytes) -> pdfium.PdfDocument:
    if b"%%EOF" not in data[-2048:]:
        # PDFium happily rebuilds a cut-off file and returns the pages it finds: a silent partial read.
        raise RejectedInput("corrupt or truncated PDF: no end-of-file marker")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code in (_ERR_PASSWORD, _ERR_SECURITY):
            raise RejectedInput(ENCRYPTED) from None
        raise RejectedInput(f"corrupt or truncated PDF: {_short(exc)}") from None


def page_texts(data: bytes, words: dict[int, list] | None = None) -> list[str]:
    """Text of every page's text layer, in order, as PDFium lays it out; raises RejectedInput for unreadable PDFs.

    With ``words`` (a dict), the positioned words of each page that may hold a table are added to it by 1-based page.
    """
    pdf = _open(data)
    try:
        return _text_layer(pdf, words)[0]
    except pdfium.PdfiumError as exc:
        raise RejectedInput(f"corrupt or truncated PDF: {_short(exc)}") from None
    finally:
        pdf.close()


def _text_layer(pdf: pdfium.PdfDocument, words: dict[int, list] | None) -> tuple[list[str], list[int], list[int]]:
    """(text of every page, pages without text that hold an image or drawing: OCR candidates, blank pages)."""
    n = len(pdf)
    if n > MAX_PAGES:
        raise RejectedInput(f"PDF of {n:,} pages: more than {MAX_PAGES:,} are not read (no disclosure is that long)")
    texts: list[str] = []
    scans: list[int] = []
    blank: list[int] = []
    for i in range(n):
        page = pdf[i]
        try:
            textpage = page.get_textpage()
            try:
                text = textpage.get_text_range()
                texts.append(text)
                if sum(1 for _ in islice(_MEANINGFUL.finditer(text), 5)) < 5:
                    # a page number alone is no text: such a page is blank, or a scan if it holds an image
                    (scans if _has_ink(page) else blank).append(i + 1)
                elif words is not None and _TABULAR_LINE.search(text):
                    words[i + 1] = page_words(textpage, text)
            finally:
                textpage.close()
        finally:
            page.close()
    return texts, scans, blank


def _has_ink(page: pdfium.PdfPage) -> bool:
    """Whether a page without readable text shows anything OCR could read: an image (also inside a form XObject), a
    shading, enough vector paths to be text drawn as outlines, or enough text objects to be text without a Unicode
    map. A page with none of these is blank."""
    paths = texts = 0
    for obj in page.get_objects(max_depth=4):
        kind = obj.type
        if kind in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_SHADING):
            return True
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            paths += 1
            if paths >= _OUTLINE_PATHS:
                return True
        elif kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            texts += 1
            if texts >= _UNREADABLE_TEXTS:
                return True
    return False


def _short(exc: Exception) -> str:
    msg = str(exc).strip().rstrip(".")
    msg = re.sub(r"^Failed to load document \(PDFium: (.*)\)$", r"\1", msg)
    return (msg or type(exc).__name__)[:120]


def _ocr_pages(pdf: pdfium.PdfDocument, pages: list[int]) -> tuple[dict[int, object], list[str]]:
    """OCR the scanned ``pages`` (1-based): {page: OcrPage} and the warnings for the pages left unread."""
    if not pages:
        return {}, []  # every page has text (or is blank): no OCR work at all
    from countyfiscal.ingest import ocr

    if not ocr.available():
        return {}, []  # read as before OCR existed: the pages are reported as needing it
    cache = ocr.cache_folder()
    done: dict[int, object] = {}
    failed: list[int] = []
    for p in pages[:MAX_OCR_PAGES]:
        page = pdf[p - 1]
        try:
            done[p] = ocr.read_page(page, cache)
        except Exception:  # noqa: BLE001 - one page the recogniser fails on is left unread and said so
            failed.append(p)
        finally:
            page.close()
    n = len(pdf)
    notes = []
    if failed:
        notes.append(f"OCR failed on pages {page_ranges(failed)} of {n}")
    if len(pages) > MAX_OCR_PAGES:
        notes.append(f"pages {page_ranges(pages[MAX_OCR_PAGES:])} of {n} were not OCR'd (at most {MAX_OCR_PAGES} "
                     "scanned pages are read per document)")
    return done, notes


def read_pdf(data: bytes, file: str) -> Document:
    words: dict[int, list] = {}
    pdf = _open(data)
    try:
        texts, scans, blank = _text_layer(pdf, words)
        ocred, notes = _ocr_pages(pdf, scans)
    except pdfium.PdfiumError as exc:
        raise RejectedInput(f"corrupt or truncated PDF: {_short(exc)}") from None
    finally:
        pdf.close()
    n = len(texts)
    if n == 0:
        raise RejectedInput("corrupt or truncated PDF: no pages")
    for p, page in ocred.items():
        texts[p - 1] = page.text
        words[p] = page.words
    text, starts = normalise_pages(texts)
    # Blank pages (a real budget followed by thousands of empty ones) do not make the text too thin: the pages with
    # something on them must hold it.
    needed = max(20, 5 * (n - len(blank)))
    if sum(1 for _ in islice(_MEANINGFUL.finditer(text), needed)) < needed:
        if ocred:
            raise RejectedInput(NO_TEXT_OCR)
        raise RejectedInput(NO_TEXT if scans else EMPTY)
    doc = Document(file=file, format="pdf", text=text, page_starts=starts, n_pages=n,
                   tables=[{"cells": [], "page": p, "start": None, "end": None, "words": w,
                            **({"ocr": True} if p in ocred else {})} for p, w in sorted(words.items())])
    if ocred:
        from countyfiscal.ingest.ocr import align_scores

        bounds = list(starts) + [len(text)]
        for p, page in sorted(ocred.items()):
            doc.ocr[p] = align_scores(text[bounds[p - 1]:bounds[p]], page)
    unread = [p for p in scans if p not in ocred]
    if unread and not notes:
        doc.warnings.append(f"pages {page_ranges(unread)} of {n} have no text layer (OCR needed)")
    doc.warnings.extend(notes)
    empty = [p for p, page in sorted(ocred.items()) if sum(1 for _ in islice(_MEANINGFUL.finditer(page.text), 5)) < 5]
    if empty:
        # an image with no text a disclosure would print (a photo, a seal) -- or a scan too poor to read: say so
        doc.warnings.append(f"OCR found no text on pages {page_ranges(empty)} of {n}")
    return doc


def page_ranges(pages: list[int]) -> str:
    out, start, prev = [], pages[0], pages[0]
    for p in pages[1:] + [None]:
        if p is not None and p == prev + 1:
            prev = p
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if p is not None:
            start = prev = p
    return ", ".join(out)
