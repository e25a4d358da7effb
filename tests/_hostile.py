"""Builders of hostile inputs (issue #14 item 3): small files that once cost minutes or gigabytes to read.

Each builder writes one file into ``folder`` and returns its path; all are deterministic and take well under a
second to build (the zip bomb is compressed once per chunk, not per gigabyte). Sizes are those of the issue's
reproductions. Used by tests/test_hostile.py (each reader on its own) and by the pipeline's one-run test of a
hostile folder; see /work/coord/notes/hostile.md.

    page_tree_bomb_pdf   603 KB PDF whose page tree lists one page 100,000 times
    gridspan_bomb_docx   42 KB .docx whose table cells each span 1,000,000 grid columns
    zip_bomb_docx        1.1 MB .docx whose document.xml inflates to 1 GB (blank space between paragraphs: valid XML)
    many_members_docx    .docx of 10,001 zip members (a directory of millions would cost gigabytes to list)
    deep_html            HTML page nested 100,000 elements deep
    huge_html            50 MB HTML page (a long article with a data table), under the readers' old quadratic paths
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

# Lines of prose of one width that stop mid-sentence: the line joiner glues every one of them, on every page, into
# one paragraph (the page's first and last lines recur on every page and are dropped as running headers).
PROSE = [f"The department budget line {i:02d} continues the statement of the year and its items without end"
         for i in range(40)]


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF file of the given objects (numbered from 1; object 1 is the catalog) with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def page_tree_bomb_pdf(folder: Path, name: str = "page_tree_bomb.pdf", copies: int = 100_000,
                       lines: list[str] | None = None) -> Path:
    """A PDF whose page tree lists ONE page object ``copies`` times (603 KB at 100,000): every reader sees
    ``copies`` pages of the same hard-wrapped prose (Helvetica, so the text layer is plain ASCII)."""
    lines = PROSE if lines is None else lines
    content = b"BT /F1 9 Tf 40 800 Td 11 TL " + b"".join(
        b"(" + s.encode("ascii") + b") Tj T* " for s in lines) + b"ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Count %d /Kids [" % copies + b"3 0 R " * copies + b"] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    path = Path(folder) / name
    path.write_bytes(_pdf(objects))
    return path


# ------------------------------------------------------------------------------------------------------------ .docx

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
).encode()
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
).encode()
_DOC_HEAD = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W_NS}"><w:body>'.encode()
_DOC_TAIL = b"</w:body></w:document>"
# A budget's opening and its totals: what a reader would find if it survived the rest of the file.
BUDGET_PARAGRAPHS = ["某某县信访局2024年部门预算", "收入预算合计 1,234.56 万元，支出预算合计 1,234.56 万元。"]


def _paragraphs(texts: list[str]) -> bytes:
    return "".join(f"<w:p><w:r><w:t>{t}</w:t></w:r></w:p>" for t in texts).encode()


class _Member:
    """One zip member: name, raw-deflated bytes (or pieces of them), CRC-32 and both sizes."""

    def __init__(self, name: str, pieces: list[bytes], crc: int, size: int) -> None:
        self.name, self.pieces, self.crc, self.size = name.encode(), pieces, crc, size
        self.csize = sum(len(p) for p in pieces)


def _deflated(name: str, data: bytes) -> _Member:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return _Member(name, [c.compress(data) + c.flush()], zlib.crc32(data), len(data))


def _write_zip(path: Path, members: list[_Member]) -> None:
    """A zip archive written by hand: zipfile cannot store data compressed elsewhere (the bomb's repeated blocks)."""
    with open(path, "wb") as f:
        central = bytearray()
        for m in members:
            offset = f.tell()
            f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, m.crc, m.csize, m.size,
                                len(m.name), 0) + m.name)
            for piece in m.pieces:
                f.write(piece)
            central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, m.crc, m.csize, m.size,
                                   len(m.name), 0, 0, 0, 0, 0, offset) + m.name
        start = f.tell()
        f.write(central)
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), start, 0))


def _docx(path: Path, document: _Member) -> Path:
    _write_zip(path, [_deflated("[Content_Types].xml", _CONTENT_TYPES), _deflated("_rels/.rels", _RELS), document])
    return path


def docx_of(folder: Path, name: str, body_xml: bytes) -> Path:
    """A minimal .docx (content types, package relationships, document.xml) whose body is ``body_xml``."""
    return _docx(Path(folder) / name, _deflated("word/document.xml", _DOC_HEAD + body_xml + _DOC_TAIL))


