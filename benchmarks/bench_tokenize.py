"""Cost of our tokenizer (normalise, protect phrases, cut, restore) relative to plain `jieba.lcut` on the seeds.

Usage: .venv/bin/python benchmarks/bench_tokenize.py [RAW_DIR] [--repeat N]
Prints `name value unit` lines; the claim is ratio <= 1.3. Dictionary loading is excluded (both tokenizers are
warmed up first); each side's figure is the best of N timed passes over all seed texts, on one core.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import jieba

from countyfiscal.text.tokenizer import get_tokenizer

ROOT = Path(__file__).resolve().parents[1]


def seed_texts(raw_dir: Path) -> list[str]:
    from countyfiscal.ingest import read_document

    return [read_document(p).text for p in sorted(raw_dir.glob("*.txt"))]


def best_times(fns: dict, texts: list[str], repeat: int) -> dict[str, float]:
    """Best time of each function over all texts; runs interleave so a busy shared machine hurts all alike."""
    best = {name: float("inf") for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for t in texts:
                fn(t)
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("raw_dir", nargs="?", default=str(ROOT / "data" / "raw"))
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    texts = seed_texts(Path(args.raw_dir))
    chars = sum(len(t) for t in texts)
    jieba.setLogLevel(logging.WARNING)
    ours = get_tokenizer()
    for t in texts:  # warm-up: prefix dictionaries, regexes
        jieba.lcut(t)
        ours.cut(t)
    best = best_times({
        "plain": jieba.lcut,
        "plain_no_hmm": lambda t: jieba.lcut(t, HMM=False),
        "mine": ours.cut,
    }, texts, args.repeat)
    plain, plain_no_hmm, mine = best["plain"], best["plain_no_hmm"], best["mine"]
    print(f"seed_chars {chars} characters")
    print(f"jieba_lcut {chars / plain:.0f} chars/s")
    print(f"jieba_lcut_no_hmm {chars / plain_no_hmm:.0f} chars/s")
    print(f"countyfiscal_cut {chars / mine:.0f} chars/s")
    print(f"ratio_vs_jieba_lcut {mine / plain:.2f} x")
    print(f"ratio_vs_jieba_lcut_no_hmm {mine / plain_no_hmm:.2f} x")


if __name__ == "__main__":
    main()
