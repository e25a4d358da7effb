"""Cost of the checks per document (as the pipeline's workers run them) and of the metrics, on the seeds and dev PDFs.

Usage: .venv/bin/python benchmarks/bench_checks.py [--repeat N] [--dev DIR]
Prints `name value unit` lines; the claim is checks_ms_per_document <= 10 ms on the seeds. Each document's figures
and text come from `pipeline.process_file` (not timed); then `checks.run_checks(figures, document, {file: text})`
(tables in, table out, as pipeline._document_flags calls it) runs once per document to warm up (rule files, regexes)
and N more times. `check_document_ms_per_document` times `checks.check_document(res.figures, res.document, text)`
on the extractor's own dicts (flag dicts out, no DataFrame at all). Times are CPU seconds of this process
(time.process_time), so other work on a shared machine inflates them less than wall time would. The dev-corpus lines
are skipped when ../shared/dev-corpus is absent.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from countyfiscal.audit.checks import check_document, run_checks
from countyfiscal.analysis.metrics import compute_metrics
from countyfiscal.pipeline import frame, process_file

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "dev-corpus"


def extract(paths: list[Path]) -> list:
    """Each readable input's extraction result (FileResult): what a worker holds after extracting it."""
    out = []
    for path in paths:
        res = process_file(path)
        if res.document["status"] in ("ok", "partial") and res.text:
            out.append(res)
    return out


def as_tables(results) -> list[tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]]:
    """(figures, one-row documents, {file: text}) of each result, the arguments of run_checks."""
    return [(frame("figures", r.figures), frame("documents", [r.document]), {r.document["file"]: r.text})
            for r in results]


def per_document_ms(fn, args: list[tuple], repeat: int) -> tuple[float, float]:
    """Mean CPU milliseconds of fn(*a) per document over ``repeat`` passes, and the slowest document's mean."""
    for a in args:  # warm-up
        fn(*a)
    each = []
    for a in args:
        t0 = time.process_time()
        for _ in range(repeat):
            fn(*a)
        each.append((time.process_time() - t0) / repeat * 1000)
    return sum(each) / len(each), max(each)


def metrics_ms(docs, repeat: int) -> float:
    """CPU milliseconds per document of compute_metrics over all the documents at once (texts included)."""
    figs = pd.concat([d[0] for d in docs], ignore_index=True)
    documents = pd.concat([d[1] for d in docs], ignore_index=True)
    texts = {k: v for d in docs for k, v in d[2].items()}
    compute_metrics(figs, documents, texts)
    t0 = time.process_time()
    for _ in range(repeat):
        compute_metrics(figs, documents, texts)
    return (time.process_time() - t0) / repeat / len(docs) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--dev", default=str(DEV))
    args = ap.parse_args()
    sets = {"": sorted((ROOT / "data" / "raw").glob("0*.txt"))}
    dev = Path(args.dev)
    if dev.is_dir():
        sets["_dev_pdf"] = sorted(p for p in dev.glob("*.pdf") if not p.name.startswith("neg_"))
    for suffix, paths in sets.items():
        results = extract(paths)
        docs = as_tables(results)
        mean, worst = per_document_ms(run_checks, docs, args.repeat)
        print(f"documents{suffix} {len(docs)} documents")
        print(f"checks_ms_per_document{suffix} {mean:.2f} ms")
        print(f"checks_ms_slowest_document{suffix} {worst:.2f} ms")
        raw = [(r.figures, r.document, r.text) for r in results]
        print(f"check_document_ms_per_document{suffix} {per_document_ms(check_document, raw, args.repeat)[0]:.2f} ms")
        print(f"metrics_ms_per_document{suffix} {metrics_ms(docs, args.repeat):.2f} ms")


if __name__ == "__main__":
    main()
