"""Decide a file's format from its bytes (magic numbers, zip members, markup), not from its name."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import PurePath

from countyfiscal.ingest.limits import MAX_DOCX_MEMBERS
from countyfiscal.model import RejectedInput

SUPPORTED = "supported formats are .txt, .docx, .pdf and .html"

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"GIF87a", ".gif"),
    (b"GIF89a", ".gif"),
    (b"BM", ".bmp"),
    (b"II*\x00", ".tif"),
    (b"MM\x00*", ".tif"),
)
_OTHER_MAGIC = (
    (b"{\\rtf", ".rtf"),
    (b"Rar!\x1a\x07", ".rar"),
    (b"7z\xbc\xaf\x27\x1c", ".7z"),
    (b"\x1f\x8b", ".gz"),
    (b"%!PS", ".ps"),
)
_OLE_EXTS = {".doc", ".xls", ".ppt", ".wps", ".et", ".dps", ".msg"}
_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b",
                         re.IGNORECASE | re.DOTALL)
_HTML_ANY = re.compile(rb"<(?:html|body|head)\b[^>]*>", re.IGNORECASE)


def unsupported(ext: str) -> RejectedInput:
    return RejectedInput(f"unsupported format ({ext}); {SUPPORTED}")


def _strip_bom_utf16(head: bytes) -> bytes:
    # an HTML page saved as UTF-16 still has to be recognised as markup
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(head) > 3 and (head[1] == 0 or head[0] == 0)):
        for enc in ("utf-16", "utf-16-le", "utf-16-be"):
            try:
                return head.decode(enc, errors="ignore").encode("utf-8")
            except Exception:  # noqa: BLE001 - best effort sniffing only
                continue
    return head.removeprefix(b"\xef\xbb\xbf")


def sniff(data: bytes, name: str = "") -> str:
    """Return "pdf", "docx", "html" or "txt" for the bytes; raise RejectedInput for anything else.

    >>> sniff(b"%PDF-1.7 ...")
    'pdf'
    >>> sniff("<!DOCTYPE html><html><body>预算</body></html>".encode())
    'html'
    """
    ext = PurePath(name).suffix.lower()
    if not data.strip(b" \t\r\n\f\x00\x0b") or data.strip() in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        raise RejectedInput("empty file")
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _sniff_zip(data, ext)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise unsupported(ext if ext in _OLE_EXTS else ".doc/.xls (old Office format)")
    for magic, kind in _IMAGE_MAGIC:
        if data.startswith(magic):
            raise unsupported(kind)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        raise unsupported(".webp")
    for magic, kind in _OTHER_MAGIC:
        if data.startswith(magic):
            raise unsupported(kind)
    text_head = _strip_bom_utf16(data[:4096])
    if _HTML_START.match(text_head) or _HTML_ANY.search(text_head):
        return "html"
    return "txt"


def _zip_entries(data: bytes) -> int | None:
    """Members a zip's end record declares (None when there is none): read before the directory is parsed, since
    zipfile builds an object per member (a directory of millions costs gigabytes)."""
    try:
        end = zipfile._EndRecData(io.BytesIO(data))  # the end-of-central-directory record, zip64 understood
    except (OSError, ValueError, struct.error):
        return None
    return None if end is None else int(end[zipfile._ECD_ENTRIES_TOTAL])


def _sniff_zip(data: bytes, ext: str) -> str:
    entries = _zip_entries(data)
    if entries is not None and entries > MAX_DOCX_MEMBERS:
        raise RejectedInput(f"zip archive of {entries:,} members: more than the {MAX_DOCX_MEMBERS:,} read "
                            "(no disclosure has that many parts)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        if ext == ".docx" or b"word/" in data:
            raise RejectedInput(f"corrupt or truncated .docx: {str(exc).rstrip('.')}") from None
        raise unsupported(ext or ".zip") from None
    if "word/document.xml" in names:
        return "docx"
    if any(n.startswith("xl/") for n in names):
        raise unsupported(".xlsx")
    if any(n.startswith("ppt/") for n in names):
        raise unsupported(".pptx")
    if "OFD.xml" in names:
        raise unsupported(".ofd")
    if "content.xml" in names and "mimetype" in names:
        raise unsupported(ext if ext in {".odt", ".ods", ".odp"} else ".odt")
    raise unsupported(".zip")
