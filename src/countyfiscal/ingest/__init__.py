"""Read a disclosure file (.txt/.docx/.pdf/.html, detected from its bytes) into one normalised Document."""

from __future__ import annotations

import stat
from pathlib import Path

from countyfiscal.ingest import limits
from countyfiscal.ingest.normalise import normalise, normalise_pages
from countyfiscal.ingest.sniff import sniff
from countyfiscal.model import Document, RejectedInput

__all__ = ["read_document", "read_bytes", "normalised_text", "normalise", "normalise_pages", "sniff"]


def read_bytes(data: bytes, file: str) -> Document:
    """Like read_document, for bytes already in memory; ``file`` is the name recorded (and a format hint)."""
    if len(data) > limits.MAX_FILE_BYTES:
        raise RejectedInput(limits.too_large("file", len(data), limits.MAX_FILE_BYTES))
    fmt = sniff(data, file)
    try:
        if fmt == "pdf":
            from countyfiscal.ingest.pdf import read_pdf

            return read_pdf(data, file)
        if fmt == "docx":
            from countyfiscal.ingest.docx import read_docx

            return read_docx(data, file)
        if fmt == "html":
            from countyfiscal.ingest.html import read_html

            return read_html(data, file)
        from countyfiscal.ingest.txt import decode_text

        if len(data) > limits.MAX_TEXT_BYTES:
            raise RejectedInput(limits.too_large("text file", len(data), limits.MAX_TEXT_BYTES))
        raw, encoding = decode_text(data)
        text = normalise(raw)
        if not text.strip():
            raise RejectedInput("empty file")
        return Document(file=file, format="txt", text=text, encoding=encoding)
    except RejectedInput:
        raise
    except RecursionError:
        raise RejectedInput(f"unreadable {fmt}: nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 - one bad file must become one sentence, never a crash of the run
        raise RejectedInput(f"unreadable {fmt}: {type(exc).__name__}") from None


def read_document(path: str | Path) -> Document:
    """Read one disclosure file; raises RejectedInput (one plain sentence) for files that are not readable.

    >>> doc = read_document("data/raw/004_70dee09d8603147c.txt")
    >>> "比去年预算数 17.32 万元减少" in doc.text
    True
    """
    p = Path(path)
    try:
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO or a device would block the read or never end
            raise RejectedInput("not a regular file (a folder, FIFO, socket or device): not read")
        if st.st_size > limits.MAX_FILE_BYTES:  # refused before it is read into memory
            raise RejectedInput(limits.too_large("file", st.st_size, limits.MAX_FILE_BYTES))
        data = p.read_bytes()
    except OSError as exc:
        raise RejectedInput(f"cannot read file: {exc.strerror or type(exc).__name__}") from None
    return read_bytes(data, p.name)


def normalised_text(path: str | Path) -> str:
    """The normalised text of a file, the one that quotes and offsets refer to (= read_document(path).text)."""
    return read_document(path).text
