"""Issue #15's audit figures: problems planted into real disclosures, caught per class; flags on the clean originals.

Run from the repository root (a few minutes on two cores):

    .venv/bin/python benchmarks/bench_audit.py [--out DIR] [--shared DIR] [--jobs N] [--corpora seeds,dev,wide]

Writes ``DIR/bench_audit.md`` (the tables, also printed) and ``DIR/bench_audit.json`` (every plant, every flag on a
clean document); DIR defaults to a new temporary folder.

Documents: every disclosure (status ok or partial, with a doc_kind) of ``../shared/seeds`` (the five .txt 决算/预算),
``../shared/dev-corpus`` and ``../shared/wide-corpus`` (PDFs; a wide file byte-identical to a dev file, or a
duplicate inside its corpus, is read once). Each document is read by ``pipeline.process_file`` and checked by
``checks.check_document``, with the flags raised while reading (``FileResult.doc_flags``), as a worker does.

Plants. Nine classes, each applied to every document where the document has the spot it needs (the planted count
says where that was):

- text plants, made in the document's normalised text, which is then read as a .txt (for a PDF its tables are then
  not read; the plant is compared with the same text unplanted, read the same way):
  1. ``placeholder``: the department's name (else 本部门) at its second mention replaced by "XX局" ("XX部门");
  2. ``heading_year``: the last heading "YYYY年度部门预算/决算…" naming the fiscal year given the year before (where
     another heading still names the year);
  3. ``year_end_date``: "截至YYYY年12月31日/年末" given a year three before the fiscal year;
  6. ``grand_total_zero``: a total (收、支总计, 收支总预算, 收入/支出预算) stated with a change and its percentage in
     the same sentence set to 0 (the change no longer fits);
  7–9. ``item_wording_greater/less/equal``: a final account's item line "…（项）：支出决算为Y万元…，决算数等于预算数"
     rewritten as "…（项）：年初预算为X万元，支出决算为Y万元，决算数{大于, 小于, 等于}预算数" with X chosen so the
     wording is wrong (大于 where Y < X, 小于 where Y > X, 等于 where Y ≠ X); a line listing several 项 keeps its first.
- PDF plants, made with pypdfium2 in the PDF itself (so its tables are read as published):
  4. ``toc_table_missing``: in a document whose table of contents lists its tables, the page(s) of its “三公” table
     (else its 政府性基金 table) deleted, where no other table shares them;
  5. ``sangong_cells_blank``: every amount of its “三公” table removed (the text objects of the cells), where its
     narrative states a “三公” budget.

A plant is caught when the planted document raises a flag the clean one does not, of the check meant to catch it
(placeholder; document_year; completeness; table_vs_text; year_on_year, table_vs_text or restatement; wording) whose
quotes or message hold the planted words. "cites both" counts the caught flags whose message quotes (the end of)
each statement the flag lists. False alarms: the flags of each clean original, by status (mismatch is an alarm;
rounding says a difference is within the printed precision; insufficient_data that a check could not be made); the
wide corpus's are listed one by one for reading.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPORA = {"seeds": "seeds", "dev": "dev-corpus", "wide": "wide-corpus"}
TEXT_CLASSES = ["placeholder", "heading_year", "year_end_date", "grand_total_zero", "item_wording_greater",
                "item_wording_less", "item_wording_equal"]
PDF_CLASSES = ["toc_table_missing", "sangong_cells_blank"]
CLASSES = ["placeholder", "heading_year", "year_end_date", "toc_table_missing", "sangong_cells_blank",
           "grand_total_zero", "item_wording_greater", "item_wording_less", "item_wording_equal"]
EXPECTED = {"placeholder": {"placeholder"}, "heading_year": {"document_year"}, "year_end_date": {"document_year"},
            "toc_table_missing": {"completeness"}, "sangong_cells_blank": {"table_vs_text"},
            "grand_total_zero": {"year_on_year", "table_vs_text", "restatement"},
            "item_wording_greater": {"wording"}, "item_wording_less": {"wording"}, "item_wording_equal": {"wording"}}


# --- reading and checking one file, as a worker does ----------------------------------------------------------

def read_and_check(path: str) -> dict:
    from countyfiscal.audit.checks import check_document
    from countyfiscal.pipeline import process_file

    res = process_file(path)
    doc = res.document
    flags = []
    if doc["status"] in ("ok", "partial"):
        flags = list(res.doc_flags) + check_document(res.figures, doc, res.text)
    keep = ("file", "check", "status", "measure", "code", "basis", "reported", "expected", "message", "quotes",
            "pages", "origin")
    return {"document": {k: doc.get(k) for k in ("file", "status", "reason", "doc_kind", "fiscal_year", "department",
                                                 "sha256")},
            "flags": [{k: f.get(k) for k in keep} for f in flags],
            "figures": [{k: f.get(k) for k in ("measure", "fiscal_year", "basis", "value", "source")}
                        for f in res.figures]}


# --- text plants ----------------------------------------------------------------------------------------------

def plant_placeholder(text: str, doc: dict):
    dept = doc.get("department") or ""
    for name, repl in ((dept, "XX局"), ("本部门", "XX部门")):
        if len(name) >= 3:
            first = text.find(name)
            second = text.find(name, first + len(name)) if first >= 0 else -1
            if second >= 0:
                return text[:second] + repl + text[second + len(name):], repl
    return None


def plant_heading_year(text: str, doc: dict):
    from countyfiscal.audit.checks import TITLE_YEAR

    fy = doc.get("fiscal_year")
    hits = [m for m in TITLE_YEAR.finditer(text) if int(m.group("y")) == fy]
    if not fy or len(hits) < 2:
        return None  # (the one heading naming the year is where the year is read from: nothing left to contradict)
    m = hits[-1]  # a heading of the body rather than the cover's title
    new = str(fy - 1) + text[m.start("y") + 4:m.end()]
    return text[:m.start("y")] + new + text[m.end():], new


def plant_year_end_date(text: str, doc: dict):
    from countyfiscal.audit.checks import YEAR_END_DATE

    fy = doc.get("fiscal_year")
    m = next(iter(YEAR_END_DATE.finditer(text)), None) if fy else None
    if m is None:
        return None
    new = text[m.start():m.start("y")] + str(fy - 3) + text[m.end("y"):m.end()]
    return text[:m.start()] + new + text[m.end():], new


GRAND = re.compile(r"(?P<term>收、支总计|收支总计|收入支出总计|收、支总预算|收支总预算|收入预算|支出预算|收入总计)"
                   r"(?P<gap>[^0-9。；，,]{0,12}?)(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>万元|元)"
                   r"(?P<rest>[^。；]{0,60}?(?:增加|减少)\s*\d[\d,]*(?:\.\d+)?\s*(?:万元|元)[^。；]{0,12}?(?:增长|下降)"
                   r"\s*\d+(?:\.\d+)?\s*[%％])")


def plant_grand_total_zero(text: str, doc: dict):
    for m in GRAND.finditer(text):
        if re.search(r"财政拨款|一般公共预算|政府性基金", text[max(0, m.start() - 12):m.start()]):
            continue
        new = m.group("term") + m.group("gap") + "0" + m.group("unit")
        return text[:m.start()] + new + text[m.end("unit"):], new
    # The change stated in the next sentence ("收、支总计均为295.02万元。与2022年度相比，收、支总计各增加…，增长6%").
    m = re.search(r"(?P<term>收、支总计|收支总计|收入支出总计)(?P<gap>均为|各为|为)\s*(?P<num>\d[\d,]*(?:\.\d+)?)\s*"
                  r"(?P<unit>万元|元)。[^。]{0,30}(?P=term)[^。]{0,6}(?:增加|减少)[^。]{0,20}(?:增长|下降)", text)
    if m is None:
        return None
    new = m.group("term") + m.group("gap") + "0" + m.group("unit")
    return text[:m.start()] + new + text[m.end("unit"):], new


ITEM = re.compile(r"(?P<chain>[^\n。]{0,160}?（项）)(?P<more>[^\n。:：]{0,200}?)[:：]\s*(?P<verb>支出决算数?为)\s*"
                  r"(?P<y>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>万元|元)(?P<tail>[^。\n]*?决算数等于预算数)")
WORDING = {"item_wording_greater": ("大于", 1.05), "item_wording_less": ("小于", 0.9), "item_wording_equal": ("等于", 1.02)}


def plant_item_wording(text: str, doc: dict, which: str):
    if doc.get("doc_kind") != "final_account":
        return None
    items = list(ITEM.finditer(text))
    k = list(WORDING).index(which)
    if len(items) <= k:
        return None
    m = items[k]
    op, factor = WORDING[which]
    y = float(m.group("y").replace(",", ""))
    if y <= 0:
        return None
    x = f"{y * factor:.2f}"
    new = (f"{m.group('chain')}：年初预算为{x}{m.group('unit')}，支出决算为{m.group('y')}{m.group('unit')}，"
           f"决算数{op}预算数")
    return text[:m.start()] + new + text[m.end():], f"决算数{op}预算数"


TEXT_PLANTS = {"placeholder": plant_placeholder, "heading_year": plant_heading_year,
               "year_end_date": plant_year_end_date, "grand_total_zero": plant_grand_total_zero,
               **{w: (lambda text, doc, w=w: plant_item_wording(text, doc, w)) for w in WORDING}}


# --- PDF plants (pypdfium2) -----------------------------------------------------------------------------------

def _page_of(starts: list[int], offset: int) -> int:
    import bisect

    return bisect.bisect_right(starts, offset) - 1


def _tables_and_pages(path: Path):
    from countyfiscal.audit.completeness import table_titles
    from countyfiscal.ingest import read_document

    doc = read_document(path)
    return doc, table_titles(doc.text)


def plant_toc_table_missing(path: Path, out: Path):
    import pypdfium2 as pdfium

    doc, titles = _tables_and_pages(path)
    listed = {t.kind for t in titles if t.listed}
    tables = [t for t in titles if not t.listed]
    if not listed or not doc.page_starts:
        return None
    for kind in ("sangong", "government_fund"):
        mine = [t for t in tables if t.kind == kind]
        if kind not in listed or not mine:
            continue
        first = _page_of(doc.page_starts, mine[0].start)
        last = _page_of(doc.page_starts, max(mine[-1].region_end - 1, mine[-1].start))
        others = [t for t in tables if t.kind != kind and first <= _page_of(doc.page_starts, t.start) <= last]
        if others:
            continue  # another table shares the page: deleting it would delete that one too
        pdf = pdfium.PdfDocument(path)
        for i in range(last, first - 1, -1):
            pdf.del_page(i)
        pdf.save(out)
        pdf.close()
        entry = next(t for t in titles if t.listed and t.kind == kind)
        return out, entry.title
    return None


NUMERIC = re.compile(r"^\s*\d[\d,]*\.\d+\s*$")


def plant_sangong_cells_blank(path: Path, out: Path):
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc, titles = _tables_and_pages(path)
    mine = [t for t in titles if not t.listed and t.kind == "sangong"]
    if not mine or not doc.page_starts:
        return None
    pdf = pdfium.PdfDocument(path)
    removed = 0
    for t in mine:
        first = _page_of(doc.page_starts, t.start)
        last = _page_of(doc.page_starts, max(t.region_end - 1, t.start))
        for i in (first,):  # (a “三公” table fits on its page; after it may come the narrative)
            page = pdf[i]
            textpage = page.get_textpage()
            objs = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT], textpage=textpage))
            top, bottom = page.get_height(), 0.0
            # The table's stretch of the page: below its title (on its first page), above the next title.
            for o in objs:
                text = o.extract()
                squeezed = "".join(text.split())
                if i == first and squeezed and squeezed in "".join(t.title.split()) and len(squeezed) >= 4:
                    top = min(top, o.get_bounds()[1])
            nxt = [u for u in titles if not u.listed and u.start > t.start and _page_of(doc.page_starts, u.start) == i]
            for o in objs:  # the table ends at the next title, a part heading or a sentence below it
                squeezed = "".join(o.extract().split())
                bounds = o.get_bounds()
                if bounds[3] >= top:
                    continue
                if (nxt and len(squeezed) >= 4 and squeezed in "".join(nxt[0].title.split())) \
                        or re.match(r"第.{1,3}部分|[一二三四五六七八九十]+、", squeezed) or "。" in squeezed:
                    bottom = max(bottom, bounds[3])
            for o in objs:
                left, b, right, tp = o.get_bounds()
                if bottom <= b and tp <= top and NUMERIC.match(o.extract()):
                    page.remove_obj(o)
                    removed += 1
            page.gen_content()
    if not removed:
        pdf.close()
        return None
    pdf.save(out)
    pdf.close()
    return out, mine[0].title


PDF_PLANTS = {"toc_table_missing": plant_toc_table_missing, "sangong_cells_blank": plant_sangong_cells_blank}


# --- the run --------------------------------------------------------------------------------------------------

def _squeeze(s: str) -> str:
    return "".join(str(s or "").split())


def _key(f: dict) -> tuple:
    return (f["check"], f["status"], f["measure"], f["code"], _squeeze(f["quotes"]))


def _cites_all(f: dict) -> bool:
    quotes = [q for q in str(f.get("quotes") or "").split("|") if q]
    message = _squeeze(f.get("message"))
    return bool(quotes) and all(_squeeze(q)[-12:] in message for q in quotes)


def disclosures(shared: Path, corpora: list[str], jobs: int) -> list[tuple[str, Path, dict]]:
    """(corpus, path, clean result) of each disclosure, duplicates read once."""
    paths = [(c, p) for c in corpora for p in sorted((shared / CORPORA[c]).iterdir())
             if p.is_file() and p.suffix.lower() in (".txt", ".pdf", ".docx", ".html")]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(read_and_check, [str(p) for _, p in paths]))
    out, seen = [], set()
    for (corpus, path), res in zip(paths, results):
        doc = res["document"]
        if doc["status"] not in ("ok", "partial") or not doc["doc_kind"] or doc["sha256"] in seen:
            continue
        seen.add(doc["sha256"])
        out.append((corpus, path, res))
    return out


def make_plants(docs, tmp: Path) -> list[dict]:
    """Every plant that applies: class, corpus, source file, the planted file, the file to compare with, fragment."""
    from countyfiscal.ingest import normalised_text

    plants = []
    for corpus, path, res in docs:
        doc = res["document"]
        stem = f"{corpus}__{path.stem}"
        text = normalised_text(path)
        clean_txt = tmp / f"{stem}__clean.txt"
        clean_txt.write_text(text, encoding="utf-8")
        for cls, fn in TEXT_PLANTS.items():
            got = fn(text, doc)
            if got is None:
                continue
            planted, fragment = got
            target = tmp / f"{stem}__{cls}.txt"
            target.write_text(planted, encoding="utf-8")
            plants.append({"class": cls, "corpus": corpus, "file": path.name, "planted": str(target),
                           "clean": str(clean_txt), "fragment": fragment})
        if path.suffix.lower() == ".pdf":
            for cls, fn in PDF_PLANTS.items():
                try:
                    got = fn(path, tmp / f"{stem}__{cls}.pdf")
                except Exception as exc:  # a PDF pypdfium2 cannot edit: not planted, said so
                    print(f"{path.name}: {cls} not planted ({exc})", file=sys.stderr)
                    continue
                if got is None:
                    continue
                target, fragment = got
                plants.append({"class": cls, "corpus": corpus, "file": path.name, "planted": str(target),
                               "clean": str(path), "fragment": fragment})
    return plants


def evaluate(plants: list[dict], results: dict[str, dict]) -> None:
    for p in plants:
        clean = {_key(f) for f in results[p["clean"]]["flags"]}
        new = [f for f in results[p["planted"]]["flags"] if _key(f) not in clean]
        frag = _squeeze(p["fragment"])
        hits = [f for f in new if f["check"] in EXPECTED[p["class"]]
                and (frag in _squeeze(f["quotes"]) or frag in _squeeze(f["message"]))]
        p["caught"] = bool(hits)
        p["cites_both"] = any(_cites_all(f) for f in hits)
        p["flag"] = hits[0] if hits else None
        p["new_flags"] = new


def report(docs, plants: list[dict]) -> tuple[str, dict]:
    lines = ["### Planted problems (caught / planted)", "",
             "| class | seeds | dev | wide | all | caught flags citing every statement |", "|---|---|---|---|---|---|"]
    summary = {"classes": {}, "clean": {}}
    for cls in CLASSES:
        cells, total = [], [0, 0, 0]
        for corpus in CORPORA:
            ps = [p for p in plants if p["class"] == cls and p["corpus"] == corpus]
            caught = sum(p["caught"] for p in ps)
            cells.append(f"{caught}/{len(ps)}" if ps else "—")
            total[0] += caught
            total[1] += len(ps)
            total[2] += sum(p["cites_both"] for p in ps)
        summary["classes"][cls] = {"caught": total[0], "planted": total[1], "cites_all": total[2]}
        lines.append(f"| {cls} | {' | '.join(cells)} | {total[0]}/{total[1]} | {total[2]}/{total[0]} |")
    n_caught = sum(1 for c in summary["classes"].values() if c["planted"] and c["caught"] == c["planted"])
    n_any = sum(1 for c in summary["classes"].values() if c["caught"])
    lines += ["", f"Classes caught wherever planted: {n_caught} of {len(CLASSES)}; caught at least once: {n_any} of "
              f"{len(CLASSES)}.", ""]
    lines += ["### Flags on the clean originals (per document)", "",
              "| corpus | documents | mismatch | insufficient_data | rounding | documents with a mismatch |",
              "|---|---|---|---|---|---|"]
    for corpus in CORPORA:
        ds = [(p, r) for c, p, r in docs if c == corpus]
        if not ds:
            continue
        status = Counter(f["status"] for _, r in ds for f in r["flags"])
        with_alarm = sum(any(f["status"] == "mismatch" for f in r["flags"]) for _, r in ds)
        summary["clean"][corpus] = {"documents": len(ds), **status, "documents_with_mismatch": with_alarm}
        lines.append(f"| {corpus} | {len(ds)} | {status.get('mismatch', 0)} ({status.get('mismatch', 0) / len(ds):.2f}"
                     f"/doc) | {status.get('insufficient_data', 0)} | {status.get('rounding', 0)} | {with_alarm} |")
    lines += ["", "### Every mismatch and insufficient_data flag on a clean original", ""]
    for corpus, path, res in docs:
        for f in res["flags"]:
            if f["status"] != "rounding":
                lines.append(f"- {corpus} `{path.name}` {f['check']} {f['status']}: {f['message']}")
    lines += ["", "### Plants not caught", ""]
    for p in plants:
        if not p["caught"]:
            lines.append(f"- {p['class']} in {p['corpus']} `{p['file']}` («{p['fragment']}»): "
                         + ("; ".join(f"{f['check']} {f['status']}" for f in p["new_flags"]) or "no new flag"))
    return "\n".join(lines) + "\n", summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--corpora", default="seeds,dev,wide")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_audit."))
    out.mkdir(parents=True, exist_ok=True)
    corpora = [c for c in args.corpora.split(",") if c]
    missing = [c for c in corpora if not (args.shared / CORPORA[c]).is_dir()]
    if missing:
        print(f"missing corpora under {args.shared}: {', '.join(missing)}", file=sys.stderr)
        return 1
    docs = disclosures(args.shared, corpora, args.jobs)
    tmp = out / "planted"
    tmp.mkdir(exist_ok=True)
    plants = make_plants(docs, tmp)
    files = sorted({p["planted"] for p in plants} | {p["clean"] for p in plants})
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = dict(zip(files, pool.map(read_and_check, files)))
    evaluate(plants, results)
    text, summary = report(docs, plants)
    (out / "bench_audit.md").write_text(text, encoding="utf-8")
    detail = {"summary": summary,
              "plants": [{k: v for k, v in p.items() if k != "new_flags"} | {"new_flags": p["new_flags"]} for p in plants],
              "clean_flags": {f"{c}/{p.name}": r["flags"] for c, p, r in docs}}
    (out / "bench_audit.json").write_text(json.dumps(detail, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print(text)
    print(f"# written: {out / 'bench_audit.md'}, {out / 'bench_audit.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
