"""One extract over a hostile raw folder: links out of it, a pipe, odd names, hidden files, sub-folders and bombs.

Exit 0, nothing on the screen but the summary, a row for every entry, nothing from outside the folder in any output,
under a minute and under 1 GB for the whole process tree.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import socket
import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pandas as pd
import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "data" / "raw").glob("*.txt"))
CLI = [str(ROOT / ".venv" / "bin" / "countyfiscal"), "extract"]
SECRET = "SECRET-MARKER-7f3a"


# ------------------------------------------------------------------------------------------- builders (bombs)


def page_tree_bomb(pages: int = 100_000) -> bytes:
    """A small PDF whose page tree lists one page ``pages`` times (~1 MB)."""
    kids = " ".join(["3 0 R"] * pages)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length 0 >>\nstream\n\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _docx(document_xml: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
                   '</Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
                   '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", document_xml)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def gridspan_bomb() -> bytes:
    cell = '<w:tc><w:tcPr><w:gridSpan w:val="50000000"/></w:tcPr><w:p><w:r><w:t>合计</w:t></w:r></w:p></w:tc>'
    xml = f'<?xml version="1.0"?><w:document {W}><w:body><w:tbl>' + f"<w:tr>{cell * 4}</w:tr>" * 4 + \
        "</w:tbl></w:body></w:document>"
    return _docx(xml.encode())


def zip_bomb_docx(megabytes: int = 300) -> bytes:
    """A docx whose document.xml decompresses to ``megabytes`` MB (of one repeated paragraph)."""
    para = "<w:p><w:r><w:t>支出合计1,000.00元</w:t></w:r></w:p>".encode()
    body = para * (megabytes * 2**20 // len(para))
    xml = f'<?xml version="1.0"?><w:document {W}><w:body>'.encode() + body + b"</w:body></w:document>"
    return _docx(xml)


def deep_html(levels: int = 200_000) -> bytes:
    return ("<html><body>" + "<div>" * levels + "部门预算" + "</div>" * levels + "</body></html>").encode()


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
    put("bombs/pages.pdf", page_tree_bomb(), "rejected", "")
    put("bombs/gridspan.docx", gridspan_bomb(), "rejected", "")
    put("bombs/zip.docx", zip_bomb_docx(), "rejected", "")
    put("bombs/deep.html", deep_html(), "rejected", "")
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
