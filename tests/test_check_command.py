"""`countyfiscal check`: the checks' tables rewritten from an extraction as one set, reading the raw folder safely."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd

from countyfiscal.pipeline import run_extract

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "data" / "raw").glob("*.txt"))
CLI = [str(ROOT / ".venv" / "bin" / "countyfiscal"), "check"]


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_check_rewrites_flags_statements_and_metrics_as_extract_made_them(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for p in SEEDS:
        shutil.copy(p, raw / p.name)
    full, bare = tmp_path / "full", tmp_path / "bare"
    run_extract(raw, full, jobs=2, progress=False, text_mining=False)
    run_extract(raw, bare, jobs=2, progress=False, text_mining=False, checks=False)
    assert not (bare / "flags.csv").exists()
    done = subprocess.run(CLI + [str(bare), "--raw-dir", str(raw)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == ""
    n = len(pd.read_csv(full / "flags.csv"))
    assert n > 0 and done.stdout == f"{n} flags -> {bare / 'flags.csv'}\n"
    # the same tables, CSV and Parquet, as the extraction that checked while it read
    assert _tree(bare) == _tree(full)


def test_check_never_follows_a_link_put_in_place_of_a_document(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SEEDS[1], raw / SEEDS[1].name)
    out = tmp_path / "out"
    run_extract(raw, out, jobs=1, progress=False, text_mining=False)
    flags = (out / "flags.csv").read_bytes()
    assert len(pd.read_parquet(out / "statements.parquet")) == 32
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_bytes(SEEDS[0].read_bytes())  # another disclosure, with other statements
    (raw / SEEDS[1].name).unlink()
    (raw / SEEDS[1].name).symlink_to(elsewhere)
    done = subprocess.run(CLI + [str(out), "--raw-dir", str(raw)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    statements = pd.read_parquet(out / "statements.parquet")
    assert len(statements) == 0  # the text behind the link was not read: no statement from it (the seed states 32)
    assert (out / "flags.csv").read_bytes() == flags  # its one flag is a sum of its figures: still there


def test_check_without_an_extraction_is_one_sentence(tmp_path):
    done = subprocess.run(CLI + [str(tmp_path / "nothing"), "--raw-dir", str(ROOT / "data" / "raw")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (f"countyfiscal check: {tmp_path / 'nothing' / 'documents.csv'} is missing; "
                           "run `countyfiscal extract` first\n")
