"""Wall time of what `make figures` does warm (extract the seeds, run every notebook of reports.yml); prints seconds."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "countyfiscal")


def main() -> None:
    env = os.environ | {"MPLCONFIGDIR": str(ROOT / ".cache" / "matplotlib"), "PYTHONHASHSEED": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        processed, reports = Path(tmp) / "processed", Path(tmp) / "reports"
        load = os.getloadavg()[0]
        start = time.perf_counter()
        subprocess.run([CLI, "extract", str(ROOT / "data" / "raw"), "--out", str(processed)], check=True, env=env,
                       cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        extracted = time.perf_counter()
        status = subprocess.run([CLI, "figures", "--config", str(ROOT / "reports.yml"), "--reports", str(reports),
                                 "--processed", str(processed)], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        end = time.perf_counter()
        n_png = len(list((reports / "figures").glob("*.png")))
        n_nb = len(list((reports / "notebooks").glob("*.html")))
    print(f"make figures (warm) on the seeds: {end - start:.1f} s "
          f"(extract {extracted - start:.1f} s, notebooks {end - extracted:.1f} s); {n_nb} notebooks, {n_png} figures; "
          f"exit {status}; {os.cpu_count()} cores, load average {load:.2f} at start")


if __name__ == "__main__":
    main()
