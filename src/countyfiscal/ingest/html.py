"""HTML bytes -> article text without scripts and navigation, data tables as tab rows -> a normalised Document."""

from __future__ import annotations

import re

from lxml import etree

from countyfiscal.ingest import limits
from countyfiscal.ingest.docx import _set_table_offsets, render_row
from countyfiscal.ingest.normalise import Line, layout, normalise_cell, prose_lines
from countyfiscal.ingest.txt import decode_text
from countyfiscal.model import Document, RejectedInput

_DROP = {"script", "style", "noscript", "nav", "header", "footer", "aside", "iframe", "form", "select", "button",
         "template", "svg", "canvas", "object", "embed", "head", "input", "textarea", "map"}
_BLOCK = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt",
          "dd", "blockquote", "pre", "tr", "table", "center", "address", "figure", "figcaption", "hr", "caption",
          "body", "html", "fieldset", "details", "summary", "tbody", "thead", "tfoot"}
# class/id words of site chrome; "header" is not among them: article headers carry the title
_NAV_ATTR = re.compile(r"(?:^|[-_\s])(?:nav|navbar|menu|breadcrumbs?|crumbs?|footer|sidebar|share|toolbar|"
                       r"copyright|topbar|bottom|friendlink|links?)(?:$|[-_\s\d])", re.IGNORECASE)
