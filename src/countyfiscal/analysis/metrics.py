"""Compression, personnel share, "三公" execution and personnel cost per head — each with its inputs and formula."""

from __future__ import annotations

import pandas as pd

from countyfiscal import fields
from countyfiscal.audit.statements import DOCUMENT_COLUMNS, FIGURE_COLUMNS, as_number, is_missing, table_records

COMPRESSION = {
    "expenditure_total": ("expenditure_change_pct", "支出合计"),
    "basic_expenditure": ("basic_change_pct", "基本支出"),
    "project_expenditure": ("project_change_pct", "项目支出"),
    "sangong_total": ("sangong_change_pct", '"三公"经费'),
    "agency_operating_expenses": ("agency_operating_change_pct", "机关运行经费"),
}
SANGONG = {
    "sangong_total": "sangong_execution_pct",
    "sangong_overseas": "sangong_overseas_execution_pct",
    "sangong_vehicle_purchase": "sangong_vehicle_purchase_execution_pct",
    "sangong_vehicle_operation": "sangong_vehicle_operation_execution_pct",
    "sangong_vehicle_total": "sangong_vehicle_total_execution_pct",
    "sangong_reception": "sangong_reception_execution_pct",
}
DERIVED_PERSONNEL = "人员经费 not stated; derived as 工资福利支出 (301) + 对个人和家庭的补助 (303)"
VALUE_DECIMALS = 4
MONEY_DECIMALS = 2


def _text(x) -> str:
    return "" if is_missing(x) else str(x)


def _prepare(figures, documents, measures=None) -> list[dict]:
    """Stated money and staff figures (of ``measures`` only, if given) with the department they belong to, sorted by
    file and text order.

    ``figures`` and ``documents``: DataFrames or lists of dicts."""
    if measures is not None and isinstance(figures, pd.DataFrame) and "measure" in figures.columns:
        # Only these measures' rows made into dicts (the rows are filtered by measure below in any case).
        figures = figures[figures["measure"].isin(list(measures))]
    figs, docs = table_records(figures, FIGURE_COLUMNS), table_records(documents, DOCUMENT_COLUMNS)
    if not figs or not docs:
        return []
    columns = set(figs[0])
    if "method" in columns:
        figs = [r for r in figs if is_missing(r["method"]) or r["method"] in ("stated", "")]
    if "scope" in columns:  # (a department's metrics are of its whole figures, not of its 一般公共预算 part)
        figs = [r for r in figs if r["scope"] != "appropriation"]
    if measures is not None:
        figs = [r for r in figs if r["measure"] in measures]
    owners: dict = {}
    doc_columns = set(docs[0])
    for d in docs:
        if "status" in doc_columns and not (is_missing(d["status"]) or d["status"] in ("ok", "partial")):
            continue
        owner = {"jurisdiction": _text(d["jurisdiction"]), "department": _text(d["department"]),
                 "doc_kind": _text(d["doc_kind"]), "doc_year": _year(d.get("fiscal_year"))}
        if "status" in doc_columns:
            owner["status"] = d["status"]
        owners.setdefault(d["file"], []).append(owner)
    out = []
    for i, r in enumerate(figs):
        row = dict(r)
        code = _text(r.get("code"))
        row["code"] = code[:-2] if code.endswith(".0") else code
        row["basis"], row["quote"] = _text(r.get("basis")), _text(r.get("quote"))
        row["fiscal_year"] = _year(r.get("fiscal_year"))
        value = as_number(r.get("value"))
        row["value"] = float("nan") if value is None else value
        row["start"] = as_number(r["start"]) if "start" in columns else i
        for owner in owners.get(r.get("file"), ()):
            if owner["department"] != "":
                out.append({**row, **owner})
    # Text order within each file; a figure without an offset last.
    out.sort(key=lambda r: (r["file"], r["start"] is None, r["start"] or 0))
    return out


def _year(x) -> int | None:
    n = as_number(x)
    return None if n is None else int(n)


