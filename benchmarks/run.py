"""The speed figures the README and issues quote: one `name value unit` line per figure, the machine described first.

Usage:
    .venv/bin/python benchmarks/run.py                       # quick: 1,000-document runs, real PDFs, 40 synthetic PDFs
    .venv/bin/python benchmarks/run.py --only extract --sizes 1000        # issue 16's synthetic ratios alone
    .venv/bin/python benchmarks/run.py --only real                        # issue 16's real-PDF speed-up alone
    .venv/bin/python benchmarks/run.py --only extract --sizes 100000 --no-jobs-compare --modes default   # the 100k run

Figures:
- extract: `countyfiscal extract` over N synthetic text disclosures (benchmarks/synth.py), as a subprocess, in each
  mode: `default` (the command as a researcher types it: checks and text mining), `no_text_mining`, and
  `extraction` (`--no-text-mining --no-checks`); wall seconds, documents/s and peak memory of the whole process
  tree (parent + workers: the sum of RSS, which counts pages the forked workers share with the parent once per
  process, and the sum of PSS, which counts them once), and of the largest process. Runs that make a ratio are taken
  back to back: the default at --jobs 1 and 2 (speed-up), then each mode at --jobs 2 (cost relative to
  `no_text_mining`).
- real: the default command over the real PDFs of ../shared/dev-corpus and ../shared/wide-corpus (read in place),
  --jobs 1 then --jobs 2, seconds summed over both folders; the speed-up.
- pdf: read + describe + extract of synthetic PDFs (matplotlib, Noto Sans CJK SC, TrueType) on one core, pages/s.
- tokenize: benchmarks/bench_tokenize.py — Tokenizer.cut (width folding, protected phrases, memo, segmentation) over
  distinct dev-corpus and synthetic texts with a cold memo, MB/s of UTF-8 input, jieba vs the rjieba backend, and
  whether their tokens are identical.
- figures: `make figures` (extract the seeds, run every notebook) wall seconds, with --figures.
Corpora are written to benchmarks/.corpus/ (git-ignored) and reused; a size's folder holds hard links into one
pool of generated files (symbolic links are not read by extract).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import threading
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
    """A folder of the first n synthetic text disclosures (hard links into one shared pool of generated files)."""
    pool = CORPUS / "txt"
    pool.mkdir(parents=True, exist_ok=True)
    have = len(list(pool.glob("synth_*.txt")))
    if have < n:
        synth.write_txt(pool, n - have, start=have)
    folder = CORPUS / f"txt_{n}"
    if not folder.is_dir() or len(list(folder.iterdir())) != n or any(p.is_symlink() for p in folder.iterdir()):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for i in range(n):
            name = f"synth_{i:06d}.txt"
            os.link(pool / name, folder / name)
    return folder


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for ln in fh:
                if ln.startswith(b"Pss:"):
                    return int(ln.split()[1]) * 1024
    except OSError:
        pass
    return 0


LAST_PARENT_CPU = [0.0]  # CPU seconds of the command's own process (not its workers) in the last run_measured
LAST_WORKERS_CPU = [0.0]  # CPU seconds of its worker processes (each one's last sample) in the last run_measured


def timed_env(**extra: str) -> dict[str, str]:
    """The environment for a timed command: this one minus PYTHONDONTWRITEBYTECODE (some sandboxes set it; then every
    process compiles the whole package again, 0.1-0.3 s each, which a researcher's machine never pays), plus extra."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def run_measured(cmd: list[str]) -> tuple[float, float, float, float]:
    """(wall seconds, peak RSS of the process tree, peak PSS of the tree, peak RSS of the largest process), MiB.
    The command's own CPU seconds (its last sample before it exits) go to LAST_PARENT_CPU.

    The wall time ends when the command does (a thread waits for it), not at the next sample: the samples are 0.25 s
    apart, and a run timed at the sample after its end came out 0-0.25 s long (0.12 s on average), a bias of 5 % on
    a 2.5 s run."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, cwd=ROOT, env=timed_env())
    root = psutil.Process(proc.pid)  # (before the thread can reap it)
    ended, end = threading.Event(), [0.0]

    def wait() -> None:
        proc.wait()
        end[0] = time.perf_counter()
        ended.set()

    threading.Thread(target=wait, daemon=True).start()
    peak_tree = peak_pss = peak_one = 0
    LAST_PARENT_CPU[0] = 0.0
    workers: dict[int, float] = {}
    procs, listed, pss_at = [root], 0.0, 0.0
    while not ended.is_set():
        try:
            # Listing children scans every process on the machine (~2 ms): once a second is enough for workers
            # that live the whole run, and keeps the sampler from taking CPU from the run it measures.
            now = time.perf_counter()
            if now - listed > 1.0:
                procs, listed = [root] + root.children(recursive=True), now
            rss = []
            for p in procs:
                try:
                    rss.append(p.memory_info().rss)
                except psutil.Error:
                    pass
            cpu = root.cpu_times()
            LAST_PARENT_CPU[0] = cpu.user + cpu.system
            for p in procs[1:]:
                try:
                    c = p.cpu_times()
                    workers[p.pid] = c.user + c.system
                except psutil.Error:
                    pass
            peak_tree = max(peak_tree, sum(rss))
            peak_one = max(peak_one, max(rss, default=0))
            if now - pss_at > 1.0:  # smaps_rollup walks the mappings: once a second
                peak_pss, pss_at = max(peak_pss, sum(_pss(p.pid) for p in procs)), now
        except psutil.Error:
            pass
        ended.wait(0.25)
    wall = end[0] - t0
    LAST_WORKERS_CPU[0] = sum(workers.values())
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {proc.returncode}")
    return wall, peak_tree / 2**20, peak_pss / 2**20, peak_one / 2**20


MODES = {"default": [], "no_text_mining": ["--no-text-mining"], "extraction": ["--no-text-mining", "--no-checks"]}
EXE = str(ROOT / ".venv" / "bin" / "countyfiscal")


def _extract(folder: Path, out: Path, jobs: int, mode: str, label: str) -> float:
    shutil.rmtree(out, ignore_errors=True)
    wall, tree, pss, one = run_measured([EXE, "extract", str(folder), "--out", str(out), "--jobs", str(jobs),
                                         "--quiet"] + MODES[mode])
    line(f"extract_seconds_{label}", f"{wall:.1f}", "s")
    if label.startswith("n"):
        n = int(label[1:].split("_")[0])
        line(f"extract_docs_per_s_{label}", f"{n / wall:.1f}", "documents/s")
        line(f"extract_seconds_per_1000_docs_{label}", f"{1000 * wall / n:.2f}", "s")
        line(f"parent_cpu_ms_per_doc_{label}", f"{1000 * LAST_PARENT_CPU[0] / n:.2f}",
             "ms (the command's own process, sampled every 0.25 s: imports and start-up included)")
        line(f"workers_cpu_ms_per_doc_{label}", f"{1000 * LAST_WORKERS_CPU[0] / n:.2f}",
             "ms (its worker processes, each one's last sample)")
    line(f"peak_rss_tree_{label}", f"{tree:.0f}", "MiB")
    line(f"peak_pss_tree_{label}", f"{pss:.0f}", "MiB")
    line(f"peak_rss_largest_process_{label}", f"{one:.0f}", "MiB")
    return wall


def bench_extract(sizes: list[int], compare_jobs: bool, modes: list[str]) -> None:
    out = CORPUS / "out"
    for n in sorted(sizes):
        folder = txt_corpus(n)
        wall = {}
        if compare_jobs and "default" in modes:
            for jobs in (1, 2):
                wall[("default", jobs)] = _extract(folder, out, jobs, "default", f"n{n}_jobs{jobs}_default")
            line(f"speedup_jobs2_over_jobs1_n{n}_default",
                 f"{wall[('default', 1)] / wall[('default', 2)]:.2f}", "x")
        for mode in modes:
            if (mode, 2) not in wall:
                wall[(mode, 2)] = _extract(folder, out, 2, mode, f"n{n}_jobs2_{mode}")
        if ("no_text_mining", 2) in wall:
            for mode in modes:
                if mode != "no_text_mining":
                    line(f"cost_{mode}_over_no_text_mining_n{n}_jobs2",
                         f"{wall[(mode, 2)] / wall[('no_text_mining', 2)]:.2f}", "x")
    shutil.rmtree(out, ignore_errors=True)


def bench_real(shared: Path) -> None:
    """The default command over the real PDFs of the dev and wide corpora, --jobs 1 then 2 (read in place)."""
    out = CORPUS / "out_real"
    wall = {}
    for jobs in (1, 2):
        wall[jobs] = sum(_extract(shared / corpus, out, jobs, "default", f"real_{corpus.replace('-', '_')}_jobs{jobs}")
                         for corpus in ("dev-corpus", "wide-corpus"))
        line(f"extract_seconds_real_jobs{jobs}", f"{wall[jobs]:.1f}", "s")
    line("speedup_jobs2_over_jobs1_real", f"{wall[1] / wall[2]:.2f}", "x")
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
    wall, tree, pss, one = run_measured(["make", "figures"])
    line("make_figures_seconds", f"{wall:.1f}", "s")
    line("make_figures_peak_rss_largest_process", f"{one:.0f}", "MiB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000", help="comma-separated corpus sizes for the extract runs")
    ap.add_argument("--no-jobs-compare", action="store_true", help="skip the --jobs 1 run of the default command")
    ap.add_argument("--modes", default="default,no_text_mining,extraction",
                    help=f"comma-separated extract modes, of: {', '.join(MODES)}")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"), help="folder holding dev-corpus/wide-corpus")
    ap.add_argument("--pdf", type=int, default=40, help="number of synthetic PDFs to read (0: skip)")
    ap.add_argument("--figures", action="store_true", help="also time `make figures` (rewrites data/processed, reports)")
    ap.add_argument("--only", default="", help="comma-separated subset of: extract,real,pdf,tokenize,figures")
    args = ap.parse_args(argv)
    only = set(filter(None, args.only.split(",")))
    describe_machine()
    if not only or "extract" in only:
        bench_extract([int(s) for s in args.sizes.split(",")], not args.no_jobs_compare,
                      [m for m in args.modes.split(",") if m])
    if not only or "real" in only:
        bench_real(Path(args.shared))
    if not only or "tokenize" in only:
        bench_tokenize()
    if (not only or "pdf" in only) and args.pdf:
        bench_pdf(args.pdf)
    if args.figures or "figures" in only:
        bench_figures()
    print(f"# load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
