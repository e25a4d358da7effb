""".docx bytes -> paragraphs and tables in body order -> a normalised Document with tables rendered as tab rows."""

from __future__ import annotations

import io
import posixpath
import zipfile

from lxml import etree

from countyfiscal.ingest import limits
from countyfiscal.ingest.normalise import Line, layout, normalise_cell, prose_lines
from countyfiscal.model import Document, RejectedInput

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _paragraph_text(p_el) -> str:
    """Visible text of a w:p, including hyperlinks and fields' results; tabs become spaces (prose, not cells)."""
    parts: list[str] = []
    for el in p_el.iter():
        tag = el.tag
        if tag == _W + "t":
            parts.append(el.text or "")
        elif tag in (_W + "tab", _W + "ptab"):
            parts.append(" ")
        elif tag in (_W + "br", _W + "cr"):
            parts.append("\n")
        elif tag == _W + "noBreakHyphen":
            parts.append("-")
        elif tag == _W + "delText":  # deleted in tracked changes: not part of the document as published
            continue
    return "".join(parts)


def _cell_text(tc) -> str:
    paras = []
    for p in tc.iter(_W + "p"):
        # nested tables' paragraphs are read too: their text belongs to this cell
        paras.append(_paragraph_text(p))
    return "\n".join(paras)


class _Grid:
    """Grid cells built so far over a document's tables, and whether a cell claimed more columns than a table has."""

    def __init__(self) -> None:
        self.cells = 0
        self.capped = False

    def span(self, tcpr) -> int:
        gs = tcpr.find(_W + "gridSpan") if tcpr is not None else None
        if gs is None:
            return 1
        try:
            span = max(1, int(gs.get(_W + "val", "1")))
        except ValueError:
            return 1
        if span > limits.MAX_GRID_SPAN:
            self.capped = True
            return limits.MAX_GRID_SPAN
        return span

    def count(self, n: int) -> None:
        self.cells += n
        if self.cells > limits.MAX_TABLE_CELLS:
            raise RejectedInput(f".docx whose tables hold more than {limits.MAX_TABLE_CELLS:,} cells "
                                "(no disclosure is that large)")


def _table_rows(tbl, grid: _Grid | None = None) -> list[list[str]]:
    """Cells per row, grid-aligned: a cell spanning n columns repeats its text n times; vMerge continues are ''."""
    grid = grid or _Grid()
    rows = []
    for tr in tbl.iterchildren(_W + "tr"):
        row: list[str] = []
        for tc in tr.iterchildren(_W + "tc"):
            tcpr = tc.find(_W + "tcPr")
            span = grid.span(tcpr)
            grid.count(span)
            vm = tcpr.find(_W + "vMerge") if tcpr is not None else None
            merged_below = vm is not None and vm.get(_W + "val") in (None, "continue")
            text = "" if merged_below else normalise_cell(_cell_text(tc))
            row.extend([text] * span)
        rows.append(row)
    return rows


def _body_blocks(body):
    """Yield ("p", text) and ("tbl", element) in body order, descending into content controls (w:sdt)."""
    for el in body.iterchildren():
        if el.tag == _W + "p":
            yield "p", _paragraph_text(el)
        elif el.tag == _W + "tbl":
            yield "tbl", el
        elif el.tag == _W + "sdt":
            content = el.find(_W + "sdtContent")
            if content is not None:
                yield from _body_blocks(content)
        elif el.tag in (_W + "ins", _W + "customXml", _W + "smartTag"):
            yield from _body_blocks(el)


def render_row(cells: list[str]) -> str:
    """A table row as one line: non-empty cells joined by tabs, a merged cell's repeated text shown once."""
    out: list[str] = []
    for c in cells:
        if c and (not out or out[-1] != c):
            out.append(c)
    return "\t".join(out)