_CONTENT_TAGS = frozenset(["p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "article"])
# Text inside these is code or annotation, not the page's words (what a browser's innerText leaves out too).
_NOT_TEXT = frozenset(["script", "style", "template", "rt", "rp"])
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
                    "cp936": "gb18030", "utf8": "utf-8"}
_WS = re.compile(r"[ \t\r\n\f]+")


def decode_html(data: bytes) -> tuple[str, str]:
    """Bytes -> str using BOM, then the page's declared charset (if it decodes cleanly), then text detection."""
    if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        m = _META_CHARSET.search(data[:8192])
        if m:
            declared = m.group(1).decode("ascii", "ignore").lower()
            enc = _CHARSET_ALIASES.get(declared, declared)
            try:
                return data.decode(enc), enc
            except (UnicodeDecodeError, LookupError):
                pass  # pages often lie about their charset; fall through to detection
    return decode_text(data)


class _Subtree:
    """What the navigation test asks of an element's subtree, summed bottom-up in one pass over the page (asking
    each element in turn costs the page's size times its depth: minutes on a large page)."""

    __slots__ = ("chars", "link_chars", "links", "content", "table")

    def __init__(self) -> None:
        self.chars = 0  # characters of text, each string stripped of surrounding blanks
        self.link_chars = 0  # ...of that, inside links (a link inside a link counted again, as find_all would)
        self.links = 0
        self.content = False  # a paragraph, heading, table or article below it
        self.table = False  # a table below it


def _stripped_len(s: str | None) -> int:
    return len(s.strip()) if s else 0


def _subtrees(root) -> dict:
    """_Subtree of every element the walker may test: lists, boxes, cells and tables."""
    out: dict = {}
    wanted = {"ul", "ol", "dl", "div", "td", "table"}

    def visit(el, hidden: bool) -> _Subtree:
        acc = _Subtree()
        hidden = hidden or el.tag in _NOT_TEXT
        if not hidden:
            acc.chars += _stripped_len(el.text)
        for child in el:
            if isinstance(child.tag, str):
                sub = visit(child, hidden)
                acc.chars += sub.chars
                acc.link_chars += sub.link_chars + (sub.chars if child.tag == "a" else 0)
                acc.links += sub.links + (child.tag == "a")
                acc.content = acc.content or sub.content or child.tag in _CONTENT_TAGS
                acc.table = acc.table or sub.table or child.tag == "table"
            if not hidden:
                acc.chars += _stripped_len(child.tail)
        if el.tag in wanted:
            out[el] = acc  # keeps the element's proxy alive, so the walker meets the same object again
        return acc

    visit(root, False)
    return out


def _is_nav(el, sub: _Subtree | None) -> bool:
    attrs = " ".join([el.get("id") or ""] + (el.get("class") or "").split())
    if attrs and _NAV_ATTR.search(attrs):
        return True
    if el.get("role") in ("navigation", "banner", "contentinfo", "search"):
        return True
    if sub is not None and (el.tag in ("ul", "ol", "dl") or (el.tag in ("div", "td") and not sub.content)):
        # a list or plain box that is mostly links (menus, related-site lists) is navigation; boxes holding
        # paragraphs, headings or tables are content however many links sit next to it
        if sub.links >= 5 and sub.chars and sub.link_chars / sub.chars > 0.8:
            return True
    return False


def _strings(el, own: bool = True):
    """The text pieces of an element in document order (its own tail excluded), leaving out script and the like."""
    if el.tag in _NOT_TEXT:
        return
    if own and el.text:
        yield el.text
    for child in el:
        if isinstance(child.tag, str):
            yield from _strings(child)
        if child.tail:
            yield child.tail


class _Walker:
    def __init__(self, subtrees: dict) -> None:
        self.lines: list[Line] = []
        self.tables: list[dict] = []
        self.buf: list[str] = []
        self.subtrees = subtrees
        self.cells = 0

    def flush(self) -> None:
        if self.buf:
            self.lines.extend(prose_lines("".join(self.buf)))
            self.buf = []

    def text(self, s: str | None) -> None:
        if s:
            # HTML whitespace (incl. tabs in prose) collapses to one space
            self.buf.append(_WS.sub(" ", s))

    def walk(self, node) -> None:
        self.text(node.text)
        for child in node:
            if isinstance(child.tag, str):  # comments and processing instructions are not text; their tails are
                self.element(child)
            self.text(child.tail)

    def element(self, child) -> None:
        name = child.tag
        if name in _DROP or _is_nav(child, self.subtrees.get(child)):
            return
        if name == "br":
            self.buf.append("\n")
            return
        if name == "table" and not self.subtrees[child].table:
            self.flush()
            self.table(child)
            return
        block = name in _BLOCK
        if block:
            self.buf.append("\n")
        elif name in ("td", "th"):
            self.buf.append(" ")
        self.walk(child)
        if block:
            self.buf.append("\n")

    def table(self, tbl) -> None:
        rows: list[list[str]] = []
        for tr in tbl.iter("tr"):
            row: list[str] = []
            for cell in tr:
                if cell.tag not in ("td", "th"):
                    continue
                try:
                    span = max(1, min(limits.MAX_HTML_SPAN, int(cell.get("colspan", 1))))
                except ValueError:
                    span = 1
                self.cells += span
                if self.cells > limits.MAX_TABLE_CELLS:
                    raise RejectedInput(f"HTML page whose tables hold more than {limits.MAX_TABLE_CELLS:,} cells "
                                        "(no disclosure is that large)")
                text = normalise_cell("\n".join(_strings(cell)))
                row.extend([text] * span)
            rows.append(row)
        t_index = len(self.tables)
        self.tables.append({"cells": rows, "page": None, "start": None, "end": None})
        for row in rows:
            text = render_row(row)
            if text:
                self.lines.append(Line(text, 0, fixed=True, tag=t_index))


def parse_html(raw: str):
    """The page's element tree (lxml, libxml2's HTML parser), or RejectedInput when the parser stopped at one of
    its limits (nesting deeper than 255, a text run over 10 MB): what it built then is only part of the page."""
    parser = etree.HTMLParser(recover=True, encoding="utf-8", remove_comments=False)
    try:
        root = etree.fromstring(raw.encode("utf-8", "surrogatepass"), parser)
    except (etree.Error, ValueError) as exc:  # a parser failure on a page means it is not readable
        raise RejectedInput(f"unreadable HTML: {type(exc).__name__}") from None
    for err in parser.error_log:
        if err.type_name == "ERR_RESOURCE_LIMIT":
            if "depth" in err.message:
                raise RejectedInput(f"HTML page nested more than {limits.MAX_HTML_DEPTH} elements deep "
                                    "(no disclosure is; not read)")
            raise RejectedInput("HTML page past the parser's limits (a text run over 10 MB; not read)")
    return root


def read_html(data: bytes, file: str) -> Document:
    if len(data) > limits.MAX_HTML_BYTES:
        raise RejectedInput(limits.too_large(".html page", len(data), limits.MAX_HTML_BYTES))
    raw, encoding = decode_html(data)
    root = parse_html(raw)
    if root is None:
        raise RejectedInput("empty file")
    body = root.find("body")
    top = body if body is not None else root
    walker = _Walker(_subtrees(top))
    if body is not None:
        walker.walk(body)
    else:
        walker.element(root) if isinstance(root.tag, str) else None
    walker.flush()
    text, out = layout(walker.lines)
    _set_table_offsets(walker.tables, out)
    if not text.strip():
        raise RejectedInput("empty file")
    return Document(file=file, format="html", text=text, encoding=encoding, tables=walker.tables)
