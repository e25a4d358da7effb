"""One extract over a hostile raw folder: links out of it, a pipe, odd names, hidden files, sub-folders and the six
bombs of tests/_hostile.py (the hardening helper's builders).

Exit 0, nothing on the screen but the summary, a row for every entry, nothing from outside the folder in any output,
under a minute and under 1 GB for the whole process tree.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "data" / "raw").glob("*.txt"))
CLI = [str(ROOT / ".venv" / "bin" / "countyfiscal"), "extract"]
SECRET = "SECRET-MARKER-7f3a"
sys.path.insert(0, str(ROOT / "tests"))
import _hostile  # noqa: E402  (the hardening helper's builders of hostile inputs)

# What each bomb's row says (substrings of the readers' sentences, tests/_hostile.py).
BOMBS = {
    "page_tree_bomb.pdf": "100,000 pages",
    "gridspan_bomb.docx": "not a fiscal disclosure",
    "zip_bomb.docx": "1,024.0 MB",
    "many_members.docx": "10,001 members",
    "deep.html": "255 elements deep",
    "huge.html": "50.0 MB",
}


# ------------------------------------------------------------------------------------------- the folder


def build(raw: Path, outside: Path) -> tuple[dict[str, tuple[str, str]], socket.socket]:
    """The hostile folder; returns each entry's expected (status, reason start) — status "read" for ok/partial."""
    texts = [p.read_bytes() for p in SEEDS]
    outside.write_bytes(texts[0].replace("红塔区".encode(), f"红塔区{SECRET}".encode()))
    expected: dict[str, tuple[str, str]] = {}

    def put(name: str | bytes, data: bytes, status: str = "read", reason: str = "") -> None:
        path = os.path.join(os.fsencode(raw), os.fsencode(name))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        from countyfiscal.raw_folder import display_name

        expected[display_name(os.path.relpath(path, os.fsencode(raw)))] = (status, reason)

    def link(name: str, target, reason: str) -> None:
        (raw / name).symlink_to(target)
        expected[name] = ("rejected", reason)

    put("budget.txt", texts[1])
    put(".hidden_budget.txt", texts[2])  # a real disclosure with a hidden name is read
    put("README.txt", texts[3])  # a disclosure named README is read
    put(b"\xb8\xdf\xd0\xc2\xc7\xf8 budget.txt", texts[4])  # GBK bytes of 高新区: not UTF-8
    put("tab\there.txt", texts[0].replace(b"2023", b"2021"))
    put("cr\rlf\nhere.txt", texts[1].replace(b"2023", b"2021"))
    put("=HYPERLINK(1).txt", texts[2].replace(b"2022", b"2020"))
    put("+plus.txt", texts[3].replace(b"2023", b"2020"), "read")
    put("@at.txt", b"\xef\xbb\xbf" + texts[4].replace(b"2023", b"2019"))
    put("county/sub/final.txt", texts[0].replace(b"2023", b"2020"))
    put("county/notes.txt", "会议通知：请各位周五下午开会。\n".encode() * 5, "rejected", "")
    (raw / "bombs").mkdir()
    for name in _hostile.build_all(raw / "bombs"):
        expected[f"bombs/{name}"] = ("bomb", BOMBS[name])
    put(".git/HEAD", b"ref: refs/heads/main\n")
    del expected[".git/HEAD"]
    expected[".git"] = ("rejected", "not read: a hidden folder")
    (raw / "empty").mkdir()
    expected["empty"] = ("rejected", "not read: an empty folder")
    links = "; links are never followed"
    link("outside.txt", outside, "not read: a symbolic link to something outside the raw folder" + links)
    link("passwd", "/etc/passwd", "not read: a symbolic link to something outside the raw folder" + links)
    link("environ", "/proc/self/environ", "not read: a symbolic link to something outside the raw folder" + links)
    link("inside.txt", raw / "budget.txt", "not read: a symbolic link to the file budget.txt in the raw folder" + links)
    link("dangling.txt", raw.parent / "nothing", "not read: a symbolic link to nothing")
    link("loop", raw / "loop", "not read: a symbolic link that loops" + links)
    os.mkfifo(raw / "pipe")
    expected["pipe"] = ("rejected", "not read: a named pipe (FIFO), not a file; never opened")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(raw / "socket"))
    expected["socket"] = ("rejected", "not read: a socket, not a file; never opened")
    return expected, sock


def _pss(pid: int) -> int:
    """Proportional set size: pages shared by the parent and its forked workers are counted once over the tree."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _peak_tree_mb(proc: subprocess.Popen, peak: list[float]) -> None:
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            tree = [root] + root.children(recursive=True)
            peak[0] = max(peak[0], sum(_pss(p.pid) for p in tree) / 2**20)
        except psutil.Error:
            pass
        time.sleep(0.05)


def test_one_run_over_a_hostile_folder(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    expected, sock = build(raw, tmp_path / "secret.txt")
    try:
        t0 = time.monotonic()
        proc = subprocess.Popen(CLI + [str(raw), "--out", str(out), "--jobs", "2", "--quiet", "--time-limit", "10",
                                       "--time-per-page", "0", "--memory-limit", "300"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        peak = [0.0]
        sampler = threading.Thread(target=_peak_tree_mb, args=(proc, peak))
        sampler.start()
        stdout, stderr = proc.communicate(timeout=300)
        sampler.join()
        took = time.monotonic() - t0
    finally:
        sock.close()
    assert proc.returncode == 0, stderr.decode()
    assert stderr == b""  # no traceback, no warning: only the summary on stdout
    assert stdout.decode().startswith(f"{len(expected)} files: ")
    assert took < 60, took
    assert peak[0] < 1024, peak[0]

    docs = pd.read_parquet(out / "documents.parquet").set_index("file")
    assert sorted(docs.index) == sorted(expected)
    for name, (status, reason) in expected.items():
        row = docs.loc[name]
        if status == "read":
            assert row["status"] in ("ok", "partial"), (name, row["reason"])
        elif status == "bomb":
            assert row["status"] == "rejected" and reason in row["reason"], (name, row["reason"])
        else:
            assert row["status"] == status, (name, row["reason"])
            assert row["reason"].startswith(reason), (name, row["reason"])
    assert docs.loc["\\xb8\\xdf\\xd0\\xc2\\xc7\\xf8 budget.txt", "jurisdiction"] == "曾都区"

    # nothing from outside the folder in any output: not the planted text, not the hashes of what the links name
    outside = [SECRET.encode(), hashlib.sha256((tmp_path / "secret.txt").read_bytes()).hexdigest().encode(),
               hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest().encode()]
    for p in out.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            assert not any(s in data for s in outside), p
    figs = pd.read_parquet(out / "figures.parquet")
    assert not {"outside.txt", "passwd", "environ", "inside.txt"} & set(figs["file"])

    # the CSV stays one line per row for a naive reader, and a spreadsheet does not run a name as a formula
    lines = (out / "documents.csv").read_text(encoding="utf-8").split("\n")
    assert len(lines) == len(expected) + 2 and lines[-1] == ""
    csv = pd.read_csv(out / "documents.csv", dtype=str, keep_default_na=False)
    assert set(csv["file"]) == {("'" + n if n[0] in "=+-@" else n) for n in expected}
    assert "tab\\there.txt" in set(csv["file"]) and "cr\\rlf\\nhere.txt" in set(csv["file"])
    assert (csv["file"].str[0] != "=").all()
    assert "=HYPERLINK(1).txt" in set(figs["file"])  # Parquet keeps the name as it is
