"""Compression, personnel share, "三公" execution and personnel cost per head — each with its inputs and formula."""

from __future__ import annotations

import pandas as pd

from countyfiscal import fields

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


def _prepare(figures: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Stated money and staff figures with the department they belong to; document order kept for tie-breaks."""
    if figures is None or figures.empty or documents is None or documents.empty:
        return pd.DataFrame()
    figs = figures.copy()
    if "method" in figs:
        figs = figs[figs["method"].fillna("stated").isin(["stated", ""])]
    for col in ("code", "basis", "quote"):
        if col not in figs:
            figs[col] = ""
        figs[col] = figs[col].fillna("").astype(str).str.replace(r"\.0$", "", regex=True) if col == "code" else figs[col].fillna("").astype(str)
    figs["fiscal_year"] = pd.to_numeric(figs["fiscal_year"], errors="coerce").astype("Int64")
    figs["value"] = pd.to_numeric(figs["value"], errors="coerce")
    if "start" not in figs:
        figs["start"] = range(len(figs))
    figs["start"] = pd.to_numeric(figs["start"], errors="coerce")
    docs = documents[[c for c in ("file", "jurisdiction", "department", "fiscal_year", "doc_kind", "status") if c in documents]]
    docs = docs.rename(columns={"fiscal_year": "doc_year"}).copy()
    if "status" in docs:
        docs = docs[docs["status"].fillna("ok").isin(["ok", "partial"])]
    for col in ("jurisdiction", "department", "doc_kind"):
        docs[col] = docs[col].fillna("").astype(str)
    docs["doc_year"] = pd.to_numeric(docs["doc_year"], errors="coerce").astype("Int64")
    out = figs.merge(docs, on="file", how="inner")
    out = out[out["department"] != ""]
    return out.sort_values(["file", "start"], kind="stable")


def _first(sel: pd.DataFrame) -> dict | None:
    return None if sel.empty else sel.iloc[0].to_dict()


def _get(g: pd.DataFrame, measure: str, year, basis: str | None, code: str = "", file: str | None = None) -> dict | None:
    sel = g[(g["measure"] == measure) & (g["fiscal_year"] == year) & (g["code"] == code)]
    if basis is not None:
        sel = sel[sel["basis"] == basis]
    if file is not None:
        sel = sel[sel["file"] == file]
    # A document reporting on this year beats one that only mentions it as a comparison.
    sel = sel.assign(_own=(sel["doc_year"] != year).astype(int)).sort_values(["_own", "file", "start"], kind="stable")
    return _first(sel.drop(columns="_own"))


def _row(dept: tuple[str, str], year, basis, metric, value, num, den, formula, inputs, comparability="") -> dict:
    return {
        "jurisdiction": dept[0], "department": dept[1], "fiscal_year": year, "basis": basis, "metric": metric,
        "value": value, "numerator": num, "denominator": den, "formula": formula,
        "inputs": ";".join(sorted(set(inputs))), "comparability": comparability,
    }


def _stated_changes(texts: dict[str, str] | None, g: pd.DataFrame) -> dict:
    """(file, measure, year, basis) -> signed change stated in that file's text (for a prior year it omits)."""
    if not texts:
        return {}
    from countyfiscal.statements import find_statements

    out: dict = {}
    for file, fg in g.groupby("file"):
        if file not in texts:
            continue
        st = find_statements(texts[file], fg)
        st = st[(st["kind"] == "change_amount") & (st["direction"] != 0) & (st["measure"].isin(list(COMPRESSION)))]
        for r in st.sort_values("start").to_dict("records"):
            key = (file, r["measure"], r["fiscal_year"], r["basis"])
            out.setdefault(key, r)
    return out


def _personnel(g: pd.DataFrame, year, basis) -> tuple[dict | None, float | None, str, list[str]]:
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


def sangong_execution_pairs(figures: pd.DataFrame, documents: pd.DataFrame) -> list[dict]:
    """决算 and 年初预算 of each "三公" item for a department-year: from one final account, or budget + final linked."""
    g_all = _prepare(figures, documents)
    if g_all.empty:
        return []
    pairs = []
    for dept, g in g_all.groupby(["jurisdiction", "department"]):
        g = g[g["measure"].isin(list(SANGONG))]
        for (measure, year), gg in g.groupby(["measure", "fiscal_year"]):
            actuals = gg[(gg["basis"] == "actual")]
            if actuals.empty:
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


def compute_metrics(figures: pd.DataFrame, documents: pd.DataFrame, texts: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per metric per department-year (columns of fields.TABLES["metrics"]), rounded and sorted.

    ``texts`` (file -> normalised text) lets a stated change ("比上年增加99,607.46元") supply last year's figure
    when the document does not state it.
    """
    g_all = _prepare(figures, documents)
    rows: list[dict] = []
    if g_all.empty:
        return empty_metrics()
    for dept, g in g_all.groupby(["jurisdiction", "department"]):
        money = g[g["unit"].fillna("yuan") == "yuan"] if "unit" in g else g
        changes = _stated_changes(texts, money)
        years_bases = money[money["basis"] != ""][["fiscal_year", "basis"]].drop_duplicates().dropna()
        for year, basis in years_bases.itertuples(index=False):
            year = int(year)
            # Compression: like with like (budget with budget, actual with actual).
            for measure, (metric, name) in COMPRESSION.items():
                cur = _get(money, measure, year, basis)
                if cur is None or cur["doc_year"] != year:
                    continue
                prior = _get(money, measure, year - 1, basis, file=cur["file"])
                note, inputs = "", [cur["file"]]
                if prior is not None:
                    p = prior["value"]
                else:
                    stated = changes.get((cur["file"], measure, year, basis))
                    other = _get(money, measure, year - 1, basis)
                    if stated is not None:
                        p = cur["value"] - stated["direction"] * stated["value"]
                        note = "last year's figure derived from the stated change (this year − change)"
                    elif other is not None:
                        p = other["value"]
                        inputs.append(other["file"])
                        note = f"last year's figure from another document of the department ({other['file']})"
                    else:
                        continue
                if p == 0:
                    continue
                diff = cur["value"] - p
                rows.append(_row(dept, year, basis, metric, diff / p * 100, diff, p,
                                 f"({name} {year} − {name} {year - 1}) / {name} {year - 1} × 100", inputs, note))
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
                staff = g[(g["measure"] == "staff_actual") & (g["fiscal_year"] == year) & (g["file"] == pfig["file"])]
                staff_note = ""
                if staff.empty:
                    staff = g[(g["measure"] == "staff_authorised") & (g["fiscal_year"] == year) & (g["file"] == pfig["file"])]
                    staff_note = "authorised posts (编制), not staff in post (实有人数)"
                if not staff.empty and staff.iloc[0]["value"]:
                    n = float(staff.iloc[0]["value"])
                    pname = "(工资福利支出 + 对个人和家庭的补助)" if note else "人员经费"
                    rows.append(_row(dept, year, basis, "personnel_per_staff", pval / n, pval, n,
                                     f"{pname} / {'编制人数' if staff_note else '实有人数'} (yuan per person)",
                                     pfiles, "; ".join(x for x in (note, staff_note) if x)))
    for p in sangong_execution_pairs(figures, documents):
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