def check_members(zf: zipfile.ZipFile) -> None:
    """Refuse a .docx with a member that would inflate past the limits, from the sizes its zip directory records."""
    members = zf.infolist()
    if len(members) > limits.MAX_DOCX_MEMBERS:
        raise RejectedInput(f".docx of {len(members):,} parts: more than the {limits.MAX_DOCX_MEMBERS:,} read "
                            "(no disclosure has that many)")
    for m in members:
        if m.file_size > limits.MAX_DOCX_MEMBER_BYTES:
            raise RejectedInput(limits.too_large(f".docx part {m.filename!r} (inflated)", m.file_size,
                                                 limits.MAX_DOCX_MEMBER_BYTES))
        if m.file_size > limits.DOCX_RATIO_FROM_BYTES and m.file_size > limits.MAX_DOCX_RATIO * max(1, m.compress_size):
            raise RejectedInput(f".docx part {m.filename!r} inflates {m.file_size / max(1, m.compress_size):,.0f}-fold "
                                f"to {m.file_size / limits.MiB:,.1f} MB: a zip bomb, not read")


def _inflate(zf: zipfile.ZipFile, name: str) -> bytes:
    """One member's bytes, inflated a megabyte at a time and never past the size the directory records: reading a
    member whole (as python-docx did) inflates all its compressed bytes at once, so a member that records a small
    size could still take gigabytes; read this way it fails its CRC check instead."""
    chunks = []
    with zf.open(name) as f:
        while chunk := f.read(limits.MiB):
            chunks.append(chunk)
    return b"".join(chunks)


_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_DOCUMENT = "/officeDocument"
# python-docx's parser settings, so the tree (and the text read from it) is the one python-docx gave
_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False)


def _main_part(zf: zipfile.ZipFile) -> str:
    """The document part the package's relationships name (word/document.xml in every writer we know)."""
    rels = etree.fromstring(_inflate(zf, "_rels/.rels"), _PARSER)
    for rel in rels.iter(_REL_NS + "Relationship"):
        if (rel.get("Type") or "").endswith(_OFFICE_DOCUMENT) and rel.get("TargetMode") != "External":
            return posixpath.normpath((rel.get("Target") or "").lstrip("/"))
    raise KeyError("no main document part")


def _body(data: bytes):
    """The w:body of the main document part, parsed from members inflated under the limits."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        check_members(zf)
        root = etree.fromstring(_inflate(zf, _main_part(zf)), _PARSER)
    body = root.find(_W + "body")
    if body is None:
        raise KeyError("no document body")
    return body


def read_docx(data: bytes, file: str) -> Document:
    try:
        body = _body(data)
    except RejectedInput:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise RejectedInput(f"corrupt or truncated .docx: {str(exc).strip()[:120] or type(exc).__name__}") from None
    except Exception as exc:  # noqa: BLE001 - zlib/lxml raise many types for broken parts; all mean "corrupt"
        raise RejectedInput(f"corrupt or truncated .docx: {type(exc).__name__}") from None
    lines: list[Line] = []
    tables: list[dict] = []
    grid = _Grid()
    for kind, payload in _body_blocks(body):
        if kind == "p":
            lines.extend(prose_lines(payload))
            continue
        rows = _table_rows(payload, grid)
        t_index = len(tables)
        tables.append({"cells": rows, "page": None, "start": None, "end": None})
        for row in rows:
            text = render_row(row)
            if text:
                lines.append(Line(text, 0, fixed=True, tag=t_index))
    text, out = layout(lines)
    _set_table_offsets(tables, out)
    if not text.strip():
        raise RejectedInput("empty file")
    doc = Document(file=file, format="docx", text=text, tables=tables)
    if grid.capped:
        doc.warnings.append(f"table cells claiming to span more than {limits.MAX_GRID_SPAN} columns were read as "
                            f"spanning {limits.MAX_GRID_SPAN} (a Word table has at most that many)")
    return doc


def _set_table_offsets(tables: list[dict], out: list[Line]) -> None:
    for ln in out:
        if ln.tag is None:
            continue
        t_index, start, end = ln.tag
        t = tables[t_index]
        t["start"] = start if t["start"] is None else t["start"]
        t["end"] = end
