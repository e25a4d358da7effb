"""The speed figures the README and issues quote: one `name value unit` line per figure, the machine described first.

Usage:
    .venv/bin/python benchmarks/run.py                       # quick: 2,000-document scale runs, 40 PDFs
    .venv/bin/python benchmarks/run.py --sizes 10000,100000 --pdf 200 --figures   # the full set in RESULTS.md

Figures:
- extract: `countyfiscal extract --no-text-mining` (the large-corpus mode: figures, documents and each document's
  checks, computed in the workers; `--no-checks` with this script's --no-checks) over N synthetic text disclosures
  (benchmarks/synth.py), as a subprocess; wall seconds, documents/s and peak RSS of the whole process tree (parent + workers, sampled
  every 0.25 s with psutil) and of the largest single process. Jobs 1 and 2 on the smallest size give the speed-up;
  the sizes give the seconds per 1,000 documents, which stay flat if time grows linearly.
- pdf: read + describe + extract of synthetic PDFs (matplotlib, Noto Sans CJK SC, TrueType) on one core, pages/s.
- tokenize: benchmarks/bench_tokenize.py — Tokenizer.cut (width folding, protected phrases, memo, segmentation) over
  distinct dev-corpus and synthetic texts with a cold memo, MB/s of UTF-8 input, jieba vs the rjieba backend, and
  whether their tokens are identical.
- figures: `make figures` (extract the seeds, run every notebook) wall seconds, with --figures.
Corpora are written to benchmarks/.corpus/ (git-ignored) and reused.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "benchmarks" / ".corpus"
sys.path.insert(0, str(ROOT / "benchmarks"))
import synth  # noqa: E402


def line(name: str, value, unit: str) -> None:
    print(f"{name} {value} {unit}", flush=True)


def describe_machine() -> None:
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), platform.processor())
    print(f"# machine: {cpu}; {os.cpu_count()} logical cores; {psutil.virtual_memory().total / 2**30:.1f} GiB RAM; "
          f"Python {platform.python_version()}; {platform.system()} {platform.release()}")
    print(f"# load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


def txt_corpus(n: int) -> Path:
    """A folder of the first n synthetic text disclosures (symlinks into one shared folder of generated files)."""
    pool = CORPUS / "txt"
    pool.mkdir(parents=True, exist_ok=True)
    have = len(list(pool.glob("synth_*.txt")))
    if have < n:
        synth.write_txt(pool, n - have, start=have)
    folder = CORPUS / f"txt_{n}"
    if not folder.is_dir() or len(list(folder.iterdir())) != n:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for i in range(n):
            name = f"synth_{i:06d}.txt"
            (folder / name).symlink_to(pool / name)
    return folder


def run_measured(cmd: list[str]) -> tuple[float, float, float]:
    """(wall seconds, peak RSS of the process tree in MiB, peak RSS of the largest single process in MiB)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, cwd=ROOT)
    root = psutil.Process(proc.pid)
    peak_tree = peak_one = 0
    procs, listed = [root], 0.0
    while proc.poll() is None:
        try:
            # Listing children scans every process on the machine (~2 ms): once a second is enough for workers
            # that live the whole run, and keeps the sampler from taking CPU from the run it measures.
            if time.perf_counter() - listed > 1.0:
                procs, listed = [root] + root.children(recursive=True), time.perf_counter()
            rss = []
            for p in procs:
                try:
                    rss.append(p.memory_info().rss)
                except psutil.Error:
                    pass
            peak_tree = max(peak_tree, sum(rss))
            peak_one = max(peak_one, max(rss, default=0))
        except psutil.Error:
            pass
        time.sleep(0.25)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {proc.returncode}")
    return wall, peak_tree / 2**20, peak_one / 2**20


