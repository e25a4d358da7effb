"""Tests of read_document: every format built here (docx, PDF, HTML, encodings) and every file-level rejection."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from countyfiscal.ingest import normalised_text, read_bytes, read_document
from countyfiscal.ingest.normalise import normalise
from countyfiscal.model import RejectedInput

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"
CORPUS = REPO.parent / "shared" / "dev-corpus"

# one short disclosure passage used in every encoding / format
DISCLOSURE = (
    "曾都区信访局 2023 年部门预算\n"
    "一、收入预算情况\n"
    "2023 年曾都区信访局收入预算总额 305.63 万元，比 2022 年度 318.55 万元减少。\n"
    "其中：财政拨款收入2，777，536.87元，“三公”经费０．２万元。\n"
)
EXPECTED = (
    "曾都区信访局 2023 年部门预算\n"
    "一、收入预算情况\n"
    "2023 年曾都区信访局收入预算总额 305.63 万元，比 2022 年度 318.55 万元减少。\n"
    "其中：财政拨款收入2,777,536.87元，“三公”经费0.2万元。"
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def rejection(path: Path) -> str:
    with pytest.raises(RejectedInput) as info:
        read_document(path)
    return str(info.value)


# --------------------------------------------------------------------------------------------------------- .txt


@pytest.mark.parametrize(
    "encoding, data",
    [
        ("utf-8", DISCLOSURE.encode("utf-8")),
        ("utf-8-sig", DISCLOSURE.encode("utf-8-sig")),
        ("gb18030", DISCLOSURE.encode("gb18030")),
        ("gb18030", DISCLOSURE.replace("\n", "\r\n").encode("gbk")),
        ("utf-16", DISCLOSURE.encode("utf-16")),  # with BOM
        ("utf-16-le", DISCLOSURE.encode("utf-16-le")),  # no BOM
        ("utf-16-be", DISCLOSURE.encode("utf-16-be")),
        ("utf-8", DISCLOSURE.replace("\n", "\r").encode("utf-8")),  # old Mac line ends
    ],
)
def test_txt_in_every_encoding_gives_the_same_text(tmp_path, encoding, data):
    doc = read_document(write(tmp_path, "d.txt", data))
    assert doc.format == "txt"
    assert doc.encoding == encoding
    assert doc.text == EXPECTED
    assert doc.file == "d.txt" and doc.page_starts == [] and doc.page_at(3) is None


def test_pure_cjk_utf16_without_bom_is_not_mistaken_for_gb18030(tmp_path):
    text = "部门预算收入支出合计基本支出项目支出人员经费公用经费" * 4
    doc = read_document(write(tmp_path, "d.txt", text.encode("utf-16-le")))
    assert doc.text == text and doc.encoding == "utf-16-le"


def test_seed_text_reads_as_utf8_and_joins_its_wraps():
    doc = read_document(RAW / "004_70dee09d8603147c.txt")
    assert doc.format == "txt" and doc.encoding == "utf-8"
    assert "本部门 2023 年度机关运行经费支出 17.27 万元，比去年预算数 17.32 万元减少" in doc.text
    assert normalised_text(RAW / "004_70dee09d8603147c.txt") == doc.text


# --------------------------------------------------------------------------------------------------------- .docx


def make_docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("紫阳县信访局 2023 年部门预算")
    d.add_paragraph("1.\t一般公共服务支出（201）情况如下：")
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate([["科目", "预算数", "上年数"], ["行政运行（2010301）", "68.12", "65.00"],
                             ["合 计", "２，２６７．００", "2,100.00"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_paragraph("“三公”经费预算支出0.7万元。[bookmark: _GoBack]")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_paragraphs_and_tables_in_body_order(tmp_path):
    doc = read_document(write(tmp_path, "a.docx", make_docx()))
    assert doc.format == "docx"
    assert doc.text.split("\n") == [
        "紫阳县信访局 2023 年部门预算",
        "1. 一般公共服务支出（201）情况如下：",
        "科目\t预算数\t上年数",
        "行政运行（2010301）\t68.12\t65.00",
        "合 计\t2,267.00\t2,100.00",
        "“三公”经费预算支出0.7万元。",
    ]
    assert len(doc.tables) == 1
    t = doc.tables[0]
    assert t["cells"] == [["科目", "预算数", "上年数"], ["行政运行（2010301）", "68.12", "65.00"],
                          ["合 计", "2,267.00", "2,100.00"]]
    assert t["page"] is None
    assert doc.text[t["start"]:t["end"]] == "科目\t预算数\t上年数\n行政运行（2010301）\t68.12\t65.00\n合 计\t2,267.00\t2,100.00"
    assert normalise(doc.text) == doc.text


def test_docx_detected_from_bytes_whatever_the_name(tmp_path):
    doc = read_document(write(tmp_path, "download.bin", make_docx()))
    assert doc.format == "docx"


def test_truncated_docx_is_corrupt(tmp_path):
    data = make_docx()
    reason = rejection(write(tmp_path, "a.docx", data[: len(data) // 2]))
    assert reason.startswith("corrupt or truncated .docx: ")


# --------------------------------------------------------------------------------------------------------- .pdf


@pytest.fixture(scope="session")
def cjk_font():
    import matplotlib

    matplotlib.use("pdf")
    import mplfonts
    from matplotlib import font_manager

    font = next(Path(mplfonts.__file__).parent.rglob("NotoSansCJKsc-Regular.otf"))
    font_manager.fontManager.addfont(str(font))
    return font_manager.FontProperties(fname=str(font)).get_name()


def make_pdf(path: Path, font: str, pages: list[list[str]], image_only: bool = False) -> Path:
    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.backends.backend_pdf import PdfPages

    # fonttype 42 embeds the TrueType/CID font with its ToUnicode map, so the text layer is extractable
    with matplotlib.rc_context({"pdf.fonttype": 42, "font.family": font}), PdfPages(path) as pp:
        for lines in pages:
            fig = plt.figure(figsize=(8.27, 11.69))
            if image_only:
                fig.figimage(np.random.default_rng(0).random((200, 200)), 50, 50)
            for i, line in enumerate(lines):
                fig.text(0.08, 0.92 - i * 0.03, line, fontsize=11)
            pp.savefig(fig)
            plt.close(fig)
    return path


PAGE_LINES = [
    ["重庆市水利局 2026 年部门预算情况说明", "一、收入预算：2026 年年初预算数 186549.30 万元。", "— 1 —"],
    ["二、本 年 收 入 合 计 2,777,536.87 元。", "比 2025 年减少 246429.22 万元。", "— 2 —"],
    ["三、“三公”经费预算 0.20 万元。", "— 3 —"],
]


@pytest.fixture(scope="session")
def pdf_path(tmp_path_factory, cjk_font):
    return make_pdf(tmp_path_factory.mktemp("pdf") / "budget.pdf", cjk_font, PAGE_LINES)


def test_pdf_text_pages_and_page_starts(pdf_path):
    doc = read_document(pdf_path)
    assert doc.format == "pdf" and doc.n_pages == 3 and len(doc.page_starts) == 3
    assert doc.text.split("\n") == [
        "重庆市水利局 2026 年部门预算情况说明",
        "一、收入预算：2026 年年初预算数 186549.30 万元。",
        "二、本年收入合计 2,777,536.87 元。",
        "比 2025 年减少 246429.22 万元。",
        "三、“三公”经费预算 0.20 万元。",
    ]
    for page, first in ((1, "重庆市水利局"), (2, "二、本年收入合计"), (3, "三、“三公”经费")):
        start = doc.page_starts[page - 1]
        assert doc.text.startswith(first, start)
        assert doc.page_at(start) == page
    assert doc.page_at(doc.text.index("246429.22")) == 2
    assert doc.page_at(len(doc.text) - 1) == 3


def test_pdf_detected_from_bytes_even_when_misnamed(tmp_path, pdf_path):
    doc = read_document(write(tmp_path, "report.txt", pdf_path.read_bytes()))
    assert doc.format == "pdf" and "186549.30" in doc.text


def test_scanned_pdf_without_text_layer(tmp_path, cjk_font):
    # an image of noise: OCR (in dev) reads it and finds no text; without OCR: test_ocr.py
    path = make_pdf(tmp_path / "scan.pdf", cjk_font, [[], []], image_only=True)
    assert rejection(path) == "no text layer, and OCR found no text on its pages"


def test_truncated_pdf(tmp_path, pdf_path):
    data = pdf_path.read_bytes()
    reason = rejection(write(tmp_path, "cut.pdf", data[: len(data) // 2]))
    assert reason.startswith("corrupt or truncated PDF: ")


def test_garbage_after_pdf_magic_is_corrupt(tmp_path):
    reason = rejection(write(tmp_path, "bad.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 10 + b"\n%%EOF\n"))
    assert reason.startswith("corrupt or truncated PDF: ")


def encrypted_pdf() -> bytes:
    """A one-page PDF under the standard security handler whose user password is not empty.

    pypdfium2 cannot write encrypted files, so the Encrypt dictionary is written by hand: /U does not match the
    empty password, which is exactly what a reader meets with a password-protected disclosure.
    """
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
        b"<< /Length 0 >>\nstream\n\nendstream",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 5 0 R /ID [<%s> <%s>] >>\n" % (
        len(objs) + 1, b"ab" * 16, b"ab" * 16)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def test_encrypted_pdf(tmp_path):
    assert rejection(write(tmp_path, "locked.pdf", encrypted_pdf())) == "encrypted PDF (password required)"


# --------------------------------------------------------------------------------------------------------- .html

HTML_PAGE = """<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>部门预算</title>
<style>body {{ color: red }}</style><script>var x = "收入合计 999.99 万元";</script></head>
<body>
<header><a href="/">首页</a></header>
<nav><ul><li><a href="/a">机构</a></li><li><a href="/b">新闻</a></li></ul></nav>
<div class="breadcrumb">当前位置：首页 &gt; 公开</div>
<div class="article">
  <h1>盘龙区信访局2022年部门整体支出绩效自评报告</h1>
  <p>盘龙区信访局2022年收入合计：2851958.99元，<br>年度支出合计：2846343.88元。</p>
  <table><tr><th>项目</th><th colspan="2">金额</th></tr>
         <tr><td>人员经费</td><td>2,107,912.71</td><td>元</td></tr></table>
  <p>日常办公经费支出162061.01元。</p>
