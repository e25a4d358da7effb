"""What a chart rests on: the documents, pages and tables of the values it draws, as a table and as footnote lines."""

from __future__ import annotations

import pandas as pd

from countyfiscal.analysis.scope import KIND_NAMES, department_labels

COLUMNS = ["document", "file", "pages", "tables", "values"]


def document_names(documents: pd.DataFrame) -> pd.Series:
    """A citable name per file: '<department> <year> <kind>' ('紫阳县信访局 2023 预算'), indexed by file.

    >>> docs = pd.DataFrame({"file": ["a.txt"], "jurisdiction": ["某县"], "department": ["某县信访局"],
    ...                      "fiscal_year": [2023], "doc_kind": ["performance_evaluation"]})
    >>> document_names(docs)["a.txt"]
    '某县信访局 2023 绩效自评'
    """
    if documents.empty:
        return pd.Series(dtype="str")
    labels = documents["department_label"] if "department_label" in documents.columns else department_labels(documents)
    labels = pd.Series(list(labels), index=documents.index)
    years = documents["fiscal_year"].astype("Int64").astype("str").replace("<NA>", "年份未识别")
    kinds = documents["doc_kind"].fillna("").map(lambda k: KIND_NAMES.get(k, k or "类型未识别"))
    names = labels + " " + years + " " + kinds
    return pd.Series(names.to_numpy(), index=documents["file"].to_numpy(), dtype="str")


def _pages(values) -> str:
    """'3, 5–7' from page numbers; '' when none (a .txt or .docx has no pages).

    >>> _pages([7, 3, 5, 6, None, 5])
    '3, 5–7'
    """
    pages = sorted({int(p) for p in values if p is not None and not pd.isna(p)})
    runs: list[list[int]] = []
    for p in pages:
        if runs and p == runs[-1][1] + 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in runs)


def cite(rows: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """One row per document the ``rows`` come from (a ``file`` column, ';'-separated allowed; optional ``page``/
    ``pages`` and ``table`` columns): its citable name, pages, table titles and how many values drawn rest on it."""
    if rows is None or rows.empty or "file" not in rows.columns:
        return pd.DataFrame(columns=COLUMNS)
    files = rows["file"].astype(str)
    several = files.str.contains(";", regex=False)
    exploded = rows.assign(file=files.where(~several, files.str.split(";"))).explode("file") if several.any() \
        else rows.assign(file=files)
    exploded = exploded[exploded["file"].ne("")]
    names = document_names(documents) if not documents.empty else pd.Series(dtype="str")
    # Pages: the page column and the page lists ('3, 5–7') of a pages column, one number per row.
    pages = []
    if "page" in exploded.columns:
        pages.append(pd.DataFrame({"file": exploded["file"], "page": pd.to_numeric(exploded["page"], errors="coerce")}))
    if "pages" in exploded.columns:
        listed = exploded["pages"].fillna("").astype(str).str.replace("–", ",").str.split(",")
        long = pd.DataFrame({"file": exploded["file"], "page": listed}).explode("page")
        pages.append(long.assign(page=pd.to_numeric(long["page"].str.strip(), errors="coerce")))
    page_text = (pd.concat(pages).dropna(subset=["page"]).groupby("file")["page"].agg(_pages) if pages
                 else pd.Series(dtype="str"))
    if "table" in exploded.columns:
        titled = exploded[exploded["table"].fillna("").ne("")]
        table_text = titled.groupby("file")["table"].agg(lambda s: "; ".join(sorted(set(s))))
    else:
        table_text = pd.Series(dtype="str")
    counts = exploded.groupby("file").size()
    out = pd.DataFrame({"file": counts.index, "values": counts.to_numpy()})
    out["document"] = out["file"].map(names).fillna(out["file"])
    pages_of, tables_of = page_text.to_dict(), table_text.to_dict()
    out["pages"] = [str(pages_of.get(f, "")) for f in out["file"]]
    out["tables"] = [str(tables_of.get(f, "")) for f in out["file"]]
    return out[COLUMNS].sort_values(["document", "file"]).reset_index(drop=True)


def footnote(cited: pd.DataFrame, limit: int = 6) -> list[str]:
    """Footnote lines naming the documents (with pages and tables), at most ``limit`` documents then a count.

    >>> footnote(pd.DataFrame([{"document": "甲县信访局 2023 决算", "file": "a.pdf", "pages": "3–4", "tables": "表1", "values": 2}]))
    ['Sources: 甲县信访局 2023 决算 (a.pdf, p. 3–4, 表1)']
    """
    if cited.empty:
        return []
    parts = []
    for r in cited.head(limit).to_dict("records"):
        tables = r["tables"].split("; ") if r["tables"] else []
        shown = "; ".join(tables[:2]) + (f" and {len(tables) - 2} more tables" if len(tables) > 2 else "")
        where = [r["file"]] + ([f"p. {r['pages']}"] if r["pages"] else []) + ([shown] if shown else [])
        parts.append(f"{r['document']} ({', '.join(where)})")
    more = len(cited) - limit
    tail = f"; and {more} more document{'s' if more > 1 else ''} (all listed in the figure's .json and the report index)" if more > 0 else ""
    return ["Sources: " + "; ".join(parts) + tail]


def figure_sources(figures: pd.DataFrame, panel_rows: pd.DataFrame) -> pd.DataFrame:
    """The figures.csv rows behind panel rows: each row's stated statement (file, page) and, for a recomputed value,
    the stated figures of its measure in its input files for its year and the year before (pages and tables)."""
    if panel_rows is None or panel_rows.empty:
        return pd.DataFrame(columns=["file", "page", "table"])
    out = [panel_rows[["files", "pages"]].rename(columns={"files": "file"})]
    if figures is not None and not figures.empty:
        wanted = set()
        for files, measure, year, basis in zip(panel_rows["files"], panel_rows["measure"], panel_rows["fiscal_year"],
                                               panel_rows["basis"]):
            for f in str(files).split(";"):
                for y in (year, year - 1):
                    wanted.add((f, measure, int(y), basis))
        keys = list(zip(figures["file"], figures["measure"], figures["fiscal_year"].fillna(-1).astype(int),
                        figures["basis"].fillna("")))
        hit = figures[[k in wanted for k in keys]]
        columns = [c for c in ("file", "page", "table") if c in hit.columns]
        out.append(hit[columns])
    return pd.concat(out, ignore_index=True)
