"""HTML bytes -> article text without scripts and navigation, data tables as tab rows -> a normalised Document."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

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
_CONTENT_TAGS = ["p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "article"]
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
                    "cp936": "gb18030", "utf8": "utf-8"}


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


def _is_nav(el: Tag) -> bool:
    attrs = " ".join([el.get("id") or ""] + list(el.get("class") or []))
    if attrs and _NAV_ATTR.search(attrs):
        return True
    if el.get("role") in ("navigation", "banner", "contentinfo", "search"):
        return True
    if el.name in ("ul", "ol", "dl") or (el.name in ("div", "td") and el.find(_CONTENT_TAGS) is None):
        # a list or plain box that is mostly links (menus, related-site lists) is navigation; boxes holding
        # paragraphs, headings or tables are content however many links sit next to it
        links = el.find_all("a")
        if len(links) >= 5:
            link_chars = sum(len(a.get_text(strip=True)) for a in links)
            all_chars = len(el.get_text(strip=True))
            if all_chars and link_chars / all_chars > 0.8:
                return True
    return False


class _Walker:
    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.tables: list[dict] = []
        self.buf: list[str] = []

    def flush(self) -> None:
        if self.buf:
            self.lines.extend(prose_lines("".join(self.buf)))
            self.buf = []

    def walk(self, node) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                # HTML whitespace (incl. tabs in prose) collapses to one space
                self.buf.append(re.sub(r"[ \t\r\n\f]+", " ", str(child)))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name in _DROP or _is_nav(child):
                continue
            if name == "br":
                self.buf.append("\n")
                continue
            if name == "table" and child.find("table") is None:
                self.flush()
                self.table(child)
                continue
            block = name in _BLOCK
            if block:
                self.buf.append("\n")
            elif name in ("td", "th"):
                self.buf.append(" ")
            self.walk(child)
            if block:
                self.buf.append("\n")

    def table(self, tbl: Tag) -> None:
        rows: list[list[str]] = []
        for tr in tbl.find_all("tr"):
            row: list[str] = []
            for cell in tr.find_all(["td", "th"], recursive=False):
                try:
                    span = max(1, min(50, int(cell.get("colspan", 1))))
                except ValueError:
                    span = 1
                text = normalise_cell(cell.get_text("\n"))
                row.extend([text] * span)
            rows.append(row)
        t_index = len(self.tables)
        self.tables.append({"cells": rows, "page": None, "start": None, "end": None})
        for row in rows:
            text = render_row(row)
            if text:
                self.lines.append(Line(text, 0, fixed=True, tag=t_index))


def read_html(data: bytes, file: str) -> Document:
    raw, encoding = decode_html(data)
    try:
        soup = BeautifulSoup(raw, "lxml")
    except Exception as exc:  # noqa: BLE001 - a parser failure on a page means it is not readable
        raise RejectedInput(f"unreadable HTML: {type(exc).__name__}") from None
    root = soup.body or soup
    walker = _Walker()
    walker.walk(root)
    walker.flush()
    text, out = layout(walker.lines)
    _set_table_offsets(walker.tables, out)
    if not text.strip():
        raise RejectedInput("empty file")
    return Document(file=file, format="html", text=text, encoding=encoding, tables=walker.tables)
