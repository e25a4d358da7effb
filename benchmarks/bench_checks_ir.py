"""The per-document checks' cost as instructions counted by valgrind: a ratio that a busy machine does not blur.

Usage (from the repository root; valgrind must be installed; about ten minutes):

    .venv/bin/python benchmarks/bench_checks_ir.py --other /work/main [--passes 5]

For this repository and the ``--other`` one (each with its own ``.venv``), the dev-corpus PDFs and the seeds are
extracted once by that repository's ``pipeline.process_file`` and pickled; then ``checks.check_document`` (the
extractor's dicts, as a worker runs it) and ``checks.run_checks`` (tables in, as bench_checks.py times it) run over
them under ``valgrind --tool=cachegrind --cache-sim=no``, once with 1 pass and once with ``--passes`` passes: the
difference divided by the extra passes is the instructions one pass over the documents costs (start-up, imports and
first-call caches cancel out). Prints ``name value unit`` lines and each ratio this/other. Timings on a shared
two-core machine vary by ±20 % from run to run; these counts vary by about 1 % (Python's garbage collector).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PREPARE = """
import pickle, sys
from pathlib import Path
from countyfiscal.pipeline import process_file
for name, paths in (("dev", sorted(Path(sys.argv[1]).glob("*.pdf"))), ("seeds", sorted(Path(sys.argv[2]).glob("0*.txt")))):
    res = [process_file(p) for p in paths]
    res = [(r.figures, r.document, r.text) for r in res if r.document["status"] in ("ok", "partial") and r.text]
    pickle.dump(res, open(Path(sys.argv[3]) / f"{name}.pkl", "wb"))
"""

RUN = """
import pickle, sys
from countyfiscal.audit import checks
from countyfiscal.pipeline import frame
res = pickle.load(open(sys.argv[1], "rb"))
if sys.argv[3] == "run_checks":
    args = [(frame("figures", f), frame("documents", [d]), {d["file"]: t}) for f, d, t in res]
    for _ in range(int(sys.argv[2])):
        for a in args:
            checks.run_checks(*a)
else:
    for _ in range(int(sys.argv[2])):
        for f, d, t in res:
            checks.check_document(f, d, t)
"""


def instructions(repo: Path, script: Path, *args: str) -> int:
    out = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                          str(repo / ".venv" / "bin" / "python"), str(script), *args],
                         cwd=repo, capture_output=True, text=True, check=True)
    m = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if not m:
        raise RuntimeError(f"no instruction count from valgrind:\n{out.stderr[-2000:]}")
    return int(m.group(1).replace(",", ""))


def per_pass(repo: Path, script: Path, data: Path, what: str, passes: int) -> int:
    one = instructions(repo, script, str(data), "1", what)
    many = instructions(repo, script, str(data), str(passes), what)
    return (many - one) // (passes - 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--other", type=Path, required=True, help="the repository to compare with (e.g. /work/main)")
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_checks_ir."))
    prepare, run = tmp / "prepare.py", tmp / "run.py"
    prepare.write_text(PREPARE, encoding="utf-8")
    run.write_text(RUN, encoding="utf-8")
    counts: dict[tuple[str, str, str], int] = {}
    for label, repo in (("this", REPO), ("other", args.other.resolve())):
        data = tmp / label
        data.mkdir()
        subprocess.run([str(repo / ".venv" / "bin" / "python"), str(prepare), str(args.shared / "dev-corpus"),
                        str(repo / "data" / "raw"), str(data)], cwd=repo, check=True)
        for corpus in ("seeds", "dev"):
            for what in ("check_document", "run_checks"):
                n = per_pass(repo, run, data / f"{corpus}.pkl", what, args.passes)
                counts[(label, corpus, what)] = n
                print(f"{what}_instructions_per_pass_{corpus}_{label} {n} instructions", flush=True)
    for corpus in ("seeds", "dev"):
        for what in ("check_document", "run_checks"):
            ratio = counts[("this", corpus, what)] / counts[("other", corpus, what)]
            print(f"{what}_ratio_{corpus} {ratio:.3f} this/other")
    return 0


if __name__ == "__main__":
    sys.exit(main())
