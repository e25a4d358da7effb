"""The objects passed between ingest, extraction and checks: a read document and the reason a file is refused."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any


class RejectedInput(Exception):
    """A file that cannot be read as a disclosure; str(exc) is the one sentence written to documents.csv."""


@dataclass
class Document:
    """A disclosure as normalised text, with what is needed to point back into it.

    ``page_starts[i]`` is the offset in ``text`` where page ``i + 1`` begins (PDF only; empty otherwise).
    ``tables`` holds tables read from the source's structure (docx/html cells, PDF positioned words):
    each a dict with at least ``cells`` (list of rows, each a list of str), ``page`` and ``start``/``end``
    offsets of the table's text in ``text`` where known.
    """

    file: str
    format: str
    text: str
    page_starts: list[int] = field(default_factory=list)
    encoding: str = ""
    n_pages: int | None = None
    tables: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Flag rows (columns of flags.csv) raised while reading or extracting the document itself: a reading the
    # extractor set aside, an OCR'd table whose own identities fail. The pipeline adds them to the document's flags.
    flags: list[dict[str, Any]] = field(default_factory=list)
    # Pages read by OCR (1-based) -> one recognition score (0-1) per character of that page's part of ``text``
    # (None where a character has no counterpart in what OCR read). Empty for a document read from its text layer.
    ocr: dict[int, list[float | None]] = field(default_factory=dict)

    def page_at(self, offset: int) -> int | None:
        """1-based page holding ``offset``; None for formats without pages.

        >>> Document("a.pdf", "pdf", "abcdef", page_starts=[0, 3]).page_at(4)
        2
        """
        if not self.page_starts:
            return None
        return bisect.bisect_right(self.page_starts, offset)
