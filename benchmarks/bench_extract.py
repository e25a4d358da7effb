"""Documents per second for reading + describing + extracting the disclosures of a folder, on one core.

Usage: .venv/bin/python benchmarks/bench_extract.py [RAW_DIR] [--repeat N]
Prints `name value unit` lines. Start-up (imports, first-use caches) is excluded: one warm-up pass runs first.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from countyfiscal.pipeline import list_inputs, process_file

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("raw_dir", nargs="?", default=str(ROOT / "data" / "raw"))
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    paths = list_inputs(Path(args.raw_dir))
    for p in paths:  # warm-up: imports, compiled patterns, tables
        process_file(p)
    t0 = time.perf_counter()
    n = 0
    for _ in range(args.repeat):
        for p in paths:
            process_file(p)
            n += 1
    dt = time.perf_counter() - t0
    print(f"extract_documents_per_second_one_core {n / dt:.1f} docs/s")
    print(f"extract_ms_per_document {1000 * dt / n:.2f} ms")
    print(f"documents {len(paths)} files x {args.repeat} repeats")


if __name__ == "__main__":
    main()
