"""Issue #12's figures on real documents nobody tuned on: coverage, identities, keys with two values, accuracy.

Run from the repository root (about a minute on two cores):

    .venv/bin/python benchmarks/bench_wide.py [--out DIR] [--jobs N] [--shared DIR] [--no-extract]

Extracts ``../shared/seeds``, ``../shared/dev-corpus`` and ``../shared/wide-corpus`` in place, each with
``countyfiscal.pipeline.run_extract`` (per-document checks, no text mining) into ``DIR/<corpus>/``, then writes
``DIR/bench_wide.md`` (the tables below, also printed on stdout) and ``DIR/bench_wide.json`` (the same numbers plus
every miss, wrong row, failed identity and silent key, for machines). ``--no-extract`` scores the outputs already in
DIR. DIR defaults to a new temporary folder.

Documents. A disclosure is a document the pipeline read (status ok or partial) with a doc_kind. Duplicates are
dropped twice: by the pipeline's own ``duplicate`` status inside a corpus, and by sha256 across corpora (several
wide files are byte-identical copies of dev files; ``all`` keeps the dev copy). The seeds are extracted only to
score their labels. A figure belongs to a document's headline when its fiscal_year is the document's.

1. Measures yielded: per measure and doc_kind, how many distinct disclosures yield at least one figure of it
   (functional_expenditure: a 3-digit class).

2. Headline coverage: of the (document, headline measure) pairs a document STATES, how many the extractor yields
   (any value: correctness is section 5). functional_expenditure counts as one measure per document.
   - labelled documents (tests/data/dev_labels*.csv, tests/data/wide_labels.csv): a measure is stated when a label
     with a value exists for it on the whole-department scope; ``not stated`` labels and 一般公共预算-only labels
     (note ``appropriation``) are not.
   - unlabelled documents: a textual test on the PDF's own text layer (pypdfium2, whitespace and quote marks
     removed; other formats: the normalised text), independent of the extractor: a measure is stated when one of
     its terms (the measure's terms in resources/measures.yml plus the table words in ``_EXTRA_TERMS``; for
     functional_expenditure the 3-digit class names of resources/functional_classification.csv) is followed within
     ``WINDOW`` characters by an amount (a number with a decimal point or thousands separators, or followed by
     元/万元/亿元, not by %). Staff counts need a number followed by 人. income_grand_total (expenditure_grand_total)
     needs 收入总计 (支出总计) with an amount AND a non-zero 上年结转 (年末/年终结转, 结转下年) amount. A measure
     whose terms never stand before an amount is judged not stated. The test over-counts (a 名词解释 that happens to
     sit before a number counts), so the unlabelled coverage is a lower bound of the true one.

3. Identities on what was extracted, per document (the document's year and basis; per scope when the figures have
   a ``scope`` column): 基本 + 项目 = 支出合计; 人员 + 公用 = 基本; 出国 + 车辆 + 接待 = 三公 (车辆 = the stated
   vehicle total or 购置 + 运行), and 购置 + 运行 = 车辆 total; the 3-digit classes = 支出合计. Checked when every
   term is extracted; where a key holds several values, the identity holds if one value per key satisfies it.
   Within printed rounding: the sum of ``countyfiscal.audit.checks.figure_allowance`` of the figures involved.

4. Keys with two values: key = (file, measure, fiscal_year, basis, code[, scope when the figures have it]) whose
   values differ by more than both figures' printed rounding. Flagged when flags.csv holds a row for that file and
   measure that names both values (a value is named when its quote is among the flag's quotes or the number, in
   元, 万元 or 亿元, appears in its reported/expected/message); silent otherwise.

5. Accuracy on every labelled real document (seeds, dev, wide): recall = stated whole-department labels whose key
   carries an extracted value equal within rounding (half the label's last printed digit plus half the row's, from
   its ``scale``/``decimals``: two roundings of one amount differ by up to both; benchmarks/bench_accuracy.py takes
   the coarser of the two only); appropriation labels are scored on their own line.
   A row on a labelled key is ``wrong`` when it equals no label of the key, ``wrong_scope`` when it equals only the
   一般公共预算-only label on a whole-department key (with a scope column: a row is compared with the labels of its
   own scope; a key labelled on the whole scope only accepts the same value on both scopes). Rows on keys labelled
   ``not stated`` are listed apart. A label file without a note column (dev_labels.csv, seed_labels.csv) has no
   scope: where it gives one key two values, the larger is the whole department and the other the 一般公共预算
   part. sangong_vehicle_total is a target (recall, coverage) only where the 购置/运行 split is not stated, as the
   contract emits it.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import itertools
import json
import re
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
CORPORA = {"seeds": "seeds", "dev": "dev-corpus", "wide": "wide-corpus"}
LABEL_FILES = {
    "seeds": [DATA / "seed_labels.csv"],
    "dev": [DATA / "dev_labels.csv", DATA / "dev_labels_narrative.csv"],
    "wide": [DATA / "wide_labels.csv"],
}
DOCUMENT_FACTS = {"doc_kind", "jurisdiction", "department", "county"}
HEADLINE = [
    "income_total", "expenditure_total", "income_grand_total", "expenditure_grand_total",
    "fiscal_appropriation_income", "basic_expenditure", "project_expenditure", "personnel_expenditure",
    "public_expenditure", "sangong_total", "sangong_overseas", "sangong_vehicle_total", "sangong_vehicle_purchase",
    "sangong_vehicle_operation", "sangong_reception", "agency_operating_expenses", "government_procurement",
    "functional_expenditure", "staff_authorised", "staff_actual",
]
BASIS = {"budget": "budget", "final_account": "actual"}
WINDOW = 30
FEN = 0.005
_QUOTES = re.compile(r"[“”\"‘’'「」『』]")
_AMOUNT = re.compile(r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|\d+(?=亿元|万元|元))(?![\d%％])")
_PERSONS = re.compile(r"(?<![\d.,])\d+(?=人)")
_NONZERO = re.compile(r"[1-9]")
# Table words that name a measure beside the narrative terms of resources/measures.yml.
_EXTRA_TERMS = {
    "income_total": ["收入总计", "收入合计"],
    "expenditure_total": ["支出总计", "支出合计"],
    "fiscal_appropriation_income": ["财政拨款收入", "一般公共预算拨款收入", "财政拨款（补助）收入", "一、财政拨款",
                                    "一、预算拨款"],
    "personnel_expenditure": ["人员经费", "人员支出"],
    "public_expenditure": ["公用经费", "公用支出"],
    "staff_authorised": ["编制人数", "编制数", "核定编制"],
    "staff_actual": ["实有人数", "实有在职", "在职人数", "在职人员"],
}
_CARRY_AMOUNT = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|\d+(?=亿元|万元|元))"
_CARRY_IN = re.compile(r"(?:上年|年初)结转[结余和资金]*[:：]?" + _CARRY_AMOUNT)
_CARRY_OUT = re.compile(r"(?:年末结转|年终结转|结转下年)[结余和资金支出]*[:：]?" + _CARRY_AMOUNT)
_SENTENCE_END = re.compile(r"[。；;]")


def _load_bench_accuracy():
    spec = importlib.util.spec_from_file_location("bench_accuracy", REPO / "benchmarks" / "bench_accuracy.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


accuracy = _load_bench_accuracy()


# --- labels ----------------------------------------------------------------------------------------------------

def _note_scope(note: str) -> tuple[str, bool]:
    """(scope, stated) from a label's note: 'appropriation…' is the 一般公共预算 part; 'not stated…' has no value."""
    note = (note or "").strip()
    if note.startswith("not stated"):
        return "total", False
    return ("appropriation" if note.startswith("appropriation") else "total"), True