</div>
<ul class="links"><li><a>外交部</a></li><li><a>国防部</a></li><li><a>教育部</a></li><li><a>科技部</a></li>
<li><a>公安部</a></li><li><a>民政部</a></li></ul>
<footer>版权所有 联系我们</footer>
</body></html>
"""

HTML_TEXT = [
    "盘龙区信访局2022年部门整体支出绩效自评报告",
    "盘龙区信访局2022年收入合计：2851958.99元，",
    "年度支出合计：2846343.88元。",
    "项目\t金额",
    "人员经费\t2,107,912.71\t元",
    "日常办公经费支出162061.01元。",
]


@pytest.mark.parametrize("charset, codec", [("utf-8", "utf-8"), ("gbk", "gbk"), ("gb2312", "gb18030")])
def test_html_drops_scripts_and_navigation_and_reads_declared_charset(tmp_path, charset, codec):
    page = HTML_PAGE.format(charset=charset)
    doc = read_document(write(tmp_path, "page.html", page.encode(codec)))
    assert doc.format == "html"
    assert doc.text.split("\n") == HTML_TEXT
    assert doc.encoding in ("utf-8", "gb18030")
    assert doc.tables[0]["cells"] == [["项目", "金额", "金额"], ["人员经费", "2,107,912.71", "元"]]
    t = doc.tables[0]
    assert doc.text[t["start"]:t["end"]] == "项目\t金额\n人员经费\t2,107,912.71\t元"


def test_gbk_html_without_charset_declaration(tmp_path):
    page = HTML_PAGE.replace('<meta charset="{charset}">', "").format()
    doc = read_document(write(tmp_path, "page.htm", page.encode("gbk")))
    assert doc.encoding == "gb18030" and doc.text.split("\n") == HTML_TEXT


def test_html_saved_as_pdf_is_read_as_html(tmp_path):
    page = HTML_PAGE.format(charset="utf-8")
    doc = read_document(write(tmp_path, "neg_page.pdf", page.encode("utf-8")))
    assert doc.format == "html" and "2851958.99" in doc.text


@pytest.mark.skipif(not CORPUS.exists(), reason="dev corpus lives in ../shared/dev-corpus")
def test_dev_corpus_html_page_named_pdf():
    doc = read_document(CORPUS / "neg_cq_tongji_page.pdf")
    assert doc.format == "html"
    assert "国家统计局部门预算（2026）" in doc.text
    assert "国家发展改革委" not in doc.text  # the related-sites link list is navigation


# --------------------------------------------------------------------------------------------------------- rejections


def xlsx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b" \r\n\t\n  \n", "empty file"),
        ("blank16.txt", "\ufeff \u3000\n".encode("utf-16"), "empty file"),
        ("junk.txt", bytes(range(256)) * 40, "binary data, not a readable document"),
        ("junk.dat", bytes((i * 7919 + 13) % 256 for i in range(8000)), "binary data, not a readable document"),
        ("book.xlsx", xlsx_bytes(), "unsupported format (.xlsx); supported formats are .txt, .docx, .pdf and .html"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
         "unsupported format (.doc); supported formats are .txt, .docx, .pdf and .html"),
        ("old.wps", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
         "unsupported format (.wps); supported formats are .txt, .docx, .pdf and .html"),
        ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
         "unsupported format (.png); supported formats are .txt, .docx, .pdf and .html"),
        ("scan.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100,
         "unsupported format (.jpg); supported formats are .txt, .docx, .pdf and .html"),
    ],
)
def test_rejections(tmp_path, name, data, reason):
    assert rejection(write(tmp_path, name, data)) == reason


def test_plain_zip_is_unsupported(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "预算")
    assert rejection(write(tmp_path, "bundle.zip", buf.getvalue())).startswith("unsupported format (.zip)")


def test_missing_file_is_a_rejection_not_a_crash(tmp_path):
    assert rejection(tmp_path / "nope.txt").startswith("cannot read file")


def test_read_bytes_matches_read_document(tmp_path):
    path = write(tmp_path, "d.txt", DISCLOSURE.encode("gb18030"))
    assert read_bytes(path.read_bytes(), "d.txt") == read_document(path)


@pytest.mark.skipif(not CORPUS.exists(), reason="dev corpus lives in ../shared/dev-corpus")
def test_dev_corpus_budget_pdf_reads_with_pages_and_without_furniture():
    doc = read_document(CORPUS / "sz_shuju_2026_budget.pdf")
    assert doc.n_pages == 43 and len(doc.page_starts) == 43
    assert doc.page_starts == sorted(doc.page_starts)
    # the running header "苏州市数据局 2026 年度部门预算公开" and the "- 9 -" page numbers are gone
    assert "年度部门预算公开\n" not in doc.text.split("\n", 1)[1]
    assert "\n- 9 -\n" not in doc.text
    assert normalise(doc.text) == doc.text


# --------------------------------------------------------------------------------------------------------- robustness

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([b"", b"%PDF-1.7\n", b"PK\x03\x04", b"<html><body>", b"\xef\xbb\xbf", b"\xff\xfe"]),
       st.binary(max_size=600), st.sampled_from(["x.txt", "x.pdf", "x.docx", "x.html", "x"]))
def test_any_bytes_give_a_document_or_one_sentence(prefix, body, name):
    try:
        doc = read_bytes(prefix + body, name)
    except RejectedInput as exc:
        reason = str(exc)
        assert reason and "\n" not in reason and len(reason) < 200
    else:
        assert doc.text.strip() and doc.format in ("txt", "docx", "pdf", "html")


_DECIMAL = re.compile(r"\d[\d,]*\.\d+")


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.exists(), reason="dev corpus lives in ../shared/dev-corpus")
def test_dev_corpus_pdfs_keep_every_decimal_figure_and_are_fixpoints():
    from collections import Counter

    from countyfiscal.ingest.pdf import page_texts

    # one per publisher layout: Chongqing (ASCII punctuation, a scrambled page), Fuzhou (dot-leader contents),
    # Suzhou (running header), Hangzhou (ideographic-space indents), Huzhou (long wrapped classification lines)
    names = ["cq_shangwu", "fz_shangwu", "sz_shuju", "hz_sifa", "huz_weijian"]
    n = 0
    for path in (CORPUS / f"{name}_2026_budget.pdf" for name in names):
        data = path.read_bytes()
        doc = read_document(path)
        raw = "\n".join(page_texts(data)).replace("，", ",")
        # wrap joins, header removal and TOC removal must neither lose nor invent a decimal figure
        assert Counter(_DECIMAL.findall(raw)) == Counter(_DECIMAL.findall(doc.text)), path.name
        assert normalise(doc.text) == doc.text, path.name
        assert doc.page_starts == sorted(doc.page_starts) and len(doc.page_starts) == doc.n_pages
        n += 1
    assert n == len(names)
