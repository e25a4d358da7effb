"""Where the default `countyfiscal extract`'s wall time goes, phase by phase, at `--jobs 1` and `--jobs 2`: what
limits issue #16's speed-up ratios.

    .venv/bin/python benchmarks/bench_phases.py                  # 1,000 synthetic documents (benchmarks/synth.py)
    .venv/bin/python benchmarks/bench_phases.py --size 10000
    .venv/bin/python benchmarks/bench_phases.py --real           # ../shared/dev-corpus and wide-corpus, summed

Each run is a subprocess that imports the package, wraps a few of `pipeline`'s functions to note the time (wall
and the parent's CPU) as the run passes them, then runs the command as the console script does. Phases:

- ``start``: the process starting, importing the package and pandas, listing the folder, building the tokenizer's
  dictionary, up to the workers forked. Serial at any `--jobs`.
- ``reading``: the workers forked to the last result: they read (a worker's first document also pays its imports
  and compiles its regular expressions), the parent writes what they send.
- ``between``: the streams finished and the corpus step's rows routed to their groups (serial).
- ``pool``: the corpus step's groups and the keyword pass's chunks (on `--jobs` processes; in the parent at 1).
- ``final``: flags merged, the last tables and the log written, the set published (serial).
- ``exit``: the interpreter shutting down (serial).

Printed: each phase's seconds at both `--jobs` (median of ``--rounds`` runs each, interleaved), its ratio, the
parent's CPU while reading (per document, which at `--jobs 2` takes a core's share from the workers), and the
ratio the run would have if only ``reading`` and ``pool`` changed with `--jobs` (the serial phases' bound).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402  (benchmarks/run.py: corpora, the timed environment, `line`)

# Run in the subprocess: note each mark as (wall since start, parent CPU, name) and write them as JSON at exit.
_PROBE = r"""
import json, os, sys, time
T0, EV = time.time(), []
def mark(name):
    EV.append((time.time() - T0, time.process_time(), name))
import countyfiscal.pipeline as p
mark("imported")
def wrap(obj, attr, before=None, after=None):
    fn = getattr(obj, attr)  # (an AttributeError here: pipeline changed; update this probe)
    def w(*a, **k):
        if before: mark(before)
        r = fn(*a, **k)
        if after: mark(after)
        return r
    setattr(obj, attr, w)
wrap(p, "_results", before="forking", after="forked")
it = p._InEntryOrder.__iter__
def _iter(self):
    first = True
    for x in it(self):
        if first:
            mark("first_result"); first = False
        yield x
    mark("last_result")
p._InEntryOrder.__iter__ = _iter
pool = p._on_pool
def _on_pool(*a, **k):
    mark("pool_start")
    for x in pool(*a, **k):
        mark("pool_item")
        yield x
p._on_pool = _on_pool
wrap(p, "_write_log", before="log")
from countyfiscal.cli import main
try:
    rc = main(sys.argv[2:])
finally:
    mark("main_returned")
    with open(sys.argv[1], "w") as fh:
        json.dump({"t0": T0, "events": EV}, fh)
sys.exit(rc)
"""

PHASES = ("start", "reading", "between", "pool", "final", "exit")


def _phases(folder: Path, jobs: int, out: Path, probe: Path) -> dict[str, float]:
    """One run's phases (seconds), the parent's CPU while reading and the number of documents read."""
    marks = out.with_suffix(".marks.json")
    began = time.time()
    subprocess.run([sys.executable, str(probe), str(marks), "extract", str(folder),
                    "--out", str(out), "--jobs", str(jobs), "--quiet"], check=True, env=run.timed_env(),
                   stdout=subprocess.DEVNULL)
    ended = time.time()
    data = json.loads(marks.read_text())
    at: dict[str, tuple[float, float]] = {}
    for wall, cpu, name in data["events"]:
        if name == "pool_item" or name not in at:  # the first of each mark; the last pool item
            at[name] = (data["t0"] - began + wall, cpu)
    t = {k: v[0] for k, v in at.items()}
    pool_end = t.get("pool_item", t.get("pool_start", t["log"]))
    return {
        "start": t["forked"], "reading": t["last_result"] - t["forked"],
        "between": t.get("pool_start", t["log"]) - t["last_result"],
        "pool": pool_end - t.get("pool_start", pool_end), "final": t["main_returned"] - pool_end,
        "exit": ended - began - t["main_returned"],
        "total": ended - began, "parent_cpu_reading": at["last_result"][1] - at["forked"][1],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="runs at each --jobs (interleaved; medians printed)")
    ap.add_argument("--size", type=int, default=1000, help="synthetic documents (without --real)")
    ap.add_argument("--real", action="store_true", help="the real PDFs of ../shared/dev-corpus and wide-corpus")
    ap.add_argument("--shared", default=str(run.ROOT.parent / "shared"), help="folder holding the corpora")
    args = ap.parse_args(argv)
    if args.real:
        folders, label, n = [Path(args.shared) / "dev-corpus", Path(args.shared) / "wide-corpus"], "real", None
    else:
        folders, label, n = [run.txt_corpus(args.size)], f"n{args.size}", args.size
    run.describe_machine()
    run.CORPUS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=run.CORPUS) as tmp:
        probe = Path(tmp) / "probe.py"
        probe.write_text(_PROBE)
        out = Path(tmp) / "out"

        def one(jobs: int) -> dict[str, float]:
            got = [_phases(f, jobs, out, probe) for f in folders]
            return {k: sum(g[k] for g in got) for k in got[0]}

        one(2)  # warm: caches of the OCR, the tokenizer's dictionary, the page cache
        runs: dict[int, list[dict[str, float]]] = {1: [], 2: []}
        for r in range(args.rounds):
            for jobs in ((1, 2) if r % 2 == 0 else (2, 1)):
                runs[jobs].append(one(jobs))
    med = {j: {k: statistics.median(x[k] for x in runs[j]) for k in runs[j][0]} for j in runs}
    for k in PHASES + ("total",):
        a, b = med[1][k], med[2][k]
        ratio = f", jobs 1 / jobs 2 {a / b:.2f}x" if b > 0.005 else ""
        run.line(f"{label}_{k}_seconds", f"{a:.2f} {b:.2f}", f"s at --jobs 1 and 2 (median of {args.rounds}){ratio}")
    for j in (1, 2):
        per = f" ({1000 * med[j]['parent_cpu_reading'] / n:.2f} ms a document)" if n else ""
        run.line(f"{label}_parent_cpu_reading_jobs{j}", f"{med[j]['parent_cpu_reading']:.2f}", "s" + per)
    serial2 = sum(med[2][k] for k in ("start", "between", "final", "exit"))
    bound = med[1]["total"] / (serial2 + (med[1]["reading"] + med[1]["pool"]) / 2)
    run.line(f"{label}_serial_seconds_jobs2", f"{serial2:.2f}", f"s of {med[2]['total']:.2f} "
             "(start, between, final, exit)")
    run.line(f"{label}_speedup_if_reading_and_pool_halved", f"{bound:.2f}",
             f"x (measured {med[1]['total'] / med[2]['total']:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
