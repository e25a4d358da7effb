"""How big an input the readers take: sizes checked before a file is decompressed or parsed (issue #14).

Each limit sits far above any real disclosure (the largest of the corpora: a 1.9 MB PDF of 120 pages, a 230 KB
portal page nested 18 elements deep) and far below what would take a reader minutes or gigabytes. An input past a
limit is rejected with one sentence naming it (``too_large``), never read in part.
"""

from __future__ import annotations

MiB = 1 << 20

# Any input file, read whole into memory before its format is known.
MAX_FILE_BYTES = 512 * MiB

# .pdf: pages in the page tree (one page object listed 100,000 times is 603 KB), and pages sent to OCR (~4 s each).
# ingest/pdf.py reads both (agreed with the OCR helper: /work/coord/notes/limits.md).
MAX_PDF_PAGES = 10_000
MAX_OCR_PAGES = 200

# .txt: a whole county's disclosures pasted into one file are a few MB.
MAX_TEXT_BYTES = 64 * MiB

# .html: a portal page is tens or hundreds of KB; the parser keeps what it read when it hits its own depth limit,
# so a page nested deeper than that is refused rather than read in part.
MAX_HTML_BYTES = 16 * MiB
MAX_HTML_DEPTH = 255  # libxml2's limit for an HTML tree (without XML_PARSE_HUGE)
# colspan/rowspan beyond this are read as this (browsers cap colspan at 1,000; a disclosure table has < 30 columns)
MAX_HTML_SPAN = 50

# .docx (a zip): checked from the zip's directory before any member is inflated. The reader inflates only the
# parts it reads, a megabyte at a time and never past a part's recorded size: a part that lies about its size
# fails its CRC check instead of growing.
MAX_DOCX_MEMBERS = 10_000
MAX_DOCX_MEMBER_BYTES = 128 * MiB  # any one member, inflated (images are stored near their size)
# inflated/compressed size of one member: Word's XML deflates 5-30x (150x for a 2,000-row table of empty cells);
# a member of blanks or zeros 1,000x (deflate's ceiling is 1,032x)
MAX_DOCX_RATIO = 500
DOCX_RATIO_FROM_BYTES = 1 * MiB  # the ratio is only asked of members larger than this

# Tables in .docx: Word tables have at most 63 columns; a cell claiming to span more is read as spanning 63. A
# document's tables may hold this many grid cells in all (a city's budget book: ~100 tables of ~500 x ~20).
MAX_GRID_SPAN = 63
MAX_TABLE_CELLS = 2_000_000


def too_large(what: str, size: int, limit: int, unit: str = "bytes") -> str:
    """The rejection sentence for an input past a limit.

    >>> too_large(".html page", 52_428_800, MAX_HTML_BYTES)
    '.html page of 50.0 MB: more than the 16.0 MB read (no disclosure is that large)'
    >>> too_large("PDF", 100_000, MAX_PDF_PAGES, "pages")
    'PDF of 100,000 pages: more than the 10,000 read (no disclosure is that long)'
    """
    if unit == "bytes":
        return f"{what} of {size / MiB:,.1f} MB: more than the {limit / MiB:,.1f} MB read (no disclosure is that large)"
    return f"{what} of {size:,} {unit}: more than the {limit:,} read (no disclosure is that long)"
