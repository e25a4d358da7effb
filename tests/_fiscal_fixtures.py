"""Shared fixtures for the checks/metrics/statements tests: seed extraction and a disclosure with planted errors."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
DEV = ROOT.parent / "shared" / "dev-corpus"


# Both are computed once per test process (functools.cache) and shared by every module that asks: extracting the
# seeds is the slow part of these tests.
@cache
def seed_results() -> tuple:
    """pipeline.process_file of each of the five seeds (FileResult: document dict, figure dicts, text)."""
    from countyfiscal.pipeline import process_file

    return tuple(process_file(p) for p in sorted(RAW.glob("0*.txt")))


@cache
def seed_run() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """documents, figures and texts of the five seeds, from the real pipeline (no labels involved)."""
    from countyfiscal.pipeline import frame

    results = seed_results()
    docs = frame("documents", [r.document for r in results])
    figs = frame("figures", [f for r in results for f in r.figures])
    texts = {r.document["file"]: r.text for r in results if r.text}
    return docs, figs, texts


def seed_doc_flags() -> list[dict]:
    """The flags raised while the seeds were read and extracted (Document.flags: readings that disagreed)."""
    return [f for r in seed_results() for f in r.doc_flags]


# Each plant: (original fragment of the real disclosure, altered fragment, check expected to catch it).
# The disclosure is 杭州市气象局 2026 部门预算 (dev corpus, a real PDF); the originals are consistent.
PLANTS = [
    ("支出预算 5,876.67 万元，比上年执行数增加48.92 万元，增长 0.8%",
     "支出预算 5,876.67 万元，比上年执行数增加48.92 万元，增长 8.0%", ("year_on_year", "增长 8.0%")),
    ("人员支出 2,906.80 万元，占49.4%", "人员支出 2,906.80 万元，占59.4%", ("share", "占59.4%")),
    ("项目支出2,131.61 万元，占 36.3%", "项目支出2,431.61 万元，占 36.3%", ("sum_of_parts", "项目支出2,431.61 万元")),
    ("（三）支出预算情况说明", "（三）XX局支出预算情况说明", ("placeholder", "XX局")),
]


def planted(path: Path) -> tuple[str, str]:
    """The normalised text of a real disclosure, and the same text with PLANTS applied (each must apply once)."""
    from countyfiscal.ingest import normalised_text

    original = normalised_text(path)
    altered = original
    for before, after, _ in PLANTS:
        # The normaliser may move spaces around; the words and numbers are what must match.
        rx = re.compile(r"\s*".join(re.escape(ch) for ch in before.replace(" ", "")))
        assert len(rx.findall(altered)) == 1, before
        altered = rx.sub(after, altered)
    return original, altered


def run_text(file: str, text: str, doc_kind: str, fiscal_year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Extract narrative figures from a text and run every check on it: (flags, figures)."""
    from countyfiscal.audit.checks import run_checks
    from countyfiscal.extract import extract_figures
    from countyfiscal.model import Document
    from countyfiscal.pipeline import frame

    figs = frame("figures", [dict(r, file=file) for r in extract_figures(Document(file, "txt", text), doc_kind, fiscal_year)])
    docs = pd.DataFrame([{"file": file, "status": "ok", "doc_kind": doc_kind, "fiscal_year": fiscal_year,
                          "department": "dept", "jurisdiction": "place"}])
    return run_checks(figs, docs, {file: text}), figs
