"""Speed of Tokenizer.cut with the rjieba and jieba backends, on distinct documents with a cold memo, and identity.

Usage: .venv/bin/python benchmarks/bench_tokenize.py [--repeat 3] [--synthetic 40] [--dev-corpus DIR] [--threads]

Tokenizer.cut memoises the tokens of whitespace-separated pieces, so text that repeats itself (the seeds joined N
times) would measure the memo, not the tokenizer. Every rjieba figure here is therefore measured on DISTINCT
documents, each cut once per pass, with the memo cleared before each pass (dictionary build excluded):

- the dev-corpus PDFs' texts (``countyfiscal.ingest.read_document``; 16 budgets of different city departments and
  4 non-disclosures), when ``--dev-corpus`` exists;
- ``--synthetic`` distinct synthetic disclosures (``synth.variant(i)``: each differs in place, years and amounts).

Times are CPU seconds of this process (``time.process_time``), best of ``--repeat`` interleaved passes. Prints
``name value unit`` lines:

- tokenize_rjieba_mb_per_s            headline: Tokenizer(backend="rjieba").cut over dev + synthetic texts, cold memo
- tokenize_rjieba_dev_corpus_mb_per_s    the same, dev-corpus texts alone (cold memo)
- tokenize_rjieba_synthetic_mb_per_s     the same, synthetic texts alone (cold memo)
- tokenize_rjieba_nocache_mb_per_s    the headline corpus with the memo off (cache_size=0)
- segment_rjieba_mb_per_s             rjieba's own cut of each prepared text alone (what an unmemoised cut costs)
- tokenize_cache_piece_hit_rate / tokenize_cache_char_hit_rate   share of pieces / characters served by the memo
                                      in one cold pass over the headline corpus (_dev_corpus: over the dev texts alone)
- tokenize_jieba_mb_per_s, plain_jieba_lcut_mb_per_s, tokenize_overhead_vs_plain_jieba_lcut
                                      jieba backend (memo off: the cost of our own steps) vs plain
                                      ``jieba.lcut(text, HMM=False)`` on 1 MB of the seeds; the claim is <= 1.3
- tokenize_identical_tokens           1 when the rjieba backend (memo on) and the jieba backend (memo off) give the
                                      same tokens for every document and the 1 MB text
- with ``--threads``: tokenize_rjieba_2threads_wall_mb_per_s, WALL-clock MB/s of two threads each cutting half
  of the headline documents (cold memo), and its CPU-time MB/s; a two-core figure, not comparable with the above.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def line(name: str, value, unit: str) -> None:
    print(f"{name} {value} {unit}", flush=True)


def seed_text(raw_dir: Path, mb: float) -> str:
    """The seeds' normalised texts joined by newlines, repeated to about ``mb`` MB of UTF-8."""
    from countyfiscal.ingest import normalised_text

    base = "\n".join(normalised_text(p) for p in sorted(raw_dir.glob("*.txt")))
    n = max(1, round(mb * 1e6 / len(base.encode("utf-8"))))
    return "\n".join([base] * n)


def dev_texts(dev: Path) -> list[str]:
    from countyfiscal.ingest import read_document
    from countyfiscal.model import RejectedInput

    texts = []
    for p in sorted(dev.glob("*.pdf")):
        try:
            texts.append(read_document(p).text)
        except RejectedInput:
            continue
    return texts


def cpu_best(fns: dict, repeat: int, before=None) -> dict[str, float]:
    """Best CPU time of each no-argument function; passes interleave so a busy machine slows all alike.

    ``before`` (untimed) runs ahead of every timed call: it clears the memo, so every pass starts cold.
    """
    best = {name: float("inf") for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            if before is not None:
                before()
            t0 = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - t0)
    return best


def mb_of(texts: list[str]) -> float:
    return sum(len(t.encode("utf-8")) for t in texts) / 1e6