def _get(g: list[dict], measure: str, year, basis: str | None, code: str = "", file: str | None = None) -> dict | None:
    best, best_key = None, None
    for r in g:
        if r["measure"] != measure or r["fiscal_year"] != year or r["code"] != code or year is None:
            continue
        if (basis is not None and r["basis"] != basis) or (file is not None and r["file"] != file):
            continue
        # A document reporting on this year beats one that only mentions it as a comparison.
        start = r["start"]
        key = (r["doc_year"] != year, r["file"], start is None, start or 0)
        if best_key is None or key < best_key:
            best, best_key = r, key
    return None if best is None else dict(best)


def _row(dept: tuple[str, str], year, basis, metric, value, num, den, formula, inputs, comparability="", base="") -> dict:
    return {
        "jurisdiction": dept[0], "department": dept[1], "fiscal_year": year, "basis": basis, "metric": metric,
        "value": value, "numerator": num, "denominator": den, "formula": formula,
        "inputs": ";".join(sorted(set(inputs))), "comparability": comparability, "base": base,
    }


# What a change is measured against (statements' ``base``), and the words a chart shows for it.
BASES = {
    "prior_budget": "比上年预算数",
    "prior_execution": "比上年执行数",
    "prior_final_account": "比上年决算数",
    "": "比较基数未说明",
}
# A change recomputed from two figures of one basis is measured against last year's figure of that basis.
RECOMPUTED_BASE = {"budget": "prior_budget", "actual": "prior_final_account"}
# A change recomputed against another document of the department is measured against what that document is.
BASE_OF_KIND = {"budget": "prior_budget", "final_account": "prior_final_account"}


def statements_frame(texts: dict[str, str], figures) -> pd.DataFrame:
    """The statements table (columns of ``fields.columns("statements")``) computed from the texts, one document at a
    time, for callers that have texts but no statements.csv; the pipeline writes the same table as statements.csv."""
    from countyfiscal.pipeline import frame
    from countyfiscal.audit.statements import statement_rows

    figs = table_records(figures, FIGURE_COLUMNS)
    by_file: dict[str, list[dict]] = {}
    for r in figs:
        by_file.setdefault(r["file"], []).append(r)
    rows = []
    for file in sorted(texts):
        rows += statement_rows(file, texts[file], by_file.get(file, []))
    return frame("statements", rows)


def _change_statements_by_file(statements) -> dict[str, list[dict]]:
    """The statements table's change_amount rows, file -> rows (read once, not once per department)."""
    by_file: dict[str, list[dict]] = {}
    if isinstance(statements, pd.DataFrame):
        statements = statements[statements["kind"] == "change_amount"]
    for r in table_records(statements):
        if r.get("kind") == "change_amount":
            by_file.setdefault(r.get("file"), []).append(r)
    return by_file


def _stated_changes(texts: dict[str, str] | None, g: list[dict], statements: dict[str, list[dict]] | None = None) -> dict:
    """(file, measure, year, basis) -> the signed change stated in that file (for a prior year it omits): from the
    statements (file -> change_amount rows, ``_change_statements_by_file``) when given, else from the texts."""
    files = sorted({r["file"] for r in g})
    if statements is not None:
        rows = [r for f in files for r in statements.get(f, ())]
    elif texts:
        st = statements_frame({f: texts[f] for f in files if f in texts}, g)
        rows = st.to_dict("records")
    else:
        return {}
    out: dict = {}
    rows = [r for r in rows if r.get("kind") == "change_amount" and _text(r.get("measure")) in COMPRESSION
            and as_number(r.get("direction")) not in (None, 0) and as_number(r.get("value")) is not None]
    for r in sorted(rows, key=lambda r: (r["file"], as_number(r.get("start")) or 0)):
        key = (r["file"], r["measure"], _year(r.get("fiscal_year")), _text(r.get("basis")))
        out.setdefault(key, {**r, "direction": as_number(r["direction"]), "value": as_number(r["value"]),
                             "base": _text(r.get("base"))})
    return out


