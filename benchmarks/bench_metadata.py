"""Time countyfiscal.metadata.describe() per document on the seed texts (µs per call, after the one-off load).

CPU time of this process (time.process_time), best of 5 rounds, so that other jobs on a shared machine inflate
the figure as little as possible.
"""

from __future__ import annotations

import time
from pathlib import Path

from countyfiscal.metadata import describe

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"


def main(repeat: int = 200) -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(RAW.glob("*.txt"))]
    t0 = time.process_time()
    describe(texts[0])  # loads divisions.csv and the rules once per process
    load = time.process_time() - t0
    for text in texts:
        best = float("inf")
        for _ in range(5):
            t0 = time.process_time()
            for _ in range(repeat // 5):
                describe(text)
            best = min(best, (time.process_time() - t0) / (repeat // 5))
        print(f"describe(): {best * 1e6:8.1f} µs per call on {len(text):6d} chars")
    print(f"first call (loads tables): {load * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
