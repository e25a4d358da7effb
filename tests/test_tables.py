"""Disclosure tables -> figures: on tables the tests build (docx, html, a matplotlib PDF), the seeds and the dev corpus."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from countyfiscal.extract.table_rules import classify_title, find_unit, is_title_line
from countyfiscal.extract.tables import mark_precision, read_pdf_tables, table_figures
from countyfiscal.fields import columns
from countyfiscal.model import Document

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "dev-corpus"

# A 支出总表 as departments print it: codes in their own column, a blank cell under 项目支出, a 元 unit.
EXPENDITURE = [
    ["科目编码", "科目名称", "合计", "基本支出", "项目支出"],
    ["", "合计", "1,234,567.89", "1,000,000.00", "234,567.89"],
    ["201", "一般公共服务支出", "1,134,567.89", "900,000.00", "234,567.89"],
    ["20103", "政府办公厅（室）及相关机构事务", "1,134,567.89", "900,000.00", "234,567.89"],
    ["208", "社会保障和就业支出", "100,000.00", "100,000.00", ""],
]
SANGONG = [
    ["项目", "上年预算数", "本年预算数"],
    ["合计", "12.50", "10.00"],
    ["因公出国（境）费", "0.00", "0.00"],
    ["公务接待费", "4.50", "2.00"],
    ["其中：外事接待费", "1.00", ""],
]


def _document(tables: list[tuple[str, str, list[list[str]]]], fmt: str) -> Document:
    """Render tables the way ingest does for docx/html: title and unit lines, then one tab-separated line per row."""
    text, raw = "", []
    for title, unit, cells in tables:
        text += f"{title}\n{unit}\n"
        start = len(text)
        text += "\n".join("\t".join(r) for r in cells) + "\n"
        raw.append({"cells": cells, "page": None, "start": start, "end": len(text)})
    return Document(f"t.{fmt}", fmt, text, tables=raw)


def _by(rows: list[dict], **kw) -> list[dict]:
    return [r for r in rows if all(r[k] == v for k, v in kw.items())]


def _check_offsets(doc: Document, rows: list[dict]) -> None:
    for r in rows:
        assert set(r) == set(columns("figures"))
        if r["start"] is not None:
            assert doc.text[r["start"] : r["end"]] == r["quote"]


def test_titles_units_and_contents_lines():
    assert classify_title("表3：2026年市级部门支出预算总表") == "expenditure"
    assert classify_title("2026年财政拨款收支总体情况表") == "fiscal_appropriation"
    assert classify_title("公开 09 表 一般公共预算“三公”经费、会议费、培训费支出表") == "sangong"
    assert classify_title("财政拨款基本支出表（经济科目）") == "basic_economic"
    assert is_title_line("收支总表")
    assert not is_title_line("（一）收支预算总表 ........ 3")  # a table of contents line
    assert not is_title_line("（一）收支预算情况的总体说明（详见表1-3）")
    assert find_unit("金额单位：元") == "元" and find_unit("单位:万元") == "万元"


def test_docx_table(tmp_path):
    docx = pytest.importorskip("docx")
    d = docx.Document()
    d.add_paragraph("2024年部门支出总表")
    d.add_paragraph("单位：元")
    t = d.add_table(rows=len(EXPENDITURE), cols=5)
    for i, row in enumerate(EXPENDITURE):
        for j, v in enumerate(row):
            t.cell(i, j).text = v
    path = tmp_path / "t.docx"
    d.save(path)
    cells = [[c.text for c in r.cells] for r in docx.Document(path).tables[0].rows]
    doc = _document([("2024年部门支出总表", "单位：元", cells)], "docx")
    rows = table_figures(doc, 2024, "budget")
    _check_offsets(doc, rows)
    (total,) = _by(rows, measure="expenditure_total")
    assert total["value"] == 1234567.89 and total["basis"] == "budget" and total["fiscal_year"] == 2024
    assert total["source"] == "table" and total["table"] == "2024年部门支出总表" and total["scale"] == "元"
    assert total["quote"] == "合计\t1,234,567.89" and total["decimals"] == 2
    assert _by(rows, measure="basic_expenditure")[0]["value"] == 1000000.0
    assert _by(rows, measure="project_expenditure")[0]["value"] == 234567.89
    f201 = _by(rows, measure="functional_expenditure", code="201")
    assert [r["value"] for r in f201] == [1134567.89] and f201[0]["label"] == "一般公共服务支出"
    assert _by(rows, measure="functional_expenditure", code="20103")[0]["value"] == 1134567.89
    assert _by(rows, measure="functional_expenditure", code="208")[0]["value"] == 100000.0
    # the blank 项目支出 cell of 208 is not a zero: no project row for it, and only the totals carry basic/project
    assert all(r["value"] != 0 for r in rows)


def test_html_table_sangong_with_prior_year_and_sub_row():
    bs4 = pytest.importorskip("bs4")
    html = "<p>一般公共预算“三公”经费支出表</p><p>单位：万元</p><table>" + "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in SANGONG) + "</table>"
    soup = bs4.BeautifulSoup(html, "html.parser")
    cells = [[td.get_text() for td in tr.find_all("td")] for tr in soup.find_all("tr")]
    doc = _document([("一般公共预算“三公”经费支出表", "单位：万元", cells)], "html")
    rows = table_figures(doc, 2025, "budget")
    _check_offsets(doc, rows)
    got = {(r["measure"], r["fiscal_year"], r["basis"]): r["value"] for r in rows}
    assert got == {
        ("sangong_total", 2024, "budget"): 125000.0,
        ("sangong_total", 2025, "budget"): 100000.0,
        ("sangong_overseas", 2024, "budget"): 0.0,  # a stated zero is a figure
        ("sangong_overseas", 2025, "budget"): 0.0,
        ("sangong_reception", 2024, "budget"): 45000.0,
        ("sangong_reception", 2025, "budget"): 20000.0,
    }  # the 其中 sub-row (外事接待费) is not a 三公 item of its own


def _matplotlib_pdf(path: Path) -> None:
    """A two-page PDF: a contents page listing the table, then the 支出总表 with a wrapped header, in 万元."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.font_manager import FontProperties
    import mplfonts

    font = FontProperties(fname=str(Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"))
    matplotlib.rcParams["pdf.fonttype"] = 42
    with PdfPages(path) as pdf:
        fig = plt.figure(figsize=(8.27, 11.69))
        fig.text(0.1, 0.9, "目录", fontproperties=font, fontsize=12)
        fig.text(0.1, 0.85, "表3 支出总表 .......... 2", fontproperties=font, fontsize=10)
        pdf.savefig(fig)
        plt.close(fig)
        fig = plt.figure(figsize=(11.69, 8.27))
        put = lambda x, y, s, ha="left": fig.text(x, y, s, fontproperties=font, fontsize=9, ha=ha)  # noqa: E731
        put(0.35, 0.92, "表3 2026年部门支出总表")
        put(0.75, 0.88, "单位：万元")
        xs = {"code": 0.05, "name": 0.12, "total": 0.55, "basic": 0.67, "project": 0.79}
        put(xs["code"], 0.84, "科目编码"), put(xs["name"], 0.84, "科目名称")
        # headers centred over their cells, numbers right-aligned in them, as disclosure tables are printed
        put(0.57, 0.84, "合计", "center"), put(0.69, 0.84, "基本支出", "center"), put(0.81, 0.84, "项目支出", "center")
        data = [
            ("", "合计", "5,876.67", "3,745.06", "2,131.61"),
            ("206", "科学技术支出", "28.00", "", "28.00"),
            ("208", "社会保障和就业支出", "396.67", "396.67", ""),
            ("220", "自然资源海洋气象等支出", "5,452.00", "3,348.39", "2,103.61"),
        ]
        for i, (code, name, *nums) in enumerate(data):
            y = 0.80 - 0.04 * i
            put(xs["code"], y, code), put(xs["name"], y, name)
            for x, v in zip((0.60, 0.72, 0.84), nums):
                put(x, y, v, ha="right")
        pdf.savefig(fig)
        plt.close(fig)


def test_matplotlib_pdf_table(tmp_path):
    import pypdfium2 as pdfium

    path = tmp_path / "t.pdf"
    _matplotlib_pdf(path)
    tables = read_pdf_tables(path)
    assert [(t["page"], t["kind"], t["unit"]) for t in tables] == [(2, "expenditure", "万元")]  # not the contents
    pdf = pdfium.PdfDocument(str(path))
    texts = [pdf[i].get_textpage().get_text_range() + "\n" for i in range(len(pdf))]
    doc = Document("t.pdf", "pdf", "".join(texts), page_starts=[0, len(texts[0])], n_pages=2)
    rows = table_figures(doc, 2026, "budget", pdf_path=path)
    _check_offsets(doc, rows)
    got = {(r["measure"], r["code"]): r["value"] for r in rows}
    assert got == {
        ("expenditure_total", ""): 58766700.0,
        ("basic_expenditure", ""): 37450600.0,
        ("project_expenditure", ""): 21316100.0,
        ("functional_expenditure", "206"): 280000.0,
        ("functional_expenditure", "208"): 3966700.0,
        ("functional_expenditure", "220"): 54520000.0,
    }
    assert {r["page"] for r in rows} == {2}
    assert all(r["start"] is not None for r in rows)


def test_seeds_have_no_tables():
    # The seeds are plain text: without cells there is no table and so no table figure (004's inline lists included).
    for path in sorted((ROOT / "data" / "raw").glob("*.txt")):
        doc = Document(path.name, "txt", path.read_text(encoding="utf-8", errors="replace"))
        assert table_figures(doc, 2023, "final_account") == []


def test_mark_precision_keeps_both_and_marks_the_finer():
    df = pd.DataFrame({
        "file": ["a"] * 3, "measure": ["income_total"] * 3, "code": [""] * 3, "fiscal_year": [2026] * 3,
        "basis": ["budget"] * 3, "value": [288280000.0, 288280739.0, 1.0e6], "scale": ["万元", "元", "元"],
        "decimals": [0, 0, 0], "source": ["text", "table", "table"],
    })
    out = mark_precision(df)
    assert len(out) == 3 and "more_precise" not in df
    assert out["more_precise"].tolist()[:2] == [False, True]
    assert pd.isna(out["more_precise"].iloc[2])  # disagrees with both: nothing to compare


@pytest.mark.skipif(not CORPUS.is_dir(), reason="dev corpus folder absent")
def test_dev_corpus_hangzhou_meteorology():
    import pypdfium2 as pdfium

    path = CORPUS / "hz_qixiang_2026_budget.pdf"
    pdf = pdfium.PdfDocument(str(path))
    texts = [pdf[i].get_textpage().get_text_range() + "\n" for i in range(len(pdf))]
    starts = [sum(len(t) for t in texts[:i]) for i in range(len(texts))]
    doc = Document(path.name, "pdf", "".join(texts), page_starts=starts, n_pages=len(texts))
    rows = table_figures(doc, 2026, "budget", pdf_path=path)
    _check_offsets(doc, rows)
    got = {(r["measure"], r["code"], r["table"][-8:]): r["value"] for r in rows}
    assert got[("income_total", "", "市级部门收支预算总表"[-8:])] == 58766700.0
    assert got[("project_expenditure", "", "部门支出预算总表"[-8:])] == 21316100.0
    assert got[("personnel_expenditure", "", "般公共预算基本支出预算表"[-8:])] == 29068000.0
    assert got[("sangong_total", "", "“三公”经费预算表"[-8:])] == 240200.0
    assert got[("functional_expenditure", "2200509", "一般公共预算支出预算表"[-8:])] == 19800000.0
    # 一般公共预算 table by function: 220 is 5,247.87 there, 5,371.48 in the department-wide table
    assert got[("functional_expenditure", "220", "一般公共预算支出预算表"[-8:])] == 52478700.0
    assert got[("functional_expenditure", "220", "部门支出预算总表"[-8:])] == 53714800.0
    assert not [r for r in rows if r["measure"] == "sangong_overseas"]  # its cell is blank


# ---------------------------------------------------------------- layouts found in the dev corpus, rebuilt small

def _pdf_pages(path: Path, pages: list[list[tuple]]) -> None:
    """A landscape PDF: each page a list of (x, y, text, ha) in figure fractions, CJK font, text kept as text."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.font_manager import FontProperties
    import mplfonts

    font = FontProperties(fname=str(Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"))
    matplotlib.rcParams["pdf.fonttype"] = 42
    with PdfPages(path) as pdf:
        for items in pages:
            fig = plt.figure(figsize=(11.69, 8.27))
            for x, y, s, ha in items:
                fig.text(x, y, s, fontproperties=font, fontsize=9, ha=ha)
            pdf.savefig(fig)
            plt.close(fig)


def _pdf_document(path: Path) -> Document:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    texts = [pdf[i].get_textpage().get_text_range() + "\n" for i in range(len(pdf))]
    starts = [sum(len(t) for t in texts[:i]) for i in range(len(texts))]
    return Document(path.name, "pdf", "".join(texts), page_starts=starts, n_pages=len(texts))


def _income_expenditure_pdf(path: Path) -> None:
    """A 收支总表 as Fujian and Hangzhou print it: the expenditure side lists every class, most left blank; headers
    centred in wide cells stand left of the right-aligned numbers; this year's totals, the 上年结转 line, and the grand
    totals alone on the next page with a letter-spaced '收 入 总 计'; one amount too wide for its cell wraps."""
    L, R = "left", "right"
    page1 = [(0.35, 0.92, "表1 2026年部门收支总表", L), (0.80, 0.88, "单位：万元", L),
             (0.10, 0.84, "收入项目", L), (0.30, 0.84, "预算数", L), (0.45, 0.84, "支出项目", L), (0.68, 0.84, "预算数", L)]
    income = ["一、一般公共预算拨款收入", "二、政府性基金预算拨款收入"]
    spending = [("一、一般公共服务支出", "60.00"), ("二、外交支出", ""), ("三、国防支出", ""),
                ("四、公共安全支出", "60.00"), ("五、教育支出", ""), ("六、科学技术支出", "")]
    for i, (name, amount) in enumerate(spending):
        y = 0.80 - 0.025 * i
        if i < len(income):
            page1 += [(0.05, y, income[i], L), (0.40, y, ("100.00", "20.00")[i], R)]
        page1 += [(0.45, y, name, L)] + ([(0.80, y, amount, R)] if amount else [])
    y = 0.80 - 0.025 * len(spending)
    page1 += [(0.05, y, "本年收入合计", L), (0.40, y, "120.00", R), (0.45, y, "本年支出合计", L),
              (0.80, y + 0.008, "120.0", R), (0.80, y - 0.008, "0", R)]  # the wrapped '120.00'
    y -= 0.025
    page1 += [(0.05, y, "上年结转结余", L), (0.40, y, "5.00", R), (0.45, y, "年终结转结余", L), (0.80, y, "5.00", R)]
    page2 = [(0.05, 0.90, "收 入 总 计", L), (0.40, 0.90, "125.00", R), (0.45, 0.90, "支 出 总 计", L),
             (0.80, 0.90, "125.00", R), (0.05, 0.86, "注：本表金额四舍五入。", L)]
    _pdf_pages(path, [page1, page2])


@pytest.fixture(scope="module")
def income_expenditure_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ie") / "t.pdf"
    _income_expenditure_pdf(path)
    return path


def test_income_expenditure_totals_follow_the_document_kind(income_expenditure_pdf):
    path = income_expenditure_pdf
    doc = _pdf_document(path)
    budget = table_figures(doc, 2026, "budget", pdf_path=path)
    _check_offsets(doc, budget)
    got = {(r["measure"], r["code"]): r["value"] for r in budget}
    # a budget's income/expenditure are the grand totals (incl. 上年结转), read off the table's second page; the
    # table prints this year's totals beside them, so the grand totals are also stated as measures of their own
    assert got == {
        ("income_total", ""): 1250000.0,
        ("expenditure_total", ""): 1250000.0,
        ("income_grand_total", ""): 1250000.0,
        ("expenditure_grand_total", ""): 1250000.0,
        ("functional_expenditure", "201"): 600000.0,
        ("functional_expenditure", "204"): 600000.0,
    }  # blank classes give nothing; '六、科学技术支出' is not folded into the totals line below it
    assert {r["page"] for r in budget if r["measure"] == "income_total"} == {2}
    final = table_figures(doc, 2026, "final_account", pdf_path=path)
    got = {(r["measure"], r["code"]): r["value"] for r in final}
    # a final account's are this year's own: 120.00, the expenditure one put back together from '120.0' / '0';
    # its grand totals (with the carry-overs) are income_grand_total / expenditure_grand_total
    assert got[("income_total", "")] == 1200000.0 and got[("expenditure_total", "")] == 1200000.0
    assert got[("income_grand_total", "")] == 1250000.0 and got[("expenditure_grand_total", "")] == 1250000.0


def test_budget_total_stands_in_for_the_grand_one_only_when_the_carry_over_is_zero():
    def doc(carry: str) -> Document:
        cells = [["收入项目", "预算数", "支出项目", "预算数"], ["一、财政拨款收入", "120.00", "一、一般公共服务支出", "120.00"],
                 ["本年收入合计", "120.00", "本年支出合计", "120.00"], ["上年结转结余", carry, "年终结转结余", carry]]
        return _document([("2026年部门收支总表", "单位：万元", cells)], "html")

    got = {r["measure"]: r["value"] for r in table_figures(doc("0.00"), 2026, "budget")}
    assert got["income_total"] == 1200000.0 and got["expenditure_total"] == 1200000.0
    got = {r["measure"] for r in table_figures(doc("3.00"), 2026, "budget")}
    assert "income_total" not in got and "expenditure_total" not in got  # the grand total is not printed


def test_vertical_sangong_table_with_vehicle_parts_as_sub_rows():
    cells = [["项目", "预算数"], ["合计", "312.75"], ["1、因公出国（境）费用", "0.00"], ["2、公务接待费", "18.85"],
             ["3、公务用车购置及运行费", "293.90"], ["其中：（1）公务用车购置费", "261.90"], ["（2）公务用车运行费", "32.00"]]
    doc = _document([("2026年度一般公共预算“三公”经费支出预算表", "单位：万元", cells)], "html")
    rows = table_figures(doc, 2026, "budget")
    _check_offsets(doc, rows)
    assert {r["measure"]: r["value"] for r in rows} == {
        "sangong_total": 3127500.0, "sangong_overseas": 0.0, "sangong_reception": 188500.0,
        "sangong_vehicle_total": 2939000.0, "sangong_vehicle_purchase": 2619000.0, "sangong_vehicle_operation": 320000.0,
    }
    # a line whose parts do not add up to its 合计 was not read right: none of it is kept
    cells[1][1] = "412.75"
    doc = _document([("2026年度一般公共预算“三公”经费支出预算表", "单位：万元", cells)], "html")
    assert table_figures(doc, 2026, "budget") == []


def _sangong_pdf(path: Path) -> None:
    """重庆's one-row 三公 table: no row label; the vehicle group spans 小计 | 购置费 | 运行费, 购置费 left blank."""
    L, C, R = "left", "center", "right"
    _pdf_pages(path, [[
        (0.30, 0.92, "2026年财政拨款“三公”经费支出情况表", L), (0.85, 0.88, "单位：万元", L),
        (0.55, 0.84, "公务用车购置及运行费", C),
        (0.15, 0.82, "合计", C), (0.30, 0.82, "因公出国（境）费", C), (0.85, 0.82, "公务接待费", C),
        (0.45, 0.80, "小计", C), (0.57, 0.80, "公务用车购置费", C), (0.70, 0.80, "公务用车运行费", C),
        (0.17, 0.76, "308.00", R), (0.33, 0.76, "20.00", R), (0.47, 0.76, "248.50", R), (0.73, 0.76, "248.50", R),
        (0.87, 0.76, "39.50", R),
    ]])


def test_sangong_row_without_label_maps_values_to_their_columns(tmp_path):
    path = tmp_path / "t.pdf"
    _sangong_pdf(path)
    doc = _pdf_document(path)
    rows = table_figures(doc, 2026, "budget", pdf_path=path)
    _check_offsets(doc, rows)
    assert {r["measure"]: r["value"] for r in rows} == {
        "sangong_total": 3080000.0, "sangong_overseas": 200000.0, "sangong_vehicle_total": 2485000.0,
        "sangong_vehicle_operation": 2485000.0, "sangong_reception": 395000.0,
    }  # the blank 购置费 column gives nothing; the bare 小计 is the vehicle subtotal, not the 合计
    assert all(r["start"] is not None for r in rows)  # found in the text by the row's values in order


def test_tables_read_from_the_words_ingest_kept(income_expenditure_pdf):
    from countyfiscal.ingest import read_document

    doc = read_document(income_expenditure_pdf)
    assert {t["page"] for t in doc.tables if t.get("words")} == {1, 2}  # pages with lines ending in amounts
    rows = table_figures(doc, 2026, "budget")  # no pdf_path: the PDF is not opened again
    _check_offsets(doc, rows)
    got = {(r["measure"], r["code"]): r["value"] for r in rows}
    assert got[("income_total", "")] == 1250000.0 and got[("functional_expenditure", "204")] == 600000.0


def test_ocr_words_with_a_score_give_ocr_table_figures(income_expenditure_pdf):
    # The OCR helper passes a scanned page's words in the same shape, marked "ocr" (a 7th element, the recognition
    # score, is ignored by the reader): the same figures come out, each saying it came from OCR.
    from countyfiscal.ingest import read_document

    doc = read_document(income_expenditure_pdf)
    plain = table_figures(doc, 2026, "budget")
    for t in doc.tables:
        t["words"] = [w + (0.97,) for w in t["words"]]
        t["ocr"] = True
    ocr = table_figures(doc, 2026, "budget")
    assert {r["source"] for r in plain} == {"table"} and {r["source"] for r in ocr} == {"ocr_table"}
    assert [(r["measure"], r["code"], r["value"], r["quote"]) for r in ocr] == [
        (r["measure"], r["code"], r["value"], r["quote"]) for r in plain]


def test_budget_grand_total_only_where_a_carry_over_makes_it_differ():
    # 苏州 收支总表 (wide corpus w008): 本年收入合计, a blank 上年结转结余 line, 收入总计 equal to this year's -- no grand
    # total of its own; with a carry-over printed (杭州 表1, w017) the 收入总计 is also income_grand_total
    def doc(carry: str) -> Document:
        cells = [["收入项目", "预算数", "支出项目", "预算数"], ["一、一般公共预算拨款收入", "120.00", "一、一般公共服务支出", "120.00"],
                 ["本年收入合计", "120.00", "本年支出合计", "120.00"], ["上年结转结余", carry, "年终结转结余", ""],
                 ["收入总计", f"{120 + float(carry or 0):.2f}", "支出总计", f"{120 + float(carry or 0):.2f}"]]
        return _document([("2026年部门收支总表", "单位：万元", cells)], "html")

    got = {r["measure"]: r["value"] for r in table_figures(doc(""), 2026, "budget")}
    assert got["income_total"] == got["expenditure_total"] == 1200000.0 and "income_grand_total" not in got
    got = {r["measure"]: r["value"] for r in table_figures(doc("5.00"), 2026, "budget")}
    assert got["income_total"] == got["income_grand_total"] == 1250000.0
    assert "expenditure_grand_total" not in got  # nothing is carried forward on the expenditure side
