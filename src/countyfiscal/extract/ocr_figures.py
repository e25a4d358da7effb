"""Figures read from OCR'd pages: say so (source, confidence), and keep an OCR'd table's figures only where the
table's own identities hold (else a flag on Document.flags says which identity failed)."""

from __future__ import annotations

from decimal import Decimal

from countyfiscal.amounts import allowance
from countyfiscal.extract.table_rules import classify_title
from countyfiscal.model import Document

# A figure whose characters the recogniser was this unsure of on average, or with one digit read less surely than
# MIN_DIGIT_SCORE, is set aside (with a flag), not published: one doubtful digit makes a wrong number.
MIN_CONFIDENCE = 0.9
MIN_DIGIT_SCORE = 0.8
_TOTAL_KINDS = {"expenditure", "general_function"}  # tables whose class rows add up to their expenditure total


def ocr_figures(doc: Document, rows: list[dict]) -> list[dict]:
    """``rows`` with ``source`` ``ocr_text``/``ocr_table`` and ``confidence`` on figures from OCR'd pages; figures of
    an OCR'd table whose identities fail, and figures read with low confidence, are left out and flagged on
    ``doc.flags``. A document read from its text layer comes back unchanged."""
    if not doc.ocr:
        return rows
    marked: list[dict] = []
    doubtful: dict[int, float] = {}  # index in marked -> the score of its weakest digit
    for r in rows:
        page = r.get("page")
        if page not in doc.ocr:
            marked.append(r)
            continue
        source = str(r.get("source") or "text")
        # the table reader may have said so already (pages it read from entries marked "ocr")
        conf, weakest = _confidence(doc, r)
        r = dict(r, source=source if source.startswith("ocr_") else "ocr_" + source, confidence=conf)
        if conf == "" or conf < MIN_CONFIDENCE:
            _set_aside(doc, r, f"a mean character score of {_pct(conf)} (below {MIN_CONFIDENCE:.0%})")
            continue
        if weakest < MIN_DIGIT_SCORE:
            doubtful[len(marked)] = weakest
        marked.append(r)
    dropped, verified = _table_identities(doc, marked)
    # the digits of a doubtful figure are vouched for by a table identity that holds with it, or by a sure reading
    # of the same figure elsewhere in the document (a table restating another's row, the narrative)
    sure: dict[tuple, set[Decimal]] = {}
    for i, r in enumerate(marked):
        if i not in dropped and (i not in doubtful or i in verified):
            sure.setdefault(_fact(r), set()).add(_amount(r)[0])
    out = []
    for i, r in enumerate(marked):
        if i in dropped:
            continue
        if i in doubtful and i not in verified and _amount(r)[0] not in sure.get(_fact(r), ()):
            _set_aside(doc, r, f"a digit read with a score of {doubtful[i]:.1%} (below {MIN_DIGIT_SCORE:.0%}) "
                               "and nothing to confirm it (no table identity, no other reading)")
            continue
        out.append(r)
    return out


def _fact(r: dict) -> tuple:
    return r["measure"], str(r.get("code") or ""), r.get("fiscal_year"), r.get("basis")


def _set_aside(doc: Document, row: dict, why: str) -> None:
    doc.flags.append(_flag(doc, row, "ocr_confidence", row["measure"], str(row.get("quote", "")), "",
                           f"a figure read by OCR on page {row['page']} with {why} is left out: check the page by eye"))


def _pct(conf) -> str:
    return "unknown" if conf == "" else f"{conf:.1%}"


def _confidence(doc: Document, row: dict) -> tuple[float | str, float]:
    """Mean recognition score of the characters of the figure's quote ("" where they cannot be found), and the
    lowest score of a digit in it (1.0 when none has a score)."""
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
    means, weakest = [], []
    for a, b in spans:
        a, b = max(a, 0), max(b, 0)
        vals = [s for s in scores[a:b] if s is not None]
        if vals:
            means.append(sum(vals) / len(vals))
            digits = [s for s, ch in zip(scores[a:b], doc.text[base + a:base + b]) if s is not None and ch.isdigit()]
            weakest.append(min(digits, default=1.0))
    if not means:
        return "", 1.0
    k = min(range(len(means)), key=means.__getitem__)
    return round(means[k], 4), weakest[k]


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


def _table_identities(doc: Document, rows: list[dict]) -> tuple[set[int], set[int]]:
    """Indices of the OCR'd figures to drop: those of every table (title, year, basis) in which an identity among
    its figures fails -- a total read twice with two values, 基本 + 项目 ≠ 合计, 人员 + 公用 ≠ 基本, a class's
    subclasses ≠ the class, or (in a 支出 table) the classes ≠ the total; and the indices of the figures that took
    part in an identity that holds (their digits are vouched for)."""
    groups: dict[tuple, list[int]] = {}
    for i, r in enumerate(rows):
        if str(r.get("source", "")).endswith("table"):
            groups.setdefault((r.get("table"), r.get("fiscal_year"), r.get("basis")), []).append(i)
    drop: set[int] = set()
    verified: set[int] = set()
    for (title, _year, _basis), idx in groups.items():
        members = [rows[i] for i in idx]
        if not any(r["source"] == "ocr_table" for r in members):
            continue
        failure, held = _failed_identity(members, classify_title(str(title or "")))
        if failure is None:
            verified.update(i for i in idx if id(rows[i]) in held)
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
    return drop, verified


def _failed_identity(members: list[dict], kind: str | None) -> tuple[tuple[str, str, str, list[dict]] | None, set[int]]:
    """The first identity the figures of one table break -- (what, reported, expected, figures involved), or None --
    and the ids of the figures that took part in the identities checked (all held when there is no failure)."""
    by_key: dict[tuple[str, str], list[dict]] = {}
    for r in members:
        by_key.setdefault((r["measure"], str(r.get("code") or "")), []).append(r)
    one: dict[tuple[str, str], dict] = {}
    for key, rs in by_key.items():
        values = {_amount(r)[0] for r in rs}
        if len(values) > 1:
            return (f"{key[0]} {key[1]}".strip() + " read once", " / ".join(sorted(map(str, values))),
                    "one value", rs), set()
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
    held: set[int] = set()
    for what, whole, parts in checks:
        w, w_allow = _amount(whole)
        amounts = [_amount(p) for p in parts]
        total = sum((a for a, _ in amounts), Decimal(0))
        slack = w_allow + sum((b for _, b in amounts), Decimal(0))
        if abs(w - total) > slack:
            return (what, _fmt(w), _fmt(total), [whole, *parts]), set()
        held.update(id(r) for r in (whole, *parts))
    return None, held


def _fmt(value: Decimal) -> str:
    return f"{value:,.2f} yuan"
