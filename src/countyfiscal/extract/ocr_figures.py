"""Figures read from OCR'd pages: say so (source, confidence), and keep an OCR'd table's figures only where the
table's own identities hold (else a flag on Document.flags says which identity failed)."""

from __future__ import annotations

from decimal import Decimal

from countyfiscal.amounts import allowance
from countyfiscal.extract.table_rules import classify_title
from countyfiscal.model import Document

# A figure whose characters the recogniser was this unsure of on average is set aside (with a flag), not published.
MIN_CONFIDENCE = 0.9
_TOTAL_KINDS = {"expenditure", "general_function"}  # tables whose class rows add up to their expenditure total


def ocr_figures(doc: Document, rows: list[dict]) -> list[dict]:
    """``rows`` with ``source`` ``ocr_text``/``ocr_table`` and ``confidence`` on figures from OCR'd pages; figures of
    an OCR'd table whose identities fail, and figures read with low confidence, are left out and flagged on
    ``doc.flags``. A document read from its text layer comes back unchanged."""
    if not doc.ocr:
        return rows
    kept = []
    for r in rows:
        page = r.get("page")
        if page not in doc.ocr:
            kept.append(r)
            continue
        source = str(r.get("source") or "text")
        # the table reader may have said so already (pages it read from entries marked "ocr")
        r = dict(r, source=source if source.startswith("ocr_") else "ocr_" + source, confidence=_confidence(doc, r))
        conf = r["confidence"]
        if conf == "" or conf < MIN_CONFIDENCE:
            doc.flags.append(_flag(doc, r, "ocr_confidence", r["measure"], "", "",
                                   f"a figure read by OCR on page {page} with a mean character score of "
                                   f"{_pct(conf)} (below {MIN_CONFIDENCE:.0%}) is left out: check the page by eye"))
            continue
        kept.append(r)
    return _table_identities(doc, kept)


def _pct(conf) -> str:
    return "unknown" if conf == "" else f"{conf:.1%}"


def _confidence(doc: Document, row: dict) -> float | str:
    """Mean recognition score of the characters of the figure's quote; "" where they cannot be found."""
    page = row["page"]
    scores = doc.ocr[page]
    base = doc.page_starts[page - 1] if doc.page_starts else 0
    start, end = row.get("start"), row.get("end")
    if isinstance(start, int) and isinstance(end, int):
        spans = [(start - base, end - base)]
    else:
        # a table cell not located in the text: its value as printed, wherever the page holds it (the least sure)
        quote = str(row.get("quote") or "")
        hi = doc.page_starts[page] if page < len(doc.page_starts) else len(doc.text)
        found, spans = doc.text.find(quote, base, hi) if quote else -1, []
        while quote and found >= 0:
            spans.append((found - base, found - base + len(quote)))
            found = doc.text.find(quote, found + 1, hi)
    means = []
    for a, b in spans:
        vals = [s for s in scores[max(a, 0):max(b, 0)] if s is not None]
        if vals:
            means.append(sum(vals) / len(vals))
    return round(min(means), 4) if means else ""


def _flag(doc: Document, row: dict, check: str, measure: str, reported: str, expected: str, message: str,
          quotes: str | None = None) -> dict:
    return {"file": doc.file, "check": check, "status": "mismatch", "measure": measure, "code": row.get("code", ""),
            "fiscal_year": row.get("fiscal_year"), "basis": row.get("basis", ""), "reported": reported,
            "expected": expected, "message": message, "quotes": row.get("quote", "") if quotes is None else quotes}


def _amount(r: dict) -> tuple[Decimal, Decimal]:
    value = Decimal(str(r["value"]))
    try:
        allow = allowance(str(r.get("scale") or "元"), int(r.get("decimals") or 0))
    except (KeyError, ValueError, TypeError):
        allow = Decimal(0)
    return value, allow


