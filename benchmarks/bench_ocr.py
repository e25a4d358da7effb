"""OCR of scanned PDF pages: seconds per page (cold and warm cache), accuracy of a scanned copy against the text
layer, and what becomes of the corpora's PDFs that have pages without a text layer.

    .venv/bin/python benchmarks/bench_ocr.py                      # all three parts, defaults below
    .venv/bin/python benchmarks/bench_ocr.py --only speed --pages 9,10,12

Parts:
- ``accuracy``: every dev-corpus document named by ``--docs`` is read twice, from its text layer and from a scanned
  copy of it (``ingest.ocr.scanned_copy``: pages rendered in grey at 200 dpi, JPEG, no text layer); the figures
  (measure, year, basis, code, value) of both are compared: found = text-layer figures the scan gives with the same
  value, extra = scan figures the text layer does not have.
- ``speed``: seconds per OCR'd page of a scanned copy (``--speed-doc``/``--pages``), read with an empty cache
  (cold: render + recognise) and again (warm: render + cache), both through ``read_bytes``; and the recogniser alone
  with 1 and 2 onnxruntime threads (why a worker uses one: the pool already has one worker per core).
- ``corpora``: every PDF of the corpora with pages lacking a text layer, through ``pipeline.process_file`` (status,
  reason, pages OCR'd, figures, identity flags), with the per-user cache as a real run uses it.

Run it with ``nice`` on a shared machine; OCR takes ~4 s per dense page per core.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEV = SHARED / "dev-corpus"
DOCS = ["cq_qixiang_2026_budget.pdf", "hz_qixiang_2026_budget.pdf"]


def _figures(data: bytes, name: str):
    from countyfiscal.extract import extract_all
    from countyfiscal.ingest import read_bytes
    from countyfiscal.metadata import describe

    doc = read_bytes(data, name)
    meta = describe(doc.text, name)
    return doc, extract_all(doc, meta.get("doc_kind") or "", meta.get("fiscal_year"))


def _key(r: dict) -> tuple:
    return r["measure"], r["fiscal_year"], r["basis"], r["code"], round(float(r["value"]), 2)


def accuracy(docs: list[str]) -> None:
    from countyfiscal.ingest.ocr import scanned_copy

    print("== accuracy: scanned copy vs text layer (figures: measure, year, basis, code, value)")
    tot_want = tot_found = tot_extra = 0
    for name in docs:
        data = (DEV / name).read_bytes()
        _, text_figs = _figures(data, name)
        t0 = time.perf_counter()
        scan_doc, scan_figs = _figures(scanned_copy(data), name)
        secs = time.perf_counter() - t0
        want, got = Counter(map(_key, text_figs)), Counter(map(_key, scan_figs))
        found, extra = sum((want & got).values()), sum((got - want).values())
        tot_want, tot_found, tot_extra = tot_want + sum(want.values()), tot_found + found, tot_extra + extra
        conf = [r["confidence"] for r in scan_figs if r["confidence"] != ""]
        print(f"{name}: {len(scan_doc.ocr)} pages OCR'd in {secs:.1f} s; text layer {sum(want.values())} figures, "
              f"scan {sum(got.values())}: found {found} ({found / max(sum(want.values()), 1):.1%}), extra {extra}; "
              f"confidence min {min(conf, default=float('nan')):.3f}; flags {len(scan_doc.flags)}")
        for k in sorted((want - got).elements()):
            print("   missing:", k)
        for k in sorted((got - want).elements()):
            print("   extra:  ", k)
    print(f"total: found {tot_found}/{tot_want} ({tot_found / max(tot_want, 1):.1%}), extra {tot_extra}")


def speed(name: str, pages: list[int] | None) -> None:
    from countyfiscal.ingest import ocr, read_bytes

    data = (DEV / name).read_bytes()
    scan = ocr.scanned_copy(data, pages)
    n = len(pdfium.PdfDocument(scan))
    print(f"== speed: {name}, {n} scanned pages")
    with tempfile.TemporaryDirectory() as tmp:
        old = os.environ.get("COUNTYFISCAL_CACHE")
        os.environ["COUNTYFISCAL_CACHE"] = tmp
        try:
            ocr._engine()  # building the engine (~0.5 s, once per process) is not a page's cost
            t0 = time.perf_counter()
            read_bytes(scan, name)
            cold = time.perf_counter() - t0
            t0 = time.perf_counter()
            read_bytes(scan, name)
            warm = time.perf_counter() - t0
        finally:
            if old is None:
                del os.environ["COUNTYFISCAL_CACHE"]
            else:
                os.environ["COUNTYFISCAL_CACHE"] = old
    print(f"cold cache: {cold / n:6.2f} s per page ({cold:.1f} s)")
    print(f"warm cache: {warm / n:6.3f} s per page ({warm:.2f} s)")
    # the recogniser alone on the first page, with one and with two onnxruntime threads
    page = pdfium.PdfDocument(scan)[0]
    for threads in (1, 2):
        ocr.THREADS = threads
        ocr._engine.cache_clear()
        ocr._engine()
        t0 = time.perf_counter()
        ocr.recognise(page, None)
        print(f"recognise, {threads} thread(s): {time.perf_counter() - t0:5.2f} s (page 1)")
    ocr.THREADS = 1
    ocr._engine.cache_clear()


def corpora() -> None:
    from countyfiscal.ingest.pdf import _MEANINGFUL  # noqa: F401 - same notion of "no text" as ingest
    from countyfiscal.pipeline import process_file

    print("== corpora: PDFs with pages without a text layer")
    for folder in ("dev-corpus", "wide-corpus"):
        for path in sorted((SHARED / folder).glob("*.pdf")):
            try:
                pdf = pdfium.PdfDocument(str(path))
            except pdfium.PdfiumError:
                continue
            empty = []
            for i in range(len(pdf)):
                text = pdf[i].get_textpage().get_text_range()
                if len(_MEANINGFUL.findall(text)) < 5:
                    empty.append(i + 1)
            if not empty:
                continue
            t0 = time.perf_counter()
            res = process_file(path)
            secs = time.perf_counter() - t0
            d = res.document
            ids = [f for f in res.doc_flags if str(f.get("check", "")).startswith("ocr")]
            sources = Counter(f["source"] for f in res.figures)
            print(f"{folder}/{path.name}: {len(empty)} of {len(pdf)} pages without text; {d['status']} "
                  f"({d['reason'] or 'no reason'}); OCR'd pages: {d.get('ocr_pages') or 'none'}; "
                  f"{d['n_figures']} figures {dict(sources)}; OCR flags {len(ids)}; {secs:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["accuracy", "speed", "corpora"])
    ap.add_argument("--docs", default=",".join(DOCS), help="dev-corpus PDFs for the accuracy part")
    ap.add_argument("--speed-doc", default=DOCS[0])
    ap.add_argument("--pages", default="6,9,10,12,14", help="pages of --speed-doc to time ('all' for every page)")
    args = ap.parse_args()
    from countyfiscal.ingest import ocr

    if not ocr.available():
        raise SystemExit("OCR is not installed: pip install -e '.[ocr]'")
    if not DEV.exists():
        raise SystemExit(f"{DEV} is absent")
    pages = None if args.pages == "all" else [int(p) for p in args.pages.split(",")]
    if args.only in (None, "speed"):
        speed(args.speed_doc, pages)
    if args.only in (None, "accuracy"):
        accuracy(args.docs.split(","))
    if args.only in (None, "corpora"):
        corpora()


if __name__ == "__main__":
    main()
