"""Accuracy of the extractor against independent hand labels of the dev-corpus budgets (recall, wrong values per 100).

Run from the repository root:

    .venv/bin/python benchmarks/bench_accuracy.py [CORPUS_DIR] [--labels CSV] [--include-appropriation]
        [--via process_file|extract_all]

CORPUS_DIR defaults to ``../shared/dev-corpus`` next to the repository. Prints ``name value unit`` lines on stdout;
the misses, the wrong rows and the extracted headline rows no label covers go to stderr, each with its quote.

A label matches an extracted row on (file, measure, fiscal_year, basis, code). Values agree when they differ by no
more than the printed rounding: half a unit of the last printed digit of the label's quote or of the extracted
row (``scale``/``decimals``), whichever is coarser. Labels with ``note=appropriation`` are 一般公共预算-only
restatements of a whole-department measure: by default they are not recall targets, and an extracted row equal to
one of them on a whole-department key counts as wrong; ``--include-appropriation`` accepts them as right values and
reports their recall on its own line. Where the figures carry a ``scope`` column, a row of scope ``appropriation`` is
the 一般公共预算 part by the extractor's own account: it is judged against the appropriation labels of its key (and
counted among the unlabelled rows where there are none), never against the whole department's; whole-department
labels are found only by rows of scope ``total``.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "dev-corpus"
DEFAULT_LABELS = REPO / "tests" / "data" / "dev_labels_narrative.csv"

KEY = ["file", "measure", "fiscal_year", "basis", "code"]
HEADLINE = {
    "income_total", "expenditure_total", "basic_expenditure", "project_expenditure", "personnel_expenditure",
    "public_expenditure", "sangong_total", "sangong_overseas", "sangong_vehicle_purchase",
    "sangong_vehicle_operation", "sangong_vehicle_total", "sangong_reception", "agency_operating_expenses",
    "government_procurement", "functional_expenditure",
}
_SCALE = {"元": Decimal(1), "万元": Decimal(10000), "亿元": Decimal(100000000)}
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_UNIT_AFTER = re.compile(r"\s*(亿\s*元|万\s*元|元)")


def is_headline(measure: str, code: str) -> bool:
    """Headline figures: the totals, 基本/项目, 人员/公用, 三公, 机关运行经费, 政府采购 and 类-level functional classes."""
    if measure not in HEADLINE:
        return False
    return measure != "functional_expenditure" or len(code) == 3


def label_tolerance(quote: str, value: Decimal) -> Decimal:
    """Half a unit of the last digit the quote prints for ``value`` (yuan), e.g. 50 for '1,595.96万元'.

    Takes the number in the quote that equals the value in the unit printed after it (元, 万元, 亿元; a table cell
    prints none, so any of them); 0.005 yuan when no number does.
    """
    best = None
    for m in _NUMBER.finditer(quote):
        text = m.group().replace(",", "")
        number = Decimal(text)
        decimals = len(text.split(".")[1]) if "." in text else 0
        unit = _UNIT_AFTER.match(quote, m.end())
        scales = [_SCALE[re.sub(r"\s", "", unit.group(1))]] if unit else list(_SCALE.values())
        for scale in scales:
            if number * scale == value:
                tol = Decimal(5) * scale / Decimal(10) ** (decimals + 1)
                best = tol if best is None else min(best, tol)
    return best if best is not None else Decimal("0.005")


def row_tolerance(scale: str, decimals) -> Decimal:
    """Half a unit of the last digit an extracted row was printed with (its ``scale`` and ``decimals`` columns)."""
    unit = _SCALE.get(scale or "元", Decimal(1))
    try:
        d = int(decimals)
    except (TypeError, ValueError):
        d = 2
    return Decimal(5) * unit / Decimal(10) ** (d + 1)


def load_labels(path: Path = DEFAULT_LABELS) -> pd.DataFrame:
    """The label table with string keys, Decimal values and each label's rounding allowance (``tol``)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["fiscal_year"] = df["fiscal_year"].astype(int)
    df["value"] = df["value"].map(Decimal)
    df["tol"] = [label_tolerance(q, v) for q, v in zip(df["quote"], df["value"])]
    if "note" not in df:
        df["note"] = ""
    return df


def _figures_via_extract_all(path: Path) -> list[dict]:
    # The reconciled path (narrative + tables, whole-department preferred), for when process_file does not use it.
    from countyfiscal.extract import extract_all
    from countyfiscal.ingest import read_document
    from countyfiscal.metadata import describe

    doc = read_document(path)
    meta = describe(doc.text, path.name)
    pdf_path = path if doc.format == "pdf" else None
    return extract_all(doc, meta.get("doc_kind") or "", meta.get("fiscal_year"), pdf_path=pdf_path)