def gridspan_bomb_docx(folder: Path, name: str = "gridspan_bomb.docx", span: int = 1_000_000,
                       rows: int = 220, cells: int = 40) -> Path:
    """A 42 KB .docx: the budget's paragraphs, then a table of ``rows`` x ``cells`` cells each claiming
    ``gridSpan`` = ``span`` grid columns (Word tables have at most 63); a reader that repeats each cell's text once
    per spanned column builds rows x cells x span entries (8.8 billion here)."""
    cell = '<w:tc><w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr><w:p><w:r><w:t>{value:,.2f}</w:t></w:r></w:p></w:tc>'
    table = "<w:tbl>" + "".join(
        "<w:tr>" + "".join(cell.format(span=span, value=(r * cells + c) * 7.31) for c in range(cells)) + "</w:tr>"
        for r in range(rows)) + "</w:tbl>"
    return docx_of(folder, name, _paragraphs(BUDGET_PARAGRAPHS) + table.encode())


def zip_bomb_docx(folder: Path, name: str = "zip_bomb.docx", inflated_mb: int = 1024,
                  recorded_size: int | None = None) -> Path:
    """A 1.1 MB .docx whose word/document.xml inflates to ``inflated_mb`` MB: the budget's paragraphs, then blank
    space between elements (valid XML, so a reader that inflates it reads a clean document). The member's sizes
    in the zip are honest, so a reader can refuse it from them before inflating; with ``recorded_size`` the zip
    records that (smaller) inflated size instead: a lie that only inflating would uncover."""
    chunk = b" " * (1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = _DOC_HEAD + _paragraphs(BUDGET_PARAGRAPHS)
    pieces = [c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)]
    # After a full flush the compressor starts afresh, so every 1 MB chunk of blanks deflates to the same bytes:
    # compress it once, repeat it.
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    tail = c.compress(_DOC_TAIL) + c.flush()
    crc = zlib.crc32(head)
    for _ in range(inflated_mb):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(_DOC_TAIL, crc)
    size = len(head) + inflated_mb * len(chunk) + len(_DOC_TAIL)
    member = _Member("word/document.xml", pieces + [block] * inflated_mb + [tail], crc, recorded_size or size)
    return _docx(Path(folder) / name, member)


def many_members_docx(folder: Path, name: str = "many_members.docx", members: int = 10_001) -> Path:
    """A .docx (a real document.xml) with ``members`` empty parts besides: a zip directory of that many entries."""
    empty = _deflated("", b"").pieces  # deflated once: a compressor costs more to set up than to run here
    parts = [_Member(f"customXml/item{i}.xml", empty, 0, 0) for i in range(members - 3)]
    path = Path(folder) / name
    document = _deflated("word/document.xml", _DOC_HEAD + _paragraphs(BUDGET_PARAGRAPHS) + _DOC_TAIL)
    _write_zip(path, [_deflated("[Content_Types].xml", _CONTENT_TYPES), _deflated("_rels/.rels", _RELS), document]
               + parts)
    return path


# ------------------------------------------------------------------------------------------------------------- .html

_HTML_HEAD = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>某某县信访局2024年部门预算</title></head><body>'


def deep_html(folder: Path, name: str = "deep.html", levels: int = 100_000) -> Path:
    """An HTML page of the budget's opening, then ``levels`` nested <div>s (1.1 MB at 100,000)."""
    body = "".join(f"<p>{t}</p>" for t in BUDGET_PARAGRAPHS) + "<div>" * levels + "完" + "</div>" * levels
    path = Path(folder) / name
    path.write_text(_HTML_HEAD + body + "</body></html>", encoding="utf-8")
    return path


def huge_html(folder: Path, name: str = "huge.html", megabytes: float = 50) -> Path:
    """An HTML page of about ``megabytes`` MB: a long article of paragraphs in nested boxes, and a data table
    with a row per budget item, repeated until the size is reached."""
    paragraph = ("<p>本部门2024年收入预算合计1,234.56万元，其中一般公共预算拨款收入1,200.00万元，比上年增加12.34万元，"
                 "主要原因是人员增加和<a href='/x'>信访事项</a>办理经费增加。</p>")
    rows = "".join(f"<tr><td>{2010301 + i}</td><td>行政运行</td><td>{i}.00</td><td>{i}.50</td></tr>"
                   for i in range(20))
    unit = f"<div class='content'><div>{paragraph * 20}</div><table>{rows}</table></div>".encode()
    head, tail = _HTML_HEAD.encode() + "".join(f"<p>{t}</p>" for t in BUDGET_PARAGRAPHS).encode(), b"</body></html>"
    n = max(1, int((megabytes * (1 << 20) - len(head) - len(tail)) // len(unit)))
    path = Path(folder) / name
    path.write_bytes(head + unit * n + tail)
    return path


BUILDERS = {
    "page_tree_bomb.pdf": page_tree_bomb_pdf,
    "gridspan_bomb.docx": gridspan_bomb_docx,
    "zip_bomb.docx": zip_bomb_docx,
    "many_members.docx": many_members_docx,
    "deep.html": deep_html,
    "huge.html": huge_html,
}


def build_all(folder: Path) -> dict[str, Path]:
    """Every hostile input of this module in ``folder`` (about 55 MB on disk, 53 of them the 50 MB page)."""
    return {name: build(folder, name) for name, build in BUILDERS.items()}