def load_labels(files: dict[str, list[Path]] = LABEL_FILES) -> pd.DataFrame:
    """Every label row of the real documents in one frame: corpus, key, value (Decimal or None), tol, scope, stated."""
    rows = []
    for corpus, paths in files.items():
        for path in paths:
            with path.open(encoding="utf-8") as fh:
                raw = [r for r in csv.DictReader(fh) if r["measure"] not in DOCUMENT_FACTS]
            if "note" not in (raw[0] if raw else {}):
                # no scope column: one value per key is the whole department; a key given several values holds the
                # whole department (the largest) and its 一般公共预算 part
                largest: dict[tuple, Decimal] = {}
                for r in raw:
                    k = (r["file"], r["measure"], r["fiscal_year"], r["basis"], r["code"])
                    largest[k] = max(largest.get(k, Decimal(r["value"])), Decimal(r["value"]))
                for r in raw:
                    k = (r["file"], r["measure"], r["fiscal_year"], r["basis"], r["code"])
                    r["note"] = "" if Decimal(r["value"]) == largest[k] else "appropriation"
            for r in raw:
                scope, stated = _note_scope(r.get("note", ""))
                value = Decimal(r["value"]) if stated and r["value"] != "" else None
                rows.append({
                    "corpus": corpus, "label_file": path.name, "file": r["file"], "measure": r["measure"],
                    "fiscal_year": int(r["fiscal_year"]), "basis": r["basis"] or "", "code": r["code"] or "",
                    "value": value, "unit": r.get("unit", ""), "quote": r.get("quote", ""),
                    "source": r.get("source", ""), "note": r.get("note", ""), "scope": scope,
                    "stated": value is not None,
                    "tol": accuracy.label_tolerance(r.get("quote", ""), value) if value is not None else None,
                })
    df = pd.DataFrame(rows)
    # The contract emits sangong_vehicle_total only where a document gives no 购置/运行 split: elsewhere a label of
    # it records what is printed but is no target.
    parts = df[df["stated"] & (df["scope"] == "total")
               & df["measure"].isin(["sangong_vehicle_purchase", "sangong_vehicle_operation"])]
    split = {k for k, g in parts.groupby(["file", "fiscal_year", "basis"]) if g["measure"].nunique() == 2}
    df["target"] = [not (m == "sangong_vehicle_total" and (f, y, b) in split)
                    for m, f, y, b in zip(df["measure"], df["file"], df["fiscal_year"], df["basis"])]
    return df


