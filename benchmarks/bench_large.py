"""One very large input: seconds and peak RSS of reading and extracting a seed repeated to N MB, per size.

Usage:
    .venv/bin/python benchmarks/bench_large.py                 # 5 and 30 MB
    .venv/bin/python benchmarks/bench_large.py --sizes 1,5,10 --seed 002_94b8458f609bc2e0.txt

Each size runs what a worker of the default `countyfiscal extract` does with one document (`pipeline.process_file`,
then `pipeline.finish_in_worker`: checks, statements, text mining; `--extract-only`: process_file alone) in a fresh
child process (so peak RSS is that size's alone, measured with
getrusage). Prints `name value unit` lines; time grows linearly when `s_per_mb` stays flat across sizes, and memory
is bounded when `rss_per_mb` (peak RSS above the bare import) stays flat.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
import countyfiscal.pipeline as pipeline, countyfiscal.extract, countyfiscal.ingest, countyfiscal.metadata
full = sys.argv[2] == "full"
if full:
    pipeline._init_worker(True)  # the tokenizer, built before the workers start
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
res = pipeline.process_file(sys.argv[1])
if full:
    res = pipeline.finish_in_worker(res)
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "base_kb": base, "peak_kb": peak, "status": res.document["status"],
                  "figures": len(res.figures), "chars": res.document["chars"]}))
"""


def build(path: Path, seed: bytes, megabytes: float) -> int:
    """Write ``seed`` (plus a newline) repeated to at least ``megabytes`` MB; returns the number of copies."""
    copies = int(megabytes * 2**20 // (len(seed) + 1)) + 1
    with open(path, "wb") as f:
        for _ in range(copies):
            f.write(seed + b"\n")
    return copies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,30", help="comma-separated sizes in MB")
    parser.add_argument("--seed", default="000_d2df3ef129941176.txt", help="a file in data/raw")
    parser.add_argument("--extract-only", action="store_true", help="process_file alone (no checks, no text mining)")
    args = parser.parse_args(argv)
    seed = (ROOT / "data" / "raw" / args.seed).read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        for size in (float(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"large_{size:g}MB.txt"
            copies = build(path, seed, size)
            mb = path.stat().st_size / 2**20
            out = subprocess.run([sys.executable, "-c", CHILD, str(path), "extract" if args.extract_only else "full"], capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            name = f"large_{size:g}MB"
            print(f"{name}.copies {copies} copies")
            print(f"{name}.status {r['status']} -")
            print(f"{name}.figures {r['figures']} figures")
            print(f"{name}.seconds {r['seconds']:.2f} s")
            print(f"{name}.s_per_mb {r['seconds'] / mb:.3f} s/MB")
            print(f"{name}.peak_rss {r['peak_kb'] / 1024:.0f} MB")
            print(f"{name}.rss_per_mb {(r['peak_kb'] - r['base_kb']) / 1024 / mb:.1f} MB/MB", flush=True)
            path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