def extract(files: list[Path], via: str = "process_file") -> pd.DataFrame:
    """Figures of each file, keyed like the labels: from ``countyfiscal.pipeline.process_file`` (the pipeline's
    path) or, with ``via="extract_all"``, from ``countyfiscal.extract.extract_all``."""
    from countyfiscal.pipeline import process_file

    rows = []
    for path in files:
        rows.extend(process_file(path).figures if via == "process_file" else _figures_via_extract_all(path))
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=KEY + ["value", "source", "quote", "scale", "decimals", "page"])
    df["code"] = df["code"].fillna("").astype(str)
    df["basis"] = df["basis"].fillna("").astype(str)
    df["fiscal_year"] = pd.to_numeric(df["fiscal_year"], errors="coerce").astype("Int64")
    return df


def _key(row) -> tuple:
    year = row["fiscal_year"]
    return (row["file"], row["measure"], int(year) if pd.notna(year) else None, row["basis"], row["code"])


@dataclass
class Score:
    """What one comparison found; the ``*_rows`` lists hold dicts ready to print."""

    figures: dict[str, tuple[float, str]] = field(default_factory=dict)
    misses: list[dict] = field(default_factory=list)
    wrong: list[dict] = field(default_factory=list)
    unlabelled: list[dict] = field(default_factory=list)


def _pct(num: int, den: int) -> float:
    return round(100.0 * num / den, 2) if den else float("nan")


def score(labels: pd.DataFrame, figures: pd.DataFrame, include_appropriation: bool = False) -> Score:
    """Compare extracted figures with the labels (see the module docstring for the rules)."""
    out = Score()
    whole = labels[labels["note"] == ""]
    approp = labels[labels["note"] == "appropriation"]
    accepted: dict[tuple, list] = {}
    for _, lab in whole.iterrows():
        accepted.setdefault(_key(lab), []).append(lab)
    scope_only: dict[tuple, list] = {}
    for _, lab in approp.iterrows():
        (accepted if include_appropriation else scope_only).setdefault(_key(lab), []).append(lab)
        if include_appropriation:
            scope_only.setdefault(_key(lab), []).append(lab)

    by_key: dict[tuple, list] = {}
    part_by_key: dict[tuple, list] = {}  # rows the extractor scoped to the 一般公共预算 part
    scoped = "scope" in figures.columns
    for _, fig in figures.iterrows():
        part = scoped and fig.get("scope") == "appropriation"
        (part_by_key if part else by_key).setdefault(_key(fig), []).append(fig)

    def agrees(fig, lab) -> bool:
        tol = max(lab["tol"], row_tolerance(fig.get("scale", ""), fig.get("decimals")))
        return abs(Decimal(repr(float(fig["value"]))) - lab["value"]) <= tol + Decimal("0.001")

    def recall(labs: pd.DataFrame, sources: set[str] | None) -> tuple[int, int, list]:
        found, missed = 0, []
        for _, lab in labs.iterrows():
            figs = [f for f in by_key.get(_key(lab), []) if sources is None or f["source"] in sources]
            if any(agrees(f, lab) for f in figs):
                found += 1
            else:
                missed.append((lab, by_key.get(_key(lab), [])))
        return found, len(labs), missed

    text_labels = whole[whole["source"] == "text"]
    f, n, missed = recall(text_labels, None)
    out.figures["recall_text_headline"] = (_pct(f, n), "%")
    out.figures["labels_text_headline"] = (n, "labels")
    for src in ("text", "table"):
        fs, ns, _ = recall(text_labels, {src})
        out.figures[f"recall_text_headline_from_{src}_rows"] = (_pct(fs, ns), "%")
    fa, na, missed_all = recall(whole, None)
    out.figures["recall_all_headline"] = (_pct(fa, na), "%")
    out.figures["labels_all_headline"] = (na, "labels")
    if include_appropriation:
        fp = sum(any(agrees(f, lab) for f in by_key.get(_key(lab), []) + part_by_key.get(_key(lab), []))
                 for _, lab in approp.iterrows())
        out.figures["recall_appropriation_only"] = (_pct(fp, len(approp)), "%")
    for lab, figs in missed_all:
        out.misses.append({
            "file": lab["file"], "measure": lab["measure"], "fiscal_year": lab["fiscal_year"], "basis": lab["basis"],
            "code": lab["code"], "label_value": lab["value"], "label_source": lab["source"], "quote": lab["quote"],
            "extracted": "; ".join(f"{f['value']:.2f} [{f['source']}] «{f['quote']}»" for f in figs) or "nothing",
        })

    totals = {"all": [0, 0], "text": [0, 0], "table": [0, 0]}
    for key, figs in by_key.items():
        labs = accepted.get(key)
        if not labs:
            if key[0] in set(labels["file"]) and is_headline(key[1], key[4]):
                for fig in figs:
                    out.unlabelled.append(_row(fig, "no label for this key" + _scope_hint(fig, scope_only.get(key), agrees)))
            continue
        for fig in figs:
            ok = any(agrees(fig, lab) for lab in labs)
            for bucket in ("all", fig["source"]):
                if bucket in totals:
                    totals[bucket][0] += 1
                    totals[bucket][1] += 0 if ok else 1
            if not ok:
                why = "label " + ", ".join(f"{lab['value']:.2f} «{lab['quote']}»" for lab in labs)
                out.wrong.append(_row(fig, why + _scope_hint(fig, scope_only.get(key), agrees)))
    parts = {}
    for _, lab in approp.iterrows():
        parts.setdefault(_key(lab), []).append(lab)
    for key, figs in part_by_key.items():
        labs = parts.get(key)
        for fig in figs:
            if not labs:
                if key[0] in set(labels["file"]) and is_headline(key[1], key[4]):
                    out.unlabelled.append(_row(fig, "no 一般公共预算-only label for this key (row scoped appropriation)"))
                continue
            ok = any(agrees(fig, lab) for lab in labs)
            for bucket in ("all", fig["source"]):
                if bucket in totals:
                    totals[bucket][0] += 1
                    totals[bucket][1] += 0 if ok else 1
            if not ok:
                out.wrong.append(_row(fig, "一般公共预算-only label " + ", ".join(
                    f"{lab['value']:.2f} «{lab['quote']}»" for lab in labs)))
    for bucket, name in (("all", ""), ("text", "_text_rows"), ("table", "_table_rows")):
        rows, bad = totals[bucket]
        out.figures[f"wrong_per_100{name}"] = (_pct(bad, rows), "per 100 rows")
        out.figures[f"rows_on_labelled_keys{name}"] = (rows, "rows")
    out.figures["unlabelled_headline_rows"] = (len(out.unlabelled), "rows")
    return out


