"""The default `countyfiscal extract`'s ratios, measured in interleaved pairs: `--jobs 1` over `--jobs 2`, or
(``--text-mining``) the default over `--no-text-mining`, both at `--jobs 2`.

This machine's speed moves by 10-70 % from one minute to the next, so one pair of runs says little about a ratio:
here the two commands run back to back, in the order A B B A A B ... (each one as often first as second), and
every pair's ratio is printed with the median of them all. Also printed: the parent's and the workers' CPU per
document of each run (``run.run_measured``'s samples).

    .venv/bin/python benchmarks/bench_scaling.py --rounds 4                  # jobs, 1,000 synthetic documents
    .venv/bin/python benchmarks/bench_scaling.py --rounds 4 --real           # jobs, ../shared/dev-corpus + wide-corpus
    .venv/bin/python benchmarks/bench_scaling.py --rounds 4 --text-mining    # default over --no-text-mining
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402  (benchmarks/run.py: corpora, the measured subprocess, `line`)


def _wall(folders: list[Path], run_: tuple[int, str], out: Path) -> tuple[float, float, float]:
    """Seconds, parent CPU seconds and workers' CPU seconds of the extract over ``folders`` at (jobs, mode)."""
    jobs, mode = run_
    wall = parent = workers = 0.0
    for folder in folders:
        w, *_ = run.run_measured([run.EXE, "extract", str(folder), "--out", str(out), "--jobs", str(jobs), "--quiet"]
                                 + run.MODES[mode])
        wall, parent, workers = wall + w, parent + run.LAST_PARENT_CPU[0], workers + run.LAST_WORKERS_CPU[0]
    return wall, parent, workers


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=4, help="pairs of runs (each pair: --jobs 1 and --jobs 2)")
    ap.add_argument("--size", type=int, default=1000, help="synthetic documents (without --real)")
    ap.add_argument("--real", action="store_true", help="the real PDFs of ../shared/dev-corpus and wide-corpus")
    ap.add_argument("--shared", default=str(run.ROOT.parent / "shared"), help="folder holding the corpora")
    ap.add_argument("--text-mining", action="store_true",
                    help="the default over --no-text-mining, both at --jobs 2 (instead of --jobs 1 over --jobs 2)")
    args = ap.parse_args(argv)
    # (numerator, denominator) of the ratio, each (jobs, mode)
    a, b = ((2, "default"), (2, "no_text_mining")) if args.text_mining else ((1, "default"), (2, "default"))
    name = "cost_default_over_no_text_mining" if args.text_mining else "speedup_jobs2_over_jobs1"
    if args.real:
        folders = [Path(args.shared) / "dev-corpus", Path(args.shared) / "wide-corpus"]
        label, n = "real", None
    else:
        folders = [run.txt_corpus(args.size)]
        label, n = f"n{args.size}", args.size
    out = run.CORPUS / "out_scaling"
    run.describe_machine()
    _wall(folders, b, out)  # warm: the OCR cache, the page cache, the tokenizer's cache
    ratios = []
    for r in range(args.rounds):
        got = {x: _wall(folders, x, out) for x in ((a, b) if r % 2 == 0 else (b, a))}
        ratios.append(got[a][0] / got[b][0])
        for jobs, mode in (a, b):
            wall, parent, workers = got[(jobs, mode)]
            per = f" (parent {1000 * parent / n:.2f} ms, workers {1000 * workers / n:.2f} ms a document)" if n else ""
            run.line(f"round{r + 1}_{label}_jobs{jobs}_{mode}_seconds", f"{wall:.2f}", "s" + per)
        run.line(f"round{r + 1}_{label}_{name}", f"{ratios[-1]:.2f}", "x")
    run.line(f"median_{label}_{name}", f"{statistics.median(ratios):.2f}",
             f"x (of {args.rounds} pairs: {', '.join(f'{x:.2f}' for x in ratios)})")
    run.shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
