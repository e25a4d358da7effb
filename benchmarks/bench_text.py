"""Cost of the text mining per document (document_stats, in the workers) and of the corpus step, against the old mine().

Usage: .venv/bin/python benchmarks/bench_text.py [--synthetic 1000] [--no-real] [--baseline REV | --no-baseline]

Corpora: ``--synthetic`` distinct synthetic disclosures (``synth.variant(i)``), and (unless ``--no-real``) the readable
PDFs of ../shared/dev-corpus and ../shared/wide-corpus (byte-identical copies once). Their documents rows come from
``metadata.describe`` as in the pipeline. Texts are read before any timing.

Times are CPU seconds of one process (``time.process_time``), one pass, the tokenizer built beforehand (its build is
reported on its own). Prints ``name value unit`` lines per corpus (``synthetic``, ``real``):

- text_document_stats_ms_per_doc     document_stats (sections, themes in three scopes, keyword-scope term counts)
- text_corpus_step_ms_per_doc        CorpusCounts.add for every document, then keywords for every document, then
                                     recurring_themes (the only serial part: it runs in the parent)
- text_keywords_ms_per_doc           of which the keyword pass (log-odds and TF-IDF per document)
- text_new_total_ms_per_doc          the two together (one process)
- text_old_mine_ms_per_doc           the old ``mine()`` of ``--baseline`` (its per-theme scans, TF-IDF, TextRank), run
                                     in a subprocess on the same texts and documents rows
- text_old_vs_new_ratio              old / new total (how much cheaper the whole text mining is in one process)
- text_old_vs_new_serial_ratio       old / new corpus step (how much less runs in the parent once document_stats runs
                                     in the workers)
- text_tokenizer_build_s             building the tokenizer (dictionary) once, as each worker does
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
SHARED = ROOT.parent / "shared"
# The last commit before the per-document text mining (issue #16): its mine() is "today" in the figures.
BASELINE = "0668d6e"

OLD_MINE = r"""
import pickle, sys, time
import countyfiscal
assert countyfiscal.__file__.startswith(sys.argv[2]), countyfiscal.__file__
from countyfiscal.text import mine
from countyfiscal.text.tokenizer import get_tokenizer
texts, documents = pickle.load(open(sys.argv[1], "rb"))
get_tokenizer().cut("信访")  # the dictionary is built before timing, as for the new code
t = time.process_time()
tables = mine(texts, documents)
print(time.process_time() - t, sum(len(v) for v in tables.values()))
"""


def line(name: str, value, unit: str) -> None:
    print(f"{name} {value} {unit}", flush=True)


def synthetic(n: int) -> list[tuple[str, dict]]:
    import synth
    from countyfiscal.metadata import describe

    out = []
    for i in range(n):
        stem, text, _ = synth.variant(i)
        out.append((text, _row(f"{stem}.txt", describe(text, f"{stem}.txt"))))
    return out


def real() -> list[tuple[str, dict]]:
    from countyfiscal.ingest import read_document
    from countyfiscal.metadata import describe
    from countyfiscal.model import RejectedInput

    out, seen = [], set()
    for folder in ("dev-corpus", "wide-corpus"):
        for path in sorted((SHARED / folder).glob("*.pdf")):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            try:
                text = read_document(path).text
            except RejectedInput:
                continue
            meta = describe(text, path.name)
            if meta.get("is_disclosure", True) and meta.get("doc_kind"):
                out.append((text, _row(path.name, meta)))
    return out


def _row(file: str, meta: dict) -> dict:
    row = {k: meta.get(k) or "" for k in ("doc_kind", "department", "jurisdiction", "province", "city", "county")}
    return {"file": file, "status": "ok", "fiscal_year": meta.get("fiscal_year"), **row}


def new_costs(docs: list[tuple[str, dict]]) -> dict[str, float]:
    from countyfiscal.text import CorpusCounts, document_stats

    t = time.process_time()
    stats = [document_stats(text, row) for text, row in docs]
    per_doc = time.process_time() - t
    t = time.process_time()
    counts = CorpusCounts()
    for s in stats:
        counts.add(s)
    slim = [s.without_rows() for s in stats]
    k = time.process_time()
    rows = sum(len(counts.keyword_rows(s)) for s in slim)
    keywords = time.process_time() - k
    counts.recurring_themes()
    corpus = time.process_time() - t
    return {"document_stats": per_doc, "corpus": corpus, "keywords": keywords, "keyword_rows": rows}


def old_cost(docs: list[tuple[str, dict]], rev: str) -> float:
    import pandas as pd

    with tempfile.TemporaryDirectory(prefix="bench_text_") as tmp:
        tmp = Path(tmp)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src/countyfiscal"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
        texts = {row["file"]: text for text, row in docs}
        documents = pd.DataFrame([row for _, row in docs])
        data = tmp / "inputs.pickle"
        data.write_bytes(pickle.dumps((texts, documents)))
        env = dict(os.environ, PYTHONPATH=str(tmp / "src"))
        out = subprocess.run([sys.executable, "-c", OLD_MINE, str(data), str(tmp / "src")], env=env, check=True,
                             capture_output=True, text=True).stdout.split()
        return float(out[0])


def report(name: str, docs: list[tuple[str, dict]], rev: str | None) -> None:
    n = len(docs)
    mb = sum(len(t.encode("utf-8")) for t, _ in docs) / 1e6
    line(f"{name}_documents", n, f"documents ({mb:.1f} MB of text)")
    new = new_costs(docs)
    total = new["document_stats"] + new["corpus"]
    line(f"{name}_text_document_stats_ms_per_doc", f"{new['document_stats'] * 1000 / n:.2f}", "ms CPU per document")
    line(f"{name}_text_corpus_step_ms_per_doc", f"{new['corpus'] * 1000 / n:.2f}", "ms CPU per document (serial)")
    line(f"{name}_text_keywords_ms_per_doc", f"{new['keywords'] * 1000 / n:.3f}",
         f"ms CPU per document ({new['keyword_rows']} keyword rows)")
    line(f"{name}_text_new_total_ms_per_doc", f"{total * 1000 / n:.2f}", "ms CPU per document")
    if rev:
        old = old_cost(docs, rev)
        line(f"{name}_text_old_mine_ms_per_doc", f"{old * 1000 / n:.2f}", f"ms CPU per document (mine() of {rev})")
        line(f"{name}_text_old_vs_new_ratio", f"{old / total:.1f}", "x (old mine / new document_stats + corpus step)")
        line(f"{name}_text_old_vs_new_serial_ratio", f"{old / new['corpus']:.1f}",
             "x (old mine, all in the parent / new corpus step)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", type=int, default=1000, help="synthetic documents (synth.variant(i)); 0: none")
    ap.add_argument("--no-real", action="store_true", help="skip the dev and wide corpora")
    ap.add_argument("--baseline", default=BASELINE, help=f"git revision whose mine() is the old cost ({BASELINE})")
    ap.add_argument("--no-baseline", action="store_true", help="do not time the old mine()")
    args = ap.parse_args()
    rev = None if args.no_baseline else args.baseline

    from countyfiscal.text import init_worker

    t = time.process_time()
    init_worker()
    line("text_tokenizer_build_s", f"{time.process_time() - t:.2f}", "s CPU, once per process")
    if args.synthetic:
        report("synthetic", synthetic(args.synthetic), rev)
    if not args.no_real and (SHARED / "dev-corpus").exists():
        report("real", real(), rev)


if __name__ == "__main__":
    main()