def _table_identities(doc: Document, rows: list[dict]) -> list[dict]:
    """Drop the OCR'd figures of every table (title, year, basis) in which an identity among its figures fails:
    a total read twice with two values, 基本 + 项目 ≠ 合计, 人员 + 公用 ≠ 基本, a class's subclasses ≠ the class, or
    (in a 支出 table) the classes ≠ the total."""
    groups: dict[tuple, list[int]] = {}
    for i, r in enumerate(rows):
        if str(r.get("source", "")).endswith("table"):
            groups.setdefault((r.get("table"), r.get("fiscal_year"), r.get("basis")), []).append(i)
    drop: set[int] = set()
    for (title, _year, _basis), idx in groups.items():
        members = [rows[i] for i in idx]
        if not any(r["source"] == "ocr_table" for r in members):
            continue
        failure = _failed_identity(members, classify_title(str(title or "")))
        if failure is None:
            continue
        what, reported, expected, involved = failure
        ocr_idx = [i for i in idx if rows[i]["source"] == "ocr_table"]
        drop.update(ocr_idx)
        pages = sorted({rows[i]["page"] for i in ocr_idx})
        first = rows[ocr_idx[0]]
        doc.flags.append(_flag(
            doc, first, "ocr_table", what.split(" ")[0], reported, expected,
            f"the OCR'd table 《{title}》 (page {', '.join(map(str, pages))}) fails its own identity {what}: "
            f"{reported} read against {expected} expected, so none of its {len(ocr_idx)} figures is kept",
            quotes="|".join(str(r.get("quote", "")) for r in involved)))
    return [r for i, r in enumerate(rows) if i not in drop]


def _failed_identity(members: list[dict], kind: str | None) -> tuple[str, str, str, list[dict]] | None:
    """The first identity the figures of one table break: (what, reported, expected, figures involved), or None."""
    by_key: dict[tuple[str, str], list[dict]] = {}
    for r in members:
        by_key.setdefault((r["measure"], str(r.get("code") or "")), []).append(r)
    one: dict[tuple[str, str], dict] = {}
    for key, rs in by_key.items():
        values = {_amount(r)[0] for r in rs}
        if len(values) > 1:
            return (f"{key[0]} {key[1]}".strip() + " read once", " / ".join(sorted(map(str, values))),
                    "one value", rs)
        one[key] = rs[0]
    checks: list[tuple[str, dict, list[dict]]] = []

    def add(what: str, whole: tuple[str, str], parts: list[tuple[str, str]]) -> None:
        if whole in one and parts and all(p in one for p in parts):
            checks.append((what, one[whole], [one[p] for p in parts]))

    add("expenditure_total = basic + project", ("expenditure_total", ""),
        [("basic_expenditure", ""), ("project_expenditure", "")])
    add("basic_expenditure = personnel + public", ("basic_expenditure", ""),
        [("personnel_expenditure", ""), ("public_expenditure", "")])
    for measure in ("functional_expenditure", "economic_expenditure"):
        codes = sorted(c for m, c in one if m == measure and c)
        for parent in codes:
            kids = [c for c in codes if len(c) == len(parent) + 2 and c.startswith(parent)]
            if kids:
                add(f"{measure} {parent} = its subclasses", (measure, parent), [(measure, c) for c in kids])
        classes = [(measure, c) for c in codes if len(c) == 3]
        if classes and measure == "functional_expenditure" and kind in _TOTAL_KINDS:
            add("expenditure_total = its classes", ("expenditure_total", ""), classes)
        if classes and measure == "economic_expenditure" and kind == "basic_economic":
            add("basic_expenditure = its classes", ("basic_expenditure", ""), classes)
    for what, whole, parts in checks:
        w, w_allow = _amount(whole)
        amounts = [_amount(p) for p in parts]
        total = sum((a for a, _ in amounts), Decimal(0))
        slack = w_allow + sum((b for _, b in amounts), Decimal(0))
        if abs(w - total) > slack:
            return what, _fmt(w), _fmt(total), [whole, *parts]
    return None


def _fmt(value: Decimal) -> str:
    return f"{value:,.2f} yuan"
