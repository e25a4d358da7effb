"""End to end through run_extract and the CLI: every bad input gets a row with its reason, nothing half-written.

The raw folder is built here: broken downloads, scans, portal pages, duplicates, truncated disclosures next to two
real seeds. test_ingest checks each rejection sentence of read_document; these tests check what reaches
documents.csv / figures.csv / extract.log and the screen, and what a killed or failing run leaves behind.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from countyfiscal import cli
from countyfiscal.pipeline import process_file, run_extract

ROOT = Path(__file__).resolve().parents[1]
SEEDS = {p.name: p for p in sorted((ROOT / "data" / "raw").glob("*.txt"))}
BUDGET = "001_397323f2860f1b51.txt"  # 紫阳县 2023 budget, complete: status ok
FINAL = "000_d2df3ef129941176.txt"  # 红塔区 2023 final account: its first 40 % is the truncated disclosure
CLI = [str(ROOT / ".venv" / "bin" / "countyfiscal"), "extract"]
SUPPORTED = "supported formats are .txt, .docx, .pdf and .html"


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _documents(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "documents.csv", dtype=str, keep_default_na=False).set_index("file")


# ------------------------------------------------------------------------------------------------- file builders


@pytest.fixture(scope="module")
def cjk_font() -> str:
    import matplotlib

    matplotlib.use("pdf")
    import mplfonts
    from matplotlib import font_manager

    font = next(Path(mplfonts.__file__).parent.rglob("NotoSansCJKsc-Regular.otf"))
    font_manager.fontManager.addfont(str(font))
    return font_manager.FontProperties(fname=str(font)).get_name()


def pdf_bytes(font: str, pages: list[list[str] | None]) -> bytes:
    """A PDF with a text layer on each page given as lines; a page given as None holds only an image (a scan)."""
    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.backends.backend_pdf import PdfPages

    buf = io.BytesIO()
    # fonttype 42 embeds the font with its ToUnicode map, so the text is extractable
    with matplotlib.rc_context({"pdf.fonttype": 42, "font.family": font}), PdfPages(buf) as pp:
        for lines in pages:
            fig = plt.figure(figsize=(8.27, 11.69))
            if lines is None:
                fig.figimage(np.random.default_rng(0).random((120, 120)), 40, 40)
            for i, line in enumerate(lines or []):
                fig.text(0.08, 0.92 - i * 0.03, line, fontsize=11)
            pp.savefig(fig)
            plt.close(fig)
    return buf.getvalue()


# A small but complete budget: title, income and expenditure totals, 三公 total (the parts a budget must state).
BUDGET_PAGES = [
    ["某某县水务局2024年部门预算", "一、收入支出预算总体情况",
     "2024年收入预算总额356.20万元，支出预算总额356.20万元。", "其中：基本支出300.00万元，项目支出56.20万元。"],
    ["二、“三公”经费预算情况", "2024年“三公”经费预算数为4.50万元，其中公务接待费1.50万元，",
     "公务用车运行维护费3.00万元。财政拨款收入356.20万元。"],
]


def encrypted_pdf() -> bytes:
    """A one-page PDF under the standard security handler with a non-empty user password (written by hand)."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
        b"<< /Length 0 >>\nstream\n\nendstream",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 5 0 R /ID [<%s> <%s>] >>\n" % (len(objs) + 1, b"ab" * 16, b"ab" * 16)
    return bytes(out + b"startxref\n%d\n%%%%EOF\n" % xref)


def docx_bytes(lines: list[str]) -> bytes:
    import docx

    d = docx.Document()
    for line in lines:
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def xlsx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


