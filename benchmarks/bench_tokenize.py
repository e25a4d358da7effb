"""Speed of Tokenizer.cut with the rjieba and jieba backends, and its cost over plain `jieba.lcut(text, HMM=False)`.

Usage: .venv/bin/python benchmarks/bench_tokenize.py [--mb 5] [--repeat 5] [--dev-corpus DIR]

Input: the seed disclosures' normalised text (`countyfiscal.ingest.normalised_text`), joined and repeated to about
--mb megabytes of UTF-8, as one text. Times are CPU seconds of this process (`time.process_time`, so other jobs on
a shared machine count less), best of --repeat passes; dictionaries are built before timing. Prints
`name value unit` lines:

- tokenize_rjieba_mb_per_s     Tokenizer(backend="rjieba").cut (fold, protect phrases, segment, restore, drop spaces)
- segment_rjieba_mb_per_s      the rjieba call alone on the prepared text (the floor our own steps add to)
- tokenize_jieba_mb_per_s      Tokenizer(backend="jieba").cut on a 1 MB slice of the same text (jieba is slow)
- tokenize_overhead_vs_plain_jieba_lcut   jieba-backend cut time / plain jieba.lcut(text, HMM=False) time, same
                               1 MB text, interleaved passes; the claim is <= 1.3
- tokenize_rjieba_dev_corpus_mb_per_s     rjieba cut over the dev-corpus PDFs' texts, each once (when present)
- tokenize_identical_tokens    1 when both backends give the same tokens for the 1 MB text and every dev text
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def line(name: str, value, unit: str) -> None:
    print(f"{name} {value} {unit}", flush=True)


def seed_text(raw_dir: Path, mb: float) -> str:
    """The seeds' normalised texts joined by newlines, repeated to about ``mb`` MB of UTF-8."""
    from countyfiscal.ingest import normalised_text

    base = "\n".join(normalised_text(p) for p in sorted(raw_dir.glob("*.txt")))
    n = max(1, round(mb * 1e6 / len(base.encode("utf-8"))))
    return "\n".join([base] * n)


def cpu_best(fns: dict, repeat: int) -> dict[str, float]:
    """Best CPU time of each no-argument function; passes interleave so a busy machine slows all alike."""
    best = {name: float("inf") for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - t0)
    return best


def mb_of(texts: list[str]) -> float:
    return sum(len(t.encode("utf-8")) for t in texts) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw-dir", default=str(ROOT / "data" / "raw"))
    ap.add_argument("--mb", type=float, default=5.0, help="size of the repeated seed text for the rjieba figure")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dev-corpus", default=str(ROOT.parent / "shared" / "dev-corpus"))
    args = ap.parse_args()

    import jieba

    from countyfiscal.text.tokenizer import Tokenizer

    jieba.setLogLevel(logging.WARNING)
    text = seed_text(Path(args.raw_dir), args.mb)
    rj, jb = Tokenizer(backend="rjieba"), Tokenizer(backend="jieba")
    for t in (rj, jb):
        t.cut("预热：建好词典")
    jieba.lcut("预热", HMM=False)
    line("tokenize_input", f"{mb_of([text]):.2f}", "MB of UTF-8 (seed texts repeated, one text)")

    prepared = rj.prepare(text)
    raw = rj._backend()._rj.cut
    best = cpu_best({"cut": lambda: rj.cut(text), "segment": lambda: raw(prepared, False)}, args.repeat)
    line("tokenize_rjieba_mb_per_s", f"{mb_of([text]) / best['cut']:.2f}", "MB/s (CPU time, best of N)")
    line("segment_rjieba_mb_per_s", f"{mb_of([text]) / best['segment']:.2f}", "MB/s (rjieba call alone, CPU time)")

    # jieba is ~20x slower: a 1 MB slice (cut at a newline) keeps the run short.
    one_mb = int(len(text) / mb_of([text]))  # characters in about 1 MB
    small = text[:text.rfind("\n", 0, one_mb)] if one_mb < len(text) and "\n" in text[:one_mb] else text
    best = cpu_best({"plain": lambda: jieba.lcut(small, HMM=False), "ours": lambda: jb.cut(small)},
                    max(2, args.repeat // 2))
    line("tokenize_jieba_mb_per_s", f"{mb_of([small]) / best['ours']:.2f}", f"MB/s (CPU time, {mb_of([small]):.2f} MB)")
    line("plain_jieba_lcut_mb_per_s", f"{mb_of([small]) / best['plain']:.2f}", "MB/s (jieba.lcut, HMM off)")
    line("tokenize_overhead_vs_plain_jieba_lcut", f"{best['ours'] / best['plain']:.2f}", "x (claim: <= 1.3)")
    identical = rj.cut(small) == jb.cut(small)

    dev = Path(args.dev_corpus)
    if dev.is_dir():
        from countyfiscal.ingest import read_document
        from countyfiscal.model import RejectedInput

        texts = []
        for p in sorted(dev.glob("*.pdf")):
            try:
                texts.append(read_document(p).text)
            except RejectedInput:
                continue
        best = cpu_best({"cut": lambda: [rj.cut(t) for t in texts]}, args.repeat)
        line("tokenize_rjieba_dev_corpus_mb_per_s", f"{mb_of(texts) / best['cut']:.2f}",
             f"MB/s (CPU time, {len(texts)} PDFs' texts, {mb_of(texts):.2f} MB)")
        identical = identical and all(rj.cut(t) == jb.cut(t) for t in texts)
    line("tokenize_identical_tokens", int(identical), "(1 = rjieba and jieba backends give the same tokens)")


if __name__ == "__main__":
    main()