def _scope_hint(fig, labs, agrees) -> str:
    if labs and any(agrees(fig, lab) for lab in labs):
        return " (equals the 一般公共预算-only figure)"
    return ""


def _row(fig, why: str) -> dict:
    return {
        "file": fig["file"], "measure": fig["measure"], "fiscal_year": fig["fiscal_year"], "basis": fig["basis"],
        "code": fig["code"], "value": float(fig["value"]), "source": fig["source"], "page": fig.get("page"),
        "quote": fig["quote"], "why": why,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    ap.add_argument("--labels", default=str(DEFAULT_LABELS))
    ap.add_argument("--include-appropriation", action="store_true")
    ap.add_argument("--via", choices=["process_file", "extract_all"], default="process_file",
                    help="which entry point produces the figures (default: the pipeline's process_file)")
    args = ap.parse_args(argv)
    corpus = Path(args.corpus)
    labels = load_labels(Path(args.labels))
    files = [corpus / name for name in sorted(set(labels["file"]))]
    absent = [p.name for p in files if not p.exists()]
    if absent:
        print(f"missing from {corpus}: {', '.join(absent)}", file=sys.stderr)
        return 2
    result = score(labels, extract(files, args.via), args.include_appropriation)
    for name, (value, unit) in result.figures.items():
        print(f"{name} {value} {unit}")
    err = sys.stderr
    print(f"\n# {len(result.misses)} labels not found (file measure year basis code: label value [source] quote "
          "-> what was extracted on that key)", file=err)
    for m in result.misses:
        print(f"{m['file']} {m['measure']} {m['fiscal_year']} {m['basis']} {m['code']}: {m['label_value']:.2f} "
              f"[{m['label_source']}] «{m['quote']}» -> {m['extracted']}", file=err)
    for title, rows in (("wrong values on labelled keys", result.wrong),
                        ("extracted headline rows on keys no label covers", result.unlabelled)):
        print(f"\n# {len(rows)} {title}", file=err)
        for r in rows:
            print(f"{r['file']} {r['measure']} {r['fiscal_year']} {r['basis']} {r['code']}: {r['value']:.2f} "
                  f"[{r['source']} p{r['page']}] «{r['quote']}» — {r['why']}", file=err)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