PORTAL = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>某某县人民政府门户网站</title></head><body>
<nav><a href="/">首页</a><a href="/zwgk">政务公开</a><a href="/bs">办事服务</a><a href="/hd">互动交流</a></nav>
<ul><li><a href="/a.pdf">某某县财政局2023年部门预算公开</a></li><li><a href="/b.pdf">某某县教育局2022年部门决算公开</a></li>
<li><a href="/c">2023年县级预算执行情况</a></li><li><a href="/d">关于开展春季植树活动的通知</a></li></ul>
<p>版权所有：某某县人民政府办公室 地址：某某县人民路1号 电话：0000-1234567</p></body></html>"""
# A guide to filling in the budget tables: a budget title and the tables' vocabulary, but not one sum of money.
GUIDE = ("2024年部门预算编制填报说明\n一、收入合计填列本单位全部收入，支出合计填列全部支出。\n"
         "二、基本支出包括人员经费和公用经费；项目支出按项目填列。\n三、“三公”经费按因公出国（境）费、公务接待费分别填列。\n"
         "四、财政拨款收入填列一般公共预算拨款。\n请各单位于3月31日前报送。\n")


def _final_text() -> str:
    return SEEDS[FINAL].read_text(encoding="utf-8")


# file -> (status, the reason or how it starts); every file the fixture writes is listed here.
EXPECTED = {
    BUDGET: ("ok", ""),
    "empty.txt": ("rejected", "empty file"),
    "blank.txt": ("rejected", "empty file"),
    "junk.bin": ("rejected", "binary data, not a readable document"),
    "book.xlsx": ("rejected", f"unsupported format (.xlsx); {SUPPORTED}"),
    "photo.jpg": ("rejected", f"unsupported format (.jpg); {SUPPORTED}"),
    "old.doc": ("rejected", f"unsupported format (.doc); {SUPPORTED}"),
    # the "scans" are random noise: OCR (the [ocr] extra is in dev) reads them and finds no text (test_ocr.py covers
    # the pages of a real scan, and the install without OCR)
    "scan.pdf": ("rejected", "no text layer, and OCR found no text on its pages"),
    "locked.pdf": ("rejected", "encrypted PDF (password required)"),
    "cut.pdf": ("rejected", "corrupt or truncated PDF: "),
    "cut.docx": ("rejected", "corrupt or truncated .docx: "),
    "portal.html": ("rejected", "not a fiscal disclosure"),
    "guide.txt": ("rejected", "not a fiscal disclosure (it states no amount of money)"),
    "budget.pdf": ("ok", ""),
    "halfscan.pdf": ("partial", "read, but OCR found no text on pages 2 of 3"),
    "truncated.txt": ("partial", "read, but it states no expenditure total or 三公 total (truncated?)"),
    "zz_same_bytes.txt": ("duplicate", f"duplicate of {BUDGET} (same bytes)"),
    "zz_gbk.txt": ("duplicate", f"duplicate of {BUDGET} (same text)"),
    "zz_budget.docx": ("duplicate", "duplicate of budget.pdf (same text)"),
}


@pytest.fixture(scope="module")
def raw(tmp_path_factory, cjk_font) -> Path:
    raw = tmp_path_factory.mktemp("raw")
    shutil.copy(SEEDS[BUDGET], raw / BUDGET)
    budget_pdf = pdf_bytes(cjk_font, BUDGET_PAGES)
    files = {
        "empty.txt": b"",
        "blank.txt": " \r\n\t\u3000\n".encode("utf-8"),
        "junk.bin": bytes((i * 7919 + 13) % 256 for i in range(8000)),
        "book.xlsx": xlsx_bytes(),
        "photo.jpg": b"\xff\xd8\xff\xe0" + b"\x00" * 200,
        "old.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
        "scan.pdf": pdf_bytes(cjk_font, [None, None]),
        "locked.pdf": encrypted_pdf(),
        "cut.pdf": budget_pdf[: len(budget_pdf) // 2],
        "cut.docx": docx_bytes(SEEDS[BUDGET].read_text(encoding="utf-8").splitlines())[:3000],
        "portal.html": PORTAL.encode("utf-8"),
        "guide.txt": GUIDE.encode("utf-8"),
        "budget.pdf": budget_pdf,
        # a scanned page between two text pages (and a closing line, so its text is not budget.pdf's)
        "halfscan.pdf": pdf_bytes(cjk_font, [BUDGET_PAGES[0], None, BUDGET_PAGES[1] + ["三、其他说明：无。"]]),
        "truncated.txt": _final_text()[: int(len(_final_text()) * 0.4)].encode("utf-8"),
        "zz_same_bytes.txt": SEEDS[BUDGET].read_bytes(),
        "zz_gbk.txt": SEEDS[BUDGET].read_text(encoding="utf-8").encode("gbk"),
        "zz_budget.docx": docx_bytes([line for page in BUDGET_PAGES for line in page]),
    }
    for name, data in files.items():
        (raw / name).write_bytes(data)
    return raw


@pytest.fixture(scope="module")
def out(raw, tmp_path_factory) -> Path:
    """A run through the command line, as a researcher starts it (checks per document; text mining, which does not
    decide any status, is left out for speed: test_pipeline shows it gives the same documents and figures)."""
    out = tmp_path_factory.mktemp("out")
    done = subprocess.run(CLI + [str(raw), "--out", str(out), "--jobs", "1", "--quiet", "--no-text-mining"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # nothing but the summary reaches the screen
    n = {s: sum(1 for v in EXPECTED.values() if v[0] == s) for s in ("ok", "partial", "rejected", "duplicate")}
    assert done.stdout.startswith(f"{len(EXPECTED)} files: {n['ok']} ok, {n['partial']} partial, "
                                  f"{n['rejected']} rejected, {n['duplicate']} duplicate; ")
    return out


# ------------------------------------------------------------------------------------------- every input accounted


def test_every_input_has_a_row_with_its_status_and_reason(out, raw):
    docs = _documents(out)
    assert sorted(docs.index) == sorted(p.name for p in raw.iterdir()) == sorted(EXPECTED)
    for name, (status, reason) in EXPECTED.items():
        assert docs.loc[name, "status"] == status, (name, docs.loc[name, "reason"])
        if reason.endswith((": ", "not a fiscal disclosure")):
            assert docs.loc[name, "reason"].startswith(reason), name
        else:
            assert docs.loc[name, "reason"] == reason, name
    assert docs.loc["zz_gbk.txt", "duplicate_of"] == BUDGET
    assert docs.loc["zz_budget.docx", "duplicate_of"] == "budget.pdf"
    # every reason is one plain sentence
    assert all("\n" not in r and len(r) < 200 for r in docs["reason"])


def test_read_documents_keep_their_metadata_and_rejects_none(out):
    docs = _documents(out)
    assert docs.loc["truncated.txt", ["doc_kind", "fiscal_year", "jurisdiction"]].tolist() == ["final_account", "2023", "红塔区"]
    assert docs.loc["halfscan.pdf", ["doc_kind", "fiscal_year", "pages"]].tolist() == ["budget", "2024", "3"]
    # A page that is not a disclosure gets no kind or year, even when it names 部门预算 and a year.
    for name in ("portal.html", "guide.txt"):
        assert docs.loc[name, "doc_kind"] == "" and docs.loc[name, "fiscal_year"] == "", name


def test_only_read_originals_have_figures_and_every_quote_is_at_its_offsets(out, raw):
    from countyfiscal.ingest import normalised_text

    figs = pd.read_csv(out / "figures.csv", dtype={"file": str, "code": str}, keep_default_na=False)
    read = {n for n, (status, _) in EXPECTED.items() if status in ("ok", "partial")}
    assert set(figs["file"]) == read
    docs = _documents(out)
    assert figs.groupby("file").size().to_dict() == {n: int(docs.loc[n, "n_figures"]) for n in read}
    for name, group in figs.groupby("file"):
        text = normalised_text(raw / name)
        assert all(text[s:e] == q for s, e, q in zip(group["start"], group["end"], group["quote"])), name
    # the truncated final account still gives what it states before the cut
    cut = figs[figs["file"] == "truncated.txt"].set_index("measure")
    assert cut.loc["income_total", "value"] == 2777536.87
    # the half-scanned PDF states what its text pages say, no more
    half = figs[figs["file"] == "halfscan.pdf"]
    assert set(half["page"].astype(int)) == {1, 3}
    assert half[half["measure"] == "sangong_total"]["value"].tolist() == [45000.0]
    assert figs[figs["file"] == "budget.pdf"][["measure", "value"]].values.tolist() == \
        half[["measure", "value"]].values.tolist()


def test_duplicates_and_rejects_are_not_checked(out):
    flags = pd.read_csv(out / "flags.csv", dtype=str, keep_default_na=False)
    files = {f for cell in flags["file"] for f in cell.split(";")}
    assert not files & {n for n, (s, _) in EXPECTED.items() if s in ("rejected", "duplicate")}


def test_rerun_gives_byte_identical_outputs_and_no_temporary_files(out, raw, tmp_path):
    again = tmp_path / "again"
    run_extract(raw, again, jobs=2, progress=False, text_mining=False)
    assert _tree(again) == _tree(out)
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert (out / "extract.log").read_text(encoding="utf-8") == ""  # no unexpected failure in this corpus


# --------------------------------------------------------------------------------------- one failure never stops


def test_an_unexpected_failure_is_recorded_in_the_log_not_on_screen(raw, tmp_path, monkeypatch, capfd):
    import countyfiscal.extract

    real = countyfiscal.extract.extract_all

    def flaky(doc, *args, **kwargs):
        if doc.file == "budget.pdf":
            raise ZeroDivisionError("planted failure")
        return real(doc, *args, **kwargs)

    monkeypatch.setattr(countyfiscal.extract, "extract_all", flaky)
    small = tmp_path / "raw"
    small.mkdir()
    for name in (BUDGET, "budget.pdf", "empty.txt"):
        shutil.copy(raw / name, small / name)
    status = cli.main(["extract", str(small), "--out", str(tmp_path / "out"), "--jobs", "1", "--quiet",
                       "--no-text-mining"])
    captured = capfd.readouterr()
    assert status == 0
    assert "Traceback" not in captured.err + captured.out and "planted" not in captured.err + captured.out
    assert captured.out.startswith("3 files: 1 ok, 0 partial, 2 rejected, 0 duplicate;")
    docs = _documents(tmp_path / "out")
    assert docs.loc["budget.pdf", "reason"] == "could not be processed: an unexpected error (see extract.log)"
    assert docs.loc[BUDGET, "status"] == "ok"
    log = (tmp_path / "out" / "extract.log").read_text(encoding="utf-8")
    assert log.startswith("=== budget.pdf\nTraceback (most recent call last):")
    assert "ZeroDivisionError: planted failure" in log and BUDGET not in log


# ------------------------------------------------------------------------------------------- command-line failures


def _one_sentence(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_missing_raw_folder_exits_2_with_one_sentence(tmp_path):
    done = subprocess.run(CLI + [str(tmp_path / "nope"), "--out", str(tmp_path / "out"), "--quiet"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert _one_sentence(done.stderr) == f"countyfiscal extract: the raw folder {tmp_path / 'nope'} does not exist"
    assert not (tmp_path / "out").exists()


def test_unwritable_output_folder_exits_2_with_one_sentence(raw, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    out = blocker / "sub"  # root may write anywhere, but never below a regular file
    done = subprocess.run(CLI + [str(raw), "--out", str(out), "--quiet"], capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert _one_sentence(done.stderr) == f"countyfiscal extract: cannot write to the output folder {out}: Not a directory"


# Interrupted and killed runs, crashed readers, full disks: tests/test_faults.py and tests/test_outputs.py.


# ------------------------------------------------------------------------------------------- a very large file


@pytest.mark.slow
def test_an_8_mb_disclosure_is_read_whole(tmp_path):
    """The final account repeated to 8 MB: one ok row, every copy's figures (speed: benchmarks/bench_large.py;
    8 rather than 10 MB while extract_all's more_precise marking is quadratic in the copies of one figure)."""
    seed = SEEDS[FINAL].read_bytes() + b"\n"
    copies = 8 * 2**20 // len(seed) + 1
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "large.txt").write_bytes(seed * copies)
    counts = run_extract(raw, tmp_path / "out", progress=False, text_mining=False, checks=False)
    row = _documents(tmp_path / "out").loc["large.txt"]
    assert (row["status"], row["doc_kind"], row["fiscal_year"], row["jurisdiction"]) == ("ok", "final_account", "2023", "红塔区")
    single = process_file(SEEDS[FINAL])
    assert int(row["n_figures"]) == counts["figures"] == copies * len(single.figures)
    assert copies * single.document["chars"] <= int(row["chars"]) <= copies * (single.document["chars"] + 2)


def test_the_command_leaves_the_interpreter_s_last_collection_nothing_to_walk(tmp_path):
    # The checker is registered before main, so it runs after main's own exit handler (last in, first out).
    script = ("import atexit, gc, sys\n"
              "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))\n"
              "from countyfiscal import cli\n"
              f"rc = cli.main(['extract', {str(ROOT / 'data' / 'raw')!r}, '--out', {str(tmp_path / 'out')!r}, "
              "'--jobs', '1', '--quiet', '--no-text-mining'])\n"
              "print('frozen before exit:', gc.get_freeze_count() > 0)\n"
              "sys.exit(rc)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["frozen before exit: False", "frozen at exit: True"]
    assert len(_documents(tmp_path / "out")) == len(SEEDS)  # every file written and closed before the exit
