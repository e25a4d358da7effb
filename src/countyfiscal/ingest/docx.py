""".docx bytes -> paragraphs and tables in body order -> a normalised Document with tables rendered as tab rows."""

from __future__ import annotations

import io
import zipfile

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


def _table_rows(tbl) -> list[list[str]]:
    """Cells per row, grid-aligned: a cell spanning n columns repeats its text n times; vMerge continues are ''."""
    rows = []
    for tr in tbl.iterchildren(_W + "tr"):
        row: list[str] = []
        for tc in tr.iterchildren(_W + "tc"):
            span = 1
            tcpr = tc.find(_W + "tcPr")
            merged_below = False
            if tcpr is not None:
                gs = tcpr.find(_W + "gridSpan")
                if gs is not None:
                    try:
                        span = max(1, int(gs.get(_W + "val", "1")))
                    except ValueError:
                        span = 1
                vm = tcpr.find(_W + "vMerge")
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


def read_docx(data: bytes, file: str) -> Document:
    try:
        import docx  # python-docx

        document = docx.Document(io.BytesIO(data))
        body = document.element.body
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise RejectedInput(f"corrupt or truncated .docx: {str(exc).strip()[:120] or type(exc).__name__}") from None
    except Exception as exc:  # noqa: BLE001 - python-docx/lxml raise many types for broken XML; all mean "corrupt"
        raise RejectedInput(f"corrupt or truncated .docx: {type(exc).__name__}") from None
    lines: list[Line] = []
    tables: list[dict] = []
    for kind, payload in _body_blocks(body):
        if kind == "p":
            lines.extend(prose_lines(payload))
            continue
        rows = _table_rows(payload)
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
    return Document(file=file, format="docx", text=text, tables=tables)


def _set_table_offsets(tables: list[dict], out: list[Line]) -> None:
    for ln in out:
        if ln.tag is None:
            continue
        t_index, start, end = ln.tag
        t = tables[t_index]
        t["start"] = start if t["start"] is None else t["start"]
        t["end"] = end