def bench_extract(sizes: list[int], compare_jobs: bool, checks: bool = True) -> None:
    exe = str(ROOT / ".venv" / "bin" / "countyfiscal")
    out = CORPUS / "out"
    smallest = min(sizes)
    runs = [(smallest, 1), (smallest, 2)] if compare_jobs else []
    runs += [(n, 2) for n in sorted(sizes) if (n, 2) not in runs]
    per_s = {}
    for n, jobs in runs:
        folder = txt_corpus(n)
        shutil.rmtree(out, ignore_errors=True)
        wall, tree, one = run_measured([exe, "extract", str(folder), "--out", str(out), "--jobs", str(jobs), "--quiet",
                                        "--no-text-mining"] + ([] if checks else ["--no-checks"]))
        per_s[(n, jobs)] = n / wall
        line(f"extract_seconds_n{n}_jobs{jobs}", f"{wall:.1f}", "s")
        line(f"extract_docs_per_s_n{n}_jobs{jobs}", f"{n / wall:.1f}", "documents/s")
        line(f"extract_seconds_per_1000_docs_n{n}_jobs{jobs}", f"{1000 * wall / n:.2f}", "s")
        line(f"peak_rss_tree_n{n}_jobs{jobs}", f"{tree:.0f}", "MiB")
        line(f"peak_rss_largest_process_n{n}_jobs{jobs}", f"{one:.0f}", "MiB")
    if compare_jobs:
        line(f"speedup_jobs2_over_jobs1_n{smallest}", f"{per_s[(smallest, 2)] / per_s[(smallest, 1)]:.2f}", "x")
    two = sorted(n for n, j in per_s if j == 2)
    if len(two) >= 2:
        a, b = two[0], two[-1]
        line(f"time_per_doc_ratio_n{b}_over_n{a}", f"{per_s[(a, 2)] / per_s[(b, 2)]:.2f}", "x (1.00 = linear)")
    shutil.rmtree(out, ignore_errors=True)


def bench_pdf(n: int) -> None:
    from countyfiscal.pipeline import process_file

    folder = CORPUS / f"pdf_{n}"
    have = sorted(folder.glob("*.pdf")) if folder.is_dir() else []
    if len(have) < n:
        synth.write_pdf(folder, n - len(have), start=len(have))
    paths = sorted(folder.glob("*.pdf"))[:n]
    process_file(paths[0])  # warm-up: imports and tables
    t0 = time.perf_counter()
    pages = ok = 0
    for p in paths:
        res = process_file(p)
        pages += res.document["pages"] or 0
        ok += res.document["status"] == "ok"
    dt = time.perf_counter() - t0
    line("pdf_documents", n, f"PDFs ({pages} pages, {ok} ok)")
    line("pdf_pages_per_s_one_core", f"{pages / dt:.1f}", "pages/s")
    line("pdf_docs_per_s_one_core", f"{n / dt:.2f}", "documents/s")


def bench_tokenize(repeat: int = 5) -> None:
    """benchmarks/bench_tokenize.py (distinct documents, cold memo each pass; see its docstring), lines passed on."""
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_tokenize.py"), "--repeat", str(repeat)],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    print(out, end="", flush=True)


def bench_figures() -> None:
    wall, tree, one = run_measured(["make", "figures"])
    line("make_figures_seconds", f"{wall:.1f}", "s")
    line("make_figures_peak_rss_largest_process", f"{one:.0f}", "MiB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2000", help="comma-separated corpus sizes for the extract runs")
    ap.add_argument("--no-jobs-compare", action="store_true", help="skip the --jobs 1 run")
    ap.add_argument("--no-checks", action="store_true", help="extract runs without the per-document checks")
    ap.add_argument("--pdf", type=int, default=40, help="number of synthetic PDFs to read (0: skip)")
    ap.add_argument("--figures", action="store_true", help="also time `make figures` (rewrites data/processed, reports)")
    ap.add_argument("--only", default="", help="comma-separated subset of: extract,pdf,tokenize,figures")
    args = ap.parse_args(argv)
    only = set(filter(None, args.only.split(",")))
    describe_machine()
    if not only or "tokenize" in only:
        bench_tokenize()
    if (not only or "pdf" in only) and args.pdf:
        bench_pdf(args.pdf)
    if not only or "extract" in only:
        line("extract_checks", int(not args.no_checks), "(1 = each document's checks run in the workers, as by default)")
        bench_extract([int(s) for s in args.sizes.split(",")], not args.no_jobs_compare, not args.no_checks)
    if args.figures or "figures" in only:
        bench_figures()
    print(f"# load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
