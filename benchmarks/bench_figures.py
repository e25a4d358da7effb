"""Wall time of what `make figures` does (extract, then every notebook of reports.yml), warm, on the seeds or on N
synthetic departments (benchmarks/synth.py): issue #16's "figures at scale" (targets: seeds ≤ 12 s, 1,000 synthetic
departments ≤ 5 minutes, on 2 cores, warm).

    .venv/bin/python benchmarks/bench_figures.py                  # the seeds
    .venv/bin/python benchmarks/bench_figures.py --synthetic 2500 # 2,500 synthetic documents = 1,000 departments
                                                                  # (corpus cached in benchmarks/.corpus/, git-ignored)

"Warm": the run is made twice and the second is timed (caches of fonts, the tokenizer dictionary and the Python
bytecode are then warm, as on a researcher's machine after the first `make figures`). Prints one line per phase and
where the notebook time goes (comparison notebooks, profiles: total, per profile, slowest).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "countyfiscal")
CORPORA = ROOT / "benchmarks" / ".corpus"
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import timed_env  # noqa: E402  (the benchmarks' shared environment for timed commands)


def _corpus(n: int) -> Path:
    """The raw folder: the seeds, or n synthetic disclosures (made once, then reused)."""
    if not n:
        return ROOT / "data" / "raw"
    folder = CORPORA / f"synthetic-{n}"
    if not (folder / ".complete").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "synth.py"), str(folder), "--n", str(n)], check=True,
                       stdout=subprocess.DEVNULL)
        (folder / ".complete").touch()
    return folder


def _cpu() -> float:
    """CPU seconds (user + system) of the finished child processes and everything they waited for (workers, kernels)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(raw: Path, work: Path, env: dict, jobs: int) -> dict:
    processed, reports = work / "processed", work / "reports"
    start, cpu = time.perf_counter(), _cpu()
    subprocess.run([CLI, "extract", str(raw), "--out", str(processed), "--quiet"], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    extracted, cpu_extracted = time.perf_counter(), _cpu()
    status = subprocess.run([CLI, "figures", "--reports", str(reports), "--processed", str(processed), "--jobs", str(jobs)],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    end, cpu_end = time.perf_counter(), _cpu()
    records = json.loads((reports / "runs.json").read_text(encoding="utf-8")) if (reports / "runs.json").is_file() else []
    return {"extract": extracted - start, "figures": end - extracted, "total": end - start, "status": status,
            "cpu_extract": cpu_extracted - cpu, "cpu_figures": cpu_end - cpu_extracted,
            "records": records, "pngs": len(list((reports / "figures").glob("*.png"))),
            "pages": len(list((reports / "profiles").glob("*.html")))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=0, metavar="N", help="N synthetic departments instead of the seeds")
    parser.add_argument("--jobs", type=int, default=2, help="workers of `countyfiscal figures` (default 2)")
    parser.add_argument("--cold", action="store_true", help="time the first run (no warm-up run)")
    args = parser.parse_args(argv)
    raw = _corpus(args.synthetic)
    env = timed_env(MPLCONFIGDIR=str(ROOT / ".cache" / "matplotlib"), PYTHONHASHSEED="0")
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        if not args.cold:
            _run(raw, Path(tmp) / "warm-up", env, args.jobs)
        result = _run(raw, Path(tmp) / "timed", env, args.jobs)
    records = result["records"]
    # Per-department runs (reports.yml `for_each` without `one_run`) are named <notebook>__<value>; the profiles are
    # now one run of 10_department_profile drawing every department.
    profiles = [r["seconds"] for r in records if r["name"].startswith("10_department_profile__") and r.get("seconds") is not None]
    others = {r["name"]: r["seconds"] for r in records if not r["name"].startswith("10_department_profile__")}
    # synth.py's documents come five to a department (budgets, final accounts, self-evaluations of several years).
    what = (f"{args.synthetic} synthetic documents ({result['pages']} departments)" if args.synthetic else "the seeds")
    print(f"make figures ({'cold' if args.cold else 'warm'}) on {what}: {result['total']:.1f} s "
          f"(extract {result['extract']:.1f} s, figures {result['figures']:.1f} s); {len(records)} notebook runs, "
          f"{result['pngs']} figures; exit {result['status']}; {os.cpu_count()} cores, --jobs {args.jobs}, "
          f"load average {load:.2f} at start")
    # CPU varies less than wall time on this VM: a change that only moves work between cores shows here.
    print(f"  CPU of the process trees: extract {result['cpu_extract']:.1f} s, figures {result['cpu_figures']:.1f} s")
    print("  notebook runs (s, in their worker): " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(others.items()))
          + f"; {result['pages']} department pages")
    for r in records:  # a failed run says why (the report folder goes with the temporary folder)
        if r.get("error"):
            print(f"  FAILED {r['name']}: {r['error']}")
    if profiles:
        print(f"  {len(profiles)} one-department profile runs: {sum(profiles):.1f} s of worker time, "
              f"{sum(profiles) / len(profiles):.2f} s each (slowest {max(profiles):.2f} s)")
    return 0 if result["status"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
