"""Documents per second for reading + describing + extracting the disclosures of a folder, on one core.

Usage: .venv/bin/python benchmarks/bench_extract.py [RAW_DIR] [--repeat N]
Prints `name value unit` lines. Start-up (imports, first-use caches) is excluded: one warm-up pass runs first.
CPU time (``time.process_time``) is printed beside wall time: on a shared machine it is the figure to compare.
Run with another checkout's interpreter to compare versions on the same documents (issue #12: "speed on text-layer
documents within 10 % of today")::

    /path/to/old/.venv/bin/python benchmarks/bench_extract.py ../shared/dev-corpus --repeat 3 --glob '*.pdf'
    .venv/bin/python benchmarks/bench_extract.py ../shared/dev-corpus --repeat 3 --glob '*.pdf'
"""

from __future__ import annotations

import argparse
import fnmatch
import time
from pathlib import Path

from countyfiscal.pipeline import list_inputs, process_file

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("raw_dir", nargs="?", default=str(ROOT / "data" / "raw"))
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--glob", default="*", help="only the files whose name matches (e.g. '*.pdf')")
    args = ap.parse_args()
    paths = [p for p in list_inputs(Path(args.raw_dir)) if fnmatch.fnmatch(p.name, args.glob)]
    for p in paths:  # warm-up: imports, compiled patterns, tables
        process_file(p)
    t0, c0 = time.perf_counter(), time.process_time()
    n = 0
    for _ in range(args.repeat):
        for p in paths:
            process_file(p)
            n += 1
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"extract_documents_per_second_one_core {n / dt:.1f} docs/s")
    print(f"extract_ms_per_document {1000 * dt / n:.2f} ms")
    print(f"extract_cpu_ms_per_document {1000 * cpu / n:.2f} ms")
    print(f"documents {len(paths)} files x {args.repeat} repeats")


if __name__ == "__main__":
    main()
