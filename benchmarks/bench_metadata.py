"""Time countyfiscal.metadata.describe() per document on the seeds and dev-corpus budgets (µs per call).

CPU time of this process (time.process_time), best of 5 rounds, after the one-off load of the tables, so that
other jobs on a shared machine inflate the figure as little as possible. Dev-corpus PDFs are read with pypdfium2
when ../shared/dev-corpus is beside the repository.
"""

from __future__ import annotations

import time
from pathlib import Path

from countyfiscal.metadata import describe

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
DEV = ROOT.parent / "shared" / "dev-corpus"


def _texts() -> list[tuple[str, str]]:
    out = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(RAW.glob("*.txt"))]
    if DEV.is_dir():
        import pypdfium2

        for p in sorted(DEV.glob("*_budget.pdf")):
            pdf = pypdfium2.PdfDocument(str(p))
            out.append((p.name, "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))))
            pdf.close()
    return out


def per_call(text: str, calls: int = 40, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        for _ in range(calls):
            describe(text)
        best = min(best, (time.process_time() - t0) / calls)
    return best


def main() -> None:
    texts = _texts()
    t0 = time.process_time()
    describe(texts[0][1])  # loads divisions.csv and the rules once per process
    load = time.process_time() - t0
    times = []
    for name, text in texts:
        us = per_call(text) * 1e6
        times.append(us)
        print(f"{name:32s} {len(text):6d} chars {len(text.encode()):7d} bytes  {us:7.1f} µs")
    times.sort()
    print(f"describe(): median {times[len(times) // 2]:.0f} µs, max {times[-1]:.0f} µs per document "
          f"({len(times)} documents); first call loading the tables {load * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