# --- extraction and outputs --------------------------------------------------------------------------------------

def extract(shared: Path, out: Path, jobs: int) -> None:
    from countyfiscal.pipeline import run_extract

    for corpus, folder in CORPORA.items():
        counts = run_extract(shared / folder, out / corpus, jobs=jobs, progress=False, text_mining=False, checks=True)
        print(f"# extracted {shared / folder}: {counts}", file=sys.stderr)


def read_outputs(out: Path, corpus: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    folder = out / corpus
    docs = pd.read_csv(folder / "documents.csv", dtype=str, keep_default_na=False)
    figs = pd.read_csv(folder / "figures.csv", dtype={"code": str, "basis": str, "scope": str, "scale": str},
                       keep_default_na=False, na_values={"value": [""], "fiscal_year": [""], "decimals": [""]})
    figs["fiscal_year"] = pd.to_numeric(figs["fiscal_year"], errors="coerce").astype("Int64")
    if _has_scope(figs):
        figs["scope"] = figs["scope"].replace("", "total")
    flags_path = folder / "flags.csv"
    flag_columns = ["file", "check", "measure", "code", "reported", "expected", "message", "quotes"]
    flags = (pd.read_csv(flags_path, dtype=str, keep_default_na=False) if flags_path.exists()
             else pd.DataFrame(columns=flag_columns))
    return docs, figs, flags


def disclosures(docs: pd.DataFrame) -> pd.DataFrame:
    """Documents read as disclosures (ok/partial with a doc_kind); the pipeline's duplicates are already out."""
    keep = docs["status"].isin(["ok", "partial"]) & (docs["doc_kind"] != "")
    return docs[keep].copy()


def _has_scope(figs: pd.DataFrame) -> bool:
    return "scope" in figs.columns


def _headline_figures(figs: pd.DataFrame, doc: pd.Series) -> pd.DataFrame:
    f = figs[(figs["file"] == doc["file"])]
    year = int(doc["fiscal_year"]) if doc["fiscal_year"] else None
    return f[f["fiscal_year"] == year] if year is not None else f.iloc[0:0]


def _yields(f: pd.DataFrame, measure: str) -> bool:
    g = f[f["measure"] == measure]
    if measure == "functional_expenditure":
        g = g[g["code"].str.len() == 3]
    return not g.empty


# --- 2. the textual test for unlabelled documents ---------------------------------------------------------------

def _terms() -> dict[str, list[str]]:
    import yaml

    from countyfiscal import extract as _pkg  # only to find resources/

    res = Path(_pkg.__file__).resolve().parents[1] / "resources"
    spec = yaml.safe_load((res / "measures.yml").read_text(encoding="utf-8"))["measures"]
    terms = {m: [_QUOTES.sub("", t) for t in spec.get(m, {}).get("terms", [])] for m in HEADLINE}
    for m, extra in _EXTRA_TERMS.items():
        terms[m] = list(dict.fromkeys(terms.get(m, []) + extra))
    classes = pd.read_csv(res / "functional_classification.csv", dtype=str, keep_default_na=False)
    terms["functional_expenditure"] = sorted(set(classes.loc[classes["code"].str.len() == 3, "label"]))
    return terms


def document_text(path: Path) -> str:
    """The document's own text with whitespace and quote marks removed (a PDF's text layer read by pypdfium2)."""
    if path.suffix.lower() == ".pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(path)
        try:
            text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        finally:
            pdf.close()
    else:
        from countyfiscal.ingest import normalised_text

        text = normalised_text(path)
    return _QUOTES.sub("", re.sub(r"\s+", "", text))


def _term_amount(text: str, term: str, pattern: re.Pattern = _AMOUNT, nonzero: bool = False) -> bool:
    start = 0
    while (i := text.find(term, start)) >= 0:
        window = _SENTENCE_END.split(text[i + len(term): i + len(term) + WINDOW], 1)[0]
        for m in pattern.finditer(window):
            if not nonzero or _NONZERO.search(m.group()):
                return True
        start = i + 1
    return False


def stated_by_text(text: str, terms: dict[str, list[str]]) -> set[str]:
    """Headline measures the text states by the textual test of the module docstring."""
    out = set()
    for measure in HEADLINE:
        if measure in ("income_grand_total", "expenditure_grand_total"):
            grand, carry = (("收入总计", _CARRY_IN) if measure == "income_grand_total" else ("支出总计", _CARRY_OUT))
            if _term_amount(text, grand) and any(_NONZERO.search(m.group(1)) for m in carry.finditer(text)):
                out.add(measure)
            continue
        pattern = _PERSONS if measure.startswith("staff_") else _AMOUNT
        if any(_term_amount(text, t, pattern) for t in terms.get(measure, [])):
            out.add(measure)
    if {"sangong_vehicle_purchase", "sangong_vehicle_operation"} <= out:
        out.discard("sangong_vehicle_total")  # emitted only where the split is not printed (the contract)
    return out


# --- 3. identities ------------------------------------------------------------------------------------------------

def _allow(fig: dict) -> float:
    from countyfiscal.audit.checks import figure_allowance

    return figure_allowance(fig)


Amounts = list[tuple[float, float]]  # (value, allowance) pairs, yuan


def _holds(totals: Amounts, parts: list[Amounts], cap: int = 200_000) -> bool | None:
    """Whether one value per part sums to one of the totals within the summed allowances (None: too many choices)."""
    sums: dict[float, float] = {0.0: 0.0}
    for choices in parts:
        nxt: dict[float, float] = {}
        for s, a in sums.items():
            for v, av in choices:
                k = round(s + v, 2)
                nxt[k] = min(nxt.get(k, float("inf")), a + av)
        if len(nxt) > cap:
            return None
        sums = nxt
    return any(abs(s - t) <= a + at + FEN for s, a in sums.items() for t, at in totals)


def _values(f: pd.DataFrame, measure: str, code_len: int | None = None) -> dict[str, list[tuple[float, float]]]:
    g = f[f["measure"] == measure]
    if code_len is not None:
        g = g[g["code"].str.len() == code_len]
    out: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for rec in g.to_dict("records"):
        pair = (float(rec["value"]), _allow(rec))
        if pair not in out[rec["code"]]:
            out[rec["code"]].append(pair)
    return out


def identities(f: pd.DataFrame) -> list[dict]:
    """The four identities of the module docstring on one document's headline figures (one scope)."""
    one = lambda m: _values(f, m).get("", [])  # noqa: E731
    total, basic, project = one("expenditure_total"), one("basic_expenditure"), one("project_expenditure")
    personnel, public = one("personnel_expenditure"), one("public_expenditure")
    sangong, overseas, reception = one("sangong_total"), one("sangong_overseas"), one("sangong_reception")
    v_total, v_buy = one("sangong_vehicle_total"), one("sangong_vehicle_purchase")
    v_run = one("sangong_vehicle_operation")
    classes = list(_values(f, "functional_expenditure", 3).values())
    checks = []

    def check(name, totals, parts):
        if totals and all(parts):
            checks.append({"identity": name, "held": _holds(totals, parts)})

    check("basic + project = total", total, [basic, project])
    check("personnel + public = basic", basic, [personnel, public])
    vehicle = list(v_total)
    if v_buy and v_run:
        vehicle += [(a + b, aa + ab) for (a, aa), (b, ab) in itertools.product(v_buy, v_run)]
    check("三公 parts = total", sangong, [overseas, vehicle, reception])
    check("车辆 购置 + 运行 = 车辆 total", v_total, [v_buy, v_run])
    check("classes = total", total, classes)
    return checks


# --- 4. keys with two values ----------------------------------------------------------------------------------

_NUM = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _names(flag: dict, fig: dict) -> bool:
    if fig["quote"] and fig["quote"] in (flag.get("quotes") or "").split("|"):
        return True
    numbers = {Decimal(n.replace(",", "")) for part in ("reported", "expected", "message")
               for n in _NUM.findall(flag.get(part) or "")}
    value = Decimal(repr(float(fig["value"])))
    for scale in (Decimal(1), Decimal(10000), Decimal(100000000)):
        v = value / scale
        if any(abs(v - n) <= Decimal("0.0051") for n in numbers):
            return True
    return False


def two_value_keys(figs: pd.DataFrame, flags: pd.DataFrame, files: set[str]) -> list[dict]:
    key = ["file", "measure", "fiscal_year", "basis", "code"] + (["scope"] if _has_scope(figs) else [])
    f = figs[figs["file"].isin(files)]
    by_file_measure: dict[tuple, list[dict]] = defaultdict(list)
    for rec in flags.to_dict("records"):
        by_file_measure[(rec["file"], rec["measure"])].append(rec)
    out = []
    for k, g in f.groupby(key, dropna=False, sort=True):
        recs = g.to_dict("records")
        lo = min(recs, key=lambda r: float(r["value"]))
        hi = max(recs, key=lambda r: float(r["value"]))
        if float(hi["value"]) - float(lo["value"]) <= _allow(hi) + _allow(lo) + FEN:
            continue
        flagged = any(_names(fl, lo) and _names(fl, hi) for fl in by_file_measure.get((k[0], k[1]), []))
        out.append({
            "key": dict(zip(key, k)),
            "values": sorted({float(r["value"]) for r in recs}),
            "quotes": [f"{r['value']:.2f} [{r['source']} p{r['page']}] «{r['quote']}»" for r in recs],
            "flagged": flagged, "headline": k[1] in HEADLINE,
        })
    return out


# --- 5. accuracy ------------------------------------------------------------------------------------------------

@dataclass
class Accuracy:
    labels: int = 0
    found: int = 0
    appropriation_labels: int = 0
    appropriation_found: int = 0
    rows_on_labelled_keys: int = 0
    wrong: list[dict] = field(default_factory=list)
    wrong_scope: list[dict] = field(default_factory=list)
    misses: list[dict] = field(default_factory=list)
    on_not_stated: list[dict] = field(default_factory=list)


def _lkey(r) -> tuple:
    return (r["file"], r["measure"], int(r["fiscal_year"]), r["basis"] or "", r["code"] or "")


def _agrees(fig: dict, lab: dict) -> bool:
    tol = lab["tol"] + accuracy.row_tolerance(fig.get("scale", ""), fig.get("decimals"))
    return abs(Decimal(repr(float(fig["value"]))) - lab["value"]) <= tol + Decimal("0.001")


def _row(fig: dict, why: str) -> dict:
    return {"file": fig["file"], "measure": fig["measure"], "fiscal_year": int(fig["fiscal_year"]),
            "basis": fig["basis"], "code": fig["code"], "scope": fig.get("scope", ""), "value": float(fig["value"]),
            "source": fig["source"], "page": _page(fig.get("page")), "quote": fig["quote"], "why": why}


def _page(page) -> int | None:
    try:
        return int(page)
    except (TypeError, ValueError):
        return None


def score_accuracy(labels: pd.DataFrame, figs: pd.DataFrame) -> Accuracy:
    acc = Accuracy()
    scoped = _has_scope(figs)
    labs: dict[tuple, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    not_stated: set[tuple] = set()
    for lab in labels.to_dict("records"):
        if lab["stated"]:
            labs[_lkey(lab)][lab["scope"]].append(lab)
        else:
            not_stated.add(_lkey(lab))
    got: dict[tuple, list[dict]] = defaultdict(list)
    for fig in figs[figs["file"].isin(set(labels["file"]))].to_dict("records"):
        if pd.isna(fig["fiscal_year"]) or pd.isna(fig["value"]):
            continue
        got[_lkey(fig)].append(fig)

    def fig_scope(fig) -> str:
        return (fig.get("scope") or "total") if scoped else "total"

    for key, by_scope in labs.items():
        for scope, items in by_scope.items():
            for lab in items:
                cands = [f for f in got.get(key, []) if not scoped or fig_scope(f) == scope]
                ok = any(_agrees(f, lab) for f in cands)
                if not lab["target"]:
                    continue
                if scope == "total":
                    acc.labels += 1
                    acc.found += ok
                    if not ok:
                        acc.misses.append({
                            "file": lab["file"], "measure": lab["measure"], "fiscal_year": lab["fiscal_year"],
                            "basis": lab["basis"], "code": lab["code"], "label": float(lab["value"]),
                            "quote": lab["quote"], "source": lab["source"],
                            "extracted": "; ".join(f"{f['value']:.2f} [{f['source']}] «{f['quote']}»"
                                                   for f in got.get(key, [])) or "nothing"})
                else:
                    acc.appropriation_labels += 1
                    acc.appropriation_found += ok
        for fig in got.get(key, []):
            acc.rows_on_labelled_keys += 1
            own = by_scope.get(fig_scope(fig)) or by_scope.get("total") or []
            if any(_agrees(fig, lab) for lab in own):
                continue
            other = [lab for s, items in by_scope.items() if s != fig_scope(fig) for lab in items]
            if any(_agrees(fig, lab) for lab in other):
                acc.wrong_scope.append(_row(fig, "equals the label of the other scope: " + ", ".join(
                    f"{s} {float(lab['value']):.2f}" for s, items in by_scope.items() for lab in items)))
            else:
                acc.wrong.append(_row(fig, "label " + ", ".join(
                    f"{s} {float(lab['value']):.2f} «{lab['quote']}»"
                    for s, items in by_scope.items() for lab in items)))
    for key in sorted(not_stated - set(labs)):
        for fig in got.get(key, []):
            if not scoped or fig_scope(fig) == "total":
                acc.on_not_stated.append(_row(fig, "the labels say the document does not state this"))
    return acc


# --- the report -------------------------------------------------------------------------------------------------

def _pct(a: int, b: int) -> float | None:
    return round(100.0 * a / b, 1) if b else None


def _fmt_pct(a: int, b: int) -> str:
    return f"{a}/{b} ({_pct(a, b)} %)" if b else "—"


def evaluate(out: Path, shared: Path, labels: pd.DataFrame) -> dict:
    tables = {c: read_outputs(out, c) for c in CORPORA}
    terms = _terms()
    result: dict = {"documents": {}, "measures": {}, "coverage": {}, "identities": {}, "two_values": {},
                    "accuracy": {}, "rejected": {}}

    # documents of each view: dev, wide, all (= dev + wide, byte-identical copies once)
    docs = {c: disclosures(tables[c][0]).assign(corpus=c) for c in ("dev", "wide")}
    seen_sha = set(docs["dev"]["sha256"])
    views = {
        "dev": docs["dev"], "wide": docs["wide"],
        "wide, not in dev": docs["wide"][~docs["wide"]["sha256"].isin(seen_sha)],
        "all": pd.concat([docs["dev"], docs["wide"][~docs["wide"]["sha256"].isin(seen_sha)]]),
    }
    for c in ("seeds", "dev", "wide"):
        d = tables[c][0]
        result["documents"][c] = {"files": len(d), **d["status"].value_counts().to_dict(),
                                  "disclosures": len(disclosures(d))}
        result["rejected"][c] = d.loc[d["status"] == "rejected", ["file", "reason"]].to_dict("records")
    figs = {c: tables[c][1] for c in CORPORA}
    flags = {c: tables[c][2] for c in CORPORA}
    labelled = {c: set(labels.loc[labels["corpus"] == c, "file"]) for c in CORPORA}

    texts: dict[str, set[str]] = {}
    for view, d in views.items():
        measures = defaultdict(lambda: defaultdict(int))
        kinds = d["doc_kind"].value_counts().to_dict()
        cov = {"labelled": [0, 0], "unlabelled": [0, 0]}
        misses, ident, silent_keys = [], defaultdict(lambda: [0, 0]), []
        failed_identities = []
        two = []
        for doc in d.to_dict("records"):
            c = doc["corpus"]
            f = _headline_figures(figs[c], pd.Series(doc))
            for m in HEADLINE:
                if _yields(f, m):
                    measures[m][doc["doc_kind"]] += 1
            if doc["file"] in labelled[c]:
                lab = labels[(labels["corpus"] == c) & (labels["file"] == doc["file"]) & labels["stated"]
                             & labels["target"] & (labels["scope"] == "total") & labels["measure"].isin(HEADLINE)]
                stated, group = set(lab["measure"]), "labelled"
            else:
                if doc["file"] not in texts:
                    texts[doc["file"]] = stated_by_text(document_text(shared / CORPORA[c] / doc["file"]), terms)
                stated, group = texts[doc["file"]], "unlabelled"
            for m in sorted(stated):
                cov[group][1] += 1
                if _yields(f, m):
                    cov[group][0] += 1
                else:
                    misses.append({"file": doc["file"], "measure": m, "group": group})
            basis = BASIS.get(doc["doc_kind"])
            fb = f[f["basis"] == basis] if basis else f
            groups = fb.groupby("scope") if _has_scope(fb) else [("all", fb)]
            for scope, g in groups:
                for chk in identities(g):
                    ident[chk["identity"]][1] += 1
                    ident[chk["identity"]][0] += bool(chk["held"])
                    if not chk["held"]:
                        failed_identities.append({"file": doc["file"], "scope": scope, **chk})
            two.extend(two_value_keys(figs[c], flags[c], {doc["file"]}))
        result["measures"][view] = {"documents_by_kind": kinds, "yield": {m: dict(v) for m, v in measures.items()}}
        result["coverage"][view] = {
            g: {"extracted": a, "stated": b, "pct": _pct(a, b)} for g, (a, b) in cov.items()}
        both = [sum(cov[g][i] for g in cov) for i in (0, 1)]
        result["coverage"][view]["all"] = {"extracted": both[0], "stated": both[1], "pct": _pct(*both)}
        result["coverage"][view]["misses"] = misses
        held = sum(v[0] for v in ident.values())
        checked = sum(v[1] for v in ident.values())
        result["identities"][view] = {"by_identity": {k: {"held": v[0], "checked": v[1]} for k, v in ident.items()},
                                      "held": held, "checked": checked, "pct": _pct(held, checked),
                                      "failed": failed_identities}
        silent = [k for k in two if not k["flagged"]]
        result["two_values"][view] = {
            "keys": len(two), "flagged": len(two) - len(silent), "silent": len(silent),
            "headline_keys": sum(k["headline"] for k in two),
            "headline_silent": sum(k["headline"] for k in silent), "list": two}

    # how far the textual test is from the labels where the labels say both what is and what is not stated
    agree = test_only = labels_only = 0
    disagreements = []
    complete = labels[(labels["corpus"] == "wide") & labels["measure"].isin(HEADLINE)]
    for file, g in complete.groupby("file"):
        lab = set(g.loc[g["stated"] & g["target"] & (g["scope"] == "total"), "measure"])
        test = stated_by_text(document_text(shared / CORPORA["wide"] / file), terms)
        agree += len(HEADLINE) - len(test ^ lab)
        test_only += len(test - lab)
        labels_only += len(lab - test)
        disagreements += [{"file": file, "measure": m, "stated_by": "test only"} for m in sorted(test - lab)]
        disagreements += [{"file": file, "measure": m, "stated_by": "labels only"} for m in sorted(lab - test)]
    result["textual_test_vs_labels"] = {"documents": complete["file"].nunique(), "agree": agree,
                                        "test_only": test_only, "labels_only": labels_only,
                                        "disagreements": disagreements}

    for c in CORPORA:
        acc = score_accuracy(labels[labels["corpus"] == c], figs[c])
        result["accuracy"][c] = _acc_dict(acc)
    total = score_accuracy(labels, pd.concat([figs[c] for c in CORPORA], ignore_index=True))
    result["accuracy"]["all"] = _acc_dict(total)
    return result


def _acc_dict(acc: Accuracy) -> dict:
    return {"labels": acc.labels, "found": acc.found, "recall_pct": _pct(acc.found, acc.labels),
            "appropriation_labels": acc.appropriation_labels, "appropriation_found": acc.appropriation_found,
            "rows_on_labelled_keys": acc.rows_on_labelled_keys, "wrong": len(acc.wrong),
            "wrong_scope": len(acc.wrong_scope), "on_not_stated": len(acc.on_not_stated),
            "misses": acc.misses, "wrong_rows": acc.wrong, "wrong_scope_rows": acc.wrong_scope,
            "not_stated_rows": acc.on_not_stated}


def markdown(r: dict) -> str:
    views = list(r["coverage"])
    lines = ["### Documents", "", "| corpus | files | ok | partial | rejected | duplicate | disclosures |",
             "|---|---|---|---|---|---|---|"]
    for c, d in r["documents"].items():
        lines.append(f"| {c} | {d['files']} | {d.get('ok', 0)} | {d.get('partial', 0)} | {d.get('rejected', 0)} | "
                     f"{d.get('duplicate', 0)} | {d['disclosures']} |")
    kinds = sorted({k for v in r["measures"].values() for k in v["documents_by_kind"]})
    lines += ["", "### Measures yielded (distinct disclosures with at least one figure of the measure, dev + wide)", "",
              "| measure | " + " | ".join(kinds) + " |", "|---|" + "---|" * len(kinds)]
    allm = r["measures"]["all"]
    for m in HEADLINE:
        cells = [f"{allm['yield'].get(m, {}).get(k, 0)}/{allm['documents_by_kind'][k]}" for k in kinds]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    lines += ["", "### Headline coverage (pairs the documents state → extracted)", "",
              "| documents | labelled | unlabelled (textual test) | all |", "|---|---|---|---|"]
    for v in views:
        cv = r["coverage"][v]
        lines.append(f"| {v} | " + " | ".join(_fmt_pct(cv[g]["extracted"], cv[g]["stated"])
                                              for g in ("labelled", "unlabelled", "all")) + " |")
    t = r["textual_test_vs_labels"]
    which = lambda by: ", ".join(f"{d['file'][:4]} {d['measure']}"  # noqa: E731
                                 for d in t["disagreements"] if d["stated_by"] == by)
    lines += ["", f"The textual test against the wide labels ({t['documents']} documents × {len(HEADLINE)} measures): "
              f"agrees on {t['agree']}; says stated where the labels do not on {t['test_only']} ({which('test only')}"
              f"); misses {t['labels_only']} ({which('labels only')})."]
    idents = sorted({k for v in views for k in r["identities"][v]["by_identity"]})
    lines += ["", "### Identities on what was extracted (held / checked)", "",
              "| identity | " + " | ".join(views) + " |", "|---|" + "---|" * len(views)]
    for k in idents:
        cells = []
        for v in views:
            x = r["identities"][v]["by_identity"].get(k)
            cells.append(f"{x['held']}/{x['checked']}" if x else "—")
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    lines.append("| **all** | " + " | ".join(_fmt_pct(r["identities"][v]["held"], r["identities"][v]["checked"])
                                           for v in views) + " |")
    lines += ["", "### Keys with two values (beyond printed rounding)", "",
              "| documents | keys | flagged | silent | of which headline: keys / silent |", "|---|---|---|---|---|"]
    for v in views:
        t = r["two_values"][v]
        lines.append(f"| {v} | {t['keys']} | {t['flagged']} | {t['silent']} | {t['headline_keys']} / "
                     f"{t['headline_silent']} |")
    lines += ["", "### Accuracy on the labelled real documents", "",
              "| labels | whole-department labels found (recall) | 一般公共预算-only labels found | rows on labelled "
              "keys | wrong | wrong scope | rows on keys labelled not stated |", "|---|---|---|---|---|---|---|"]
    for c, a in r["accuracy"].items():
        lines.append(f"| {c} | {_fmt_pct(a['found'], a['labels'])} | "
                     f"{_fmt_pct(a['appropriation_found'], a['appropriation_labels'])} | {a['rows_on_labelled_keys']} "
                     f"| {a['wrong']} | {a['wrong_scope']} | {a['on_not_stated']} |")
    return "\n".join(lines) + "\n"


def details(r: dict) -> str:
    """The misses, wrong rows, failed identities and silent keys, one per line (stderr)."""
    out = []
    a = r["accuracy"]["all"]
    out.append(f"# {len(a['misses'])} labels not found")
    out += [f"{m['file']} {m['measure']} {m['code']}: {m['label']:.2f} [{m['source']}] «{m['quote']}» -> "
            f"{m['extracted']}" for m in a["misses"]]
    for name, rows in (("wrong rows", a["wrong_rows"]), ("wrong-scope rows", a["wrong_scope_rows"]),
                       ("rows on keys labelled not stated", a["not_stated_rows"])):
        out.append(f"\n# {len(rows)} {name}")
        out += [f"{x['file']} {x['measure']} {x['code']} {x['scope']}: {x['value']:.2f} [{x['source']} p{x['page']}] "
                f"«{x['quote']}» — {x['why']}" for x in rows]
    for v in ("wide", "dev"):
        fails = r["identities"][v]["failed"]
        out.append(f"\n# {len(fails)} failed identities ({v})")
        out += [f"{x['file']} [{x['scope']}] {x['identity']}" + (" (undecided)" if x["held"] is None else "")
                for x in fails]
        silent = [k for k in r["two_values"][v]["list"] if not k["flagged"]]
        out.append(f"\n# {len(silent)} silent keys with two values ({v})")
        out += [f"{k['key']['file']} {k['key']['measure']} {k['key']['code']}: " + " | ".join(k["quotes"])
                for k in silent]
        miss = [m for m in r["coverage"][v]["misses"]]
        out.append(f"\n# {len(miss)} stated headline measures not extracted ({v})")
        out += [f"{m['file']} {m['measure']} ({m['group']})" for m in miss]
    return "\n".join(out) + "\n"


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, Decimal):
        return float(x)
    if x is pd.NA or (isinstance(x, float) and x != x):
        return None
    if hasattr(x, "item"):
        return x.item()
    return x


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="output folder (default: a new temporary folder)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--shared", default=str(REPO.parent / "shared"), help="folder holding seeds/, dev-corpus/, "
                    "wide-corpus/ (default ../shared)")
    ap.add_argument("--no-extract", action="store_true", help="score the outputs already in --out")
    args = ap.parse_args(argv)
    shared = Path(args.shared)
    missing = [str(shared / f) for f in CORPORA.values() if not (shared / f).is_dir()]
    if missing:
        print(f"missing corpora: {', '.join(missing)}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bench_wide_"))
    out.mkdir(parents=True, exist_ok=True)
    if not args.no_extract:
        extract(shared, out, args.jobs)
    labels = load_labels()
    result = evaluate(out, shared, labels)
    text = markdown(result)
    (out / "bench_wide.md").write_text(text, encoding="utf-8")
    (out / "bench_wide.json").write_text(json.dumps(_jsonable(result), ensure_ascii=False, indent=1),
                                         encoding="utf-8")
    sys.stdout.write(text)
    sys.stderr.write(details(result))
    print(f"\n# written: {out / 'bench_wide.md'}, {out / 'bench_wide.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