def _personnel(g: list[dict], year, basis) -> tuple[dict | None, float | None, str, list[str]]:
    """人员经费 stated, or derived from the economic classes 301 + 303 (said so in comparability)."""
    p = _get(g, "personnel_expenditure", year, basis)
    if p is not None:
        return p, p["value"], "", [p["file"]]
    wages = _get(g, "economic_expenditure", year, basis, "301")
    if wages is None:
        return None, None, "", []
    transfers = _get(g, "economic_expenditure", year, basis, "303")
    value = wages["value"] + (transfers["value"] if transfers is not None else 0.0)
    note = DERIVED_PERSONNEL + ("" if transfers is not None else "; 303 not stated, so 301 only")
    return wages, value, note, [wages["file"]] + ([transfers["file"]] if transfers is not None else [])


def _departments(prepared: list[dict]) -> list[tuple[tuple[str, str], list[dict]]]:
    """(jurisdiction, department) and its figures (in prepared order), departments sorted."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in prepared:
        groups.setdefault((r["jurisdiction"], r["department"]), []).append(r)
    return sorted(groups.items(), key=lambda kv: kv[0])


def sangong_execution_pairs(figures, documents) -> list[dict]:
    """决算 and 年初预算 of each "三公" item for a department-year: from one final account, or budget + final linked.

    ``figures`` and ``documents``: DataFrames or lists of dicts."""
    return _sangong_pairs(_prepare(figures, documents, measures=SANGONG))


def _sangong_pairs(prepared: list[dict]) -> list[dict]:
    pairs = []
    for dept, g in _departments(prepared):
        groups: dict[tuple, list[dict]] = {}
        for r in g:
            if r["measure"] in SANGONG and r["fiscal_year"] is not None:
                groups.setdefault((r["measure"], r["fiscal_year"]), []).append(r)
        for (measure, year), gg in sorted(groups.items(), key=lambda kv: kv[0]):
            if not any(r["basis"] == "actual" for r in gg):
                continue
            actual = _get(gg, measure, year, "actual")
            # The final account's own 年初预算 first; else the department's budget document for that year.
            budget = _get(gg, measure, year, "budget", file=actual["file"]) or _get(gg, measure, year, "budget")
            if budget is None:
                continue
            pairs.append({"jurisdiction": dept[0], "department": dept[1], "measure": measure, "fiscal_year": int(year),
                          "actual": actual, "budget": budget,
                          "files": ";".join(sorted({actual["file"], budget["file"]}))})
    return pairs


def empty_metrics() -> pd.DataFrame:
    return pd.DataFrame({f.name: pd.Series(dtype=f.dtype) for f in fields.TABLES["metrics"]})


def compute_metrics(figures, documents, texts: dict[str, str] | None = None, statements=None) -> pd.DataFrame:
    """One row per metric per department-year (columns of fields.TABLES["metrics"]), rounded and sorted.

    A stated change ("比上年增加99,607.46元") supplies last year's figure when the document does not state it: from
    ``statements`` (the statements table: file, statements.COLUMNS, base, page) when given, else from ``texts``
    (file -> normalised text). A change metric's ``base`` says what it is measured against: last year's figure of
    the same basis (prior_budget / prior_final_account), or what the statement it rests on says (empty when the
    sentence does not say).
    """
    prepared = _prepare(figures, documents)
    rows: list[dict] = []
    if not prepared:
        return empty_metrics()
    if statements is not None:
        statements = _change_statements_by_file(statements)
    has_unit = "unit" in prepared[0]
    for dept, g in _departments(prepared):
        money = [r for r in g if is_missing(r["unit"]) or r["unit"] == "yuan"] if has_unit else g
        changes = _stated_changes(texts, money, statements)
        years_bases = list(dict.fromkeys((r["fiscal_year"], r["basis"]) for r in money
                                         if r["basis"] != "" and r["fiscal_year"] is not None))
        for year, basis in years_bases:
            year = int(year)
            # Compression: like with like (budget with budget, actual with actual).
            for measure, (metric, name) in COMPRESSION.items():
                cur = _get(money, measure, year, basis)
                if cur is None or cur["doc_year"] != year:
                    continue
                prior = _get(money, measure, year - 1, basis, file=cur["file"])
                note, inputs, base = "", [cur["file"]], RECOMPUTED_BASE.get(basis, "")
                if prior is not None:
                    p = prior["value"]
                else:
                    stated = changes.get((cur["file"], measure, year, basis))
                    other = _get(money, measure, year - 1, basis)
                    if stated is not None:
                        p = cur["value"] - stated["direction"] * stated["value"]
                        note = "last year's figure derived from the stated change (this year − change)"
                        base = stated["base"]
                    elif other is not None:
                        p = other["value"]
                        inputs.append(other["file"])
                        note = f"last year's figure from another document of the department ({other['file']})"
                        base = BASE_OF_KIND.get(other["doc_kind"], "")
                    else:
                        continue
                if p == 0:
                    continue
                diff = cur["value"] - p
                rows.append(_row(dept, year, basis, metric, diff / p * 100, diff, p,
                                 f"({name} {year} − {name} {year - 1}) / {name} {year - 1} × 100", inputs, note, base))
            # Personnel share of 基本支出 and of the total.
            pfig, pval, note, pfiles = _personnel(money, year, basis)
            if pval is not None:
                for measure, metric, name in (("basic_expenditure", "personnel_share_of_basic", "基本支出"),
                                              ("expenditure_total", "personnel_share_of_total", "支出合计")):
                    den = _get(money, measure, year, basis)
                    if den is None or not den["value"]:
                        continue
                    pname = "(工资福利支出 + 对个人和家庭的补助)" if note else "人员经费"
                    rows.append(_row(dept, year, basis, metric, pval / den["value"] * 100, pval, den["value"],
                                     f"{pname} / {name} × 100", pfiles + [den["file"]], note))
                staff = [r for r in g if r["measure"] == "staff_actual" and r["fiscal_year"] == year
                         and r["file"] == pfig["file"]]
                staff_note = ""
                if not staff:
                    staff = [r for r in g if r["measure"] == "staff_authorised" and r["fiscal_year"] == year
                             and r["file"] == pfig["file"]]
                    staff_note = "authorised posts (编制), not staff in post (实有人数)"
                if staff and staff[0]["value"]:
                    n = float(staff[0]["value"])
                    pname = "(工资福利支出 + 对个人和家庭的补助)" if note else "人员经费"
                    rows.append(_row(dept, year, basis, "personnel_per_staff", pval / n, pval, n,
                                     f"{pname} / {'编制人数' if staff_note else '实有人数'} (yuan per person)",
                                     pfiles, "; ".join(x for x in (note, staff_note) if x)))
    for p in _sangong_pairs(prepared):
        b = p["budget"]["value"]
        if not b:
            continue  # no ratio for a zero budget; checks.check_execution_inputs flags it
        a = p["actual"]["value"]
        linked = "" if p["actual"]["file"] == p["budget"]["file"] else "决算 and 年初预算 from two documents of the department"
        rows.append(_row((p["jurisdiction"], p["department"]), p["fiscal_year"], "actual", SANGONG[p["measure"]],
                         a / b * 100, a, b, "决算 / 年初预算 × 100", p["files"].split(";"), linked))
    if not rows:
        return empty_metrics()
    out = pd.DataFrame(rows)[fields.columns("metrics")]
    out["fiscal_year"] = out["fiscal_year"].astype("Int64")
    out["value"] = out["value"].astype(float).round(VALUE_DECIMALS)
    out["numerator"] = out["numerator"].astype(float).round(MONEY_DECIMALS)
    out["denominator"] = out["denominator"].astype(float).round(MONEY_DECIMALS)
    for f in fields.TABLES["metrics"]:
        if f.dtype == "string":
            out[f.name] = out[f.name].fillna("").astype(str)
    return out.sort_values(["jurisdiction", "department", "fiscal_year", "basis", "metric"], kind="stable").reset_index(drop=True)