def two_threads(tok, texts: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds for two threads each cutting every other document with the same (cold) tokenizer."""
    halves = [texts[0::2], texts[1::2]]
    threads = [threading.Thread(target=lambda part=part: [tok.cut(t) for t in part]) for part in halves]
    tok.clear_cache()
    w0, c0 = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw-dir", default=str(ROOT / "data" / "raw"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--synthetic", type=int, default=40, help="distinct synthetic documents (synth.variant(i))")
    ap.add_argument("--dev-corpus", default=str(ROOT.parent / "shared" / "dev-corpus"))
    ap.add_argument("--threads", action="store_true", help="also the two-thread wall-clock figure")
    args = ap.parse_args()

    import jieba
    import synth

    from countyfiscal.text.tokenizer import Tokenizer

    jieba.setLogLevel(logging.WARNING)
    dev = dev_texts(Path(args.dev_corpus)) if Path(args.dev_corpus).is_dir() else []
    syn = [synth.variant(i)[1] for i in range(args.synthetic)]
    docs = dev + syn
    rj = Tokenizer(backend="rjieba")
    nocache = Tokenizer(backend="rjieba", cache_size=0)
    jb = Tokenizer(backend="jieba", cache_size=0)
    for t in (rj, nocache, jb):
        t.cut("预热：建好词典")
    jieba.lcut("预热", HMM=False)
    line("tokenize_input", f"{mb_of(docs):.2f}",
         f"MB of UTF-8 ({len(dev)} dev-corpus texts {mb_of(dev):.2f} MB + {len(syn)} synthetic {mb_of(syn):.2f} MB)")

    prepared = [rj.prepare(t) for t in docs]
    raw = rj._backend()._rj.cut
    best = cpu_best({"cut": lambda: [rj.cut(t) for t in docs],
                     "dev": lambda: [rj.cut(t) for t in dev],
                     "syn": lambda: [rj.cut(t) for t in syn],
                     "nocache": lambda: [nocache.cut(t) for t in docs],
                     "segment": lambda: [raw(p, False) for p in prepared]}, args.repeat, before=rj.clear_cache)
    line("tokenize_rjieba_mb_per_s", f"{mb_of(docs) / best['cut']:.2f}",
         "MB/s (CPU time, best of N, distinct documents, memo cleared each pass)")
    if dev:
        line("tokenize_rjieba_dev_corpus_mb_per_s", f"{mb_of(dev) / best['dev']:.2f}",
             f"MB/s (CPU time, {len(dev)} PDFs' texts, {mb_of(dev):.2f} MB, cold memo)")
    line("tokenize_rjieba_synthetic_mb_per_s", f"{mb_of(syn) / best['syn']:.2f}",
         f"MB/s (CPU time, {len(syn)} distinct synthetic documents, {mb_of(syn):.2f} MB, cold memo)")
    line("tokenize_rjieba_nocache_mb_per_s", f"{mb_of(docs) / best['nocache']:.2f}", "MB/s (CPU time, memo off)")
    line("segment_rjieba_mb_per_s", f"{mb_of(docs) / best['segment']:.2f}", "MB/s (rjieba call alone, CPU time)")
    rj.clear_cache()
    identical = all(rj.cut(t) == nocache.cut(t) for t in docs)
    info = rj.cache_info()
    line("tokenize_cache_piece_hit_rate", f"{info['piece_hit_rate']:.3f}", "(one cold pass over the headline corpus)")
    line("tokenize_cache_char_hit_rate", f"{info['char_hit_rate']:.3f}", "(characters of pieces served by the memo)")
    if dev:
        rj.clear_cache()
        for t in dev:
            rj.cut(t)
        line("tokenize_cache_char_hit_rate_dev_corpus", f"{rj.cache_info()['char_hit_rate']:.3f}",
             "(one cold pass over the dev-corpus texts alone)")

    if args.threads:
        runs = [two_threads(rj, docs) for _ in range(args.repeat)]
        wall, cpu = min(runs)
        line("tokenize_rjieba_2threads_wall_mb_per_s", f"{mb_of(docs) / wall:.2f}",
             "MB/s (WALL clock, 2 threads, cold memo; a two-core figure)")
        line("tokenize_rjieba_2threads_cpu_mb_per_s", f"{mb_of(docs) / cpu:.2f}", "MB/s (CPU time of the same run)")

    # jieba is ~20x slower: 1 MB of the seeds (cut at a newline) keeps the run short. Memo off: this measures the
    # cost of our own pre/post-processing over jieba's.
    text = seed_text(Path(args.raw_dir), 1.0)
    one_mb = int(len(text) / mb_of([text]))  # characters in about 1 MB
    small = text[:text.rfind("\n", 0, one_mb)] if one_mb < len(text) and "\n" in text[:one_mb] else text
    best = cpu_best({"plain": lambda: jieba.lcut(small, HMM=False), "ours": lambda: jb.cut(small)},
                    max(2, args.repeat // 2))
    line("tokenize_jieba_mb_per_s", f"{mb_of([small]) / best['ours']:.2f}",
         f"MB/s (CPU time, {mb_of([small]):.2f} MB, memo off)")
    line("plain_jieba_lcut_mb_per_s", f"{mb_of([small]) / best['plain']:.2f}", "MB/s (jieba.lcut, HMM off)")
    line("tokenize_overhead_vs_plain_jieba_lcut", f"{best['ours'] / best['plain']:.2f}", "x (claim: <= 1.3)")
    rj.clear_cache()
    identical = identical and rj.cut(small) == jb.cut(small)
    identical = identical and all(rj.cut(t) == jb.cut(t) for t in docs)
    line("tokenize_identical_tokens", int(identical),
         "(1 = rjieba backend with memo and jieba backend without give the same tokens, every document)")


if __name__ == "__main__":
    main()
