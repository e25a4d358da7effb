"""The standard tables of a disclosure: missing, listed but absent, empty with and without a word saying so."""

from __future__ import annotations

from countyfiscal.audit.completeness import audit_tables, table_kind_of_title, table_titles

# The layout of 杭州 budgets (dev hz_qixiang): a list of the nine tables, then each table under its title.
TITLES = ["表1.2026年市级部门收支预算总表", "表2.2026年市级部门收入预算总表", "表3.2026年市级部门支出预算总表",
          "表4.2026年市级部门财政拨款收支预算总表", "表5.2026年市级部门一般公共预算支出预算表",
          "表6.2026年市级部门一般公共预算基本支出预算表", "表7.2026年市级部门一般公共预算“三公”经费预算表",
          "表8.2026年市级部门政府性基金预算支出预算表", "表9.2026年市级部门国有资本经营预算支出预算表"]
BODY = {
    7: "部门名称：杭州市气象局 单位：万元\n单位名称 “三公”经费合计 因公出国(境)费用 公务接待费\n** 1 2 3\n合计 24.02 18.00 6.02\n",
    8: "部门名称：杭州市气象局 单位：万元\n科目编码 科目名称 合计\n合计\n备注：本部门没有政府性基金预算拨款安排的支出，故本表无数据。\n",
}


def document(skip=(), empty=(), toc=True):
    parts = ["第三部分 2026年部门预算公开表\n"]
    if toc:
        parts += [t + "\n" for t in TITLES]
    for i, title in enumerate(TITLES, start=1):
        if i in skip:
            continue
        body = BODY.get(i, "部门名称：杭州市气象局 单位：万元\n项目 预算数\n合计 5,876.67 5,876.67\n")
        if i in empty:
            body = "部门名称：杭州市气象局 单位：万元\n项目 预算数\n合计\n"
        parts.append(title.replace(".", "：") + "\n" + body)
    return "".join(parts)


def test_a_complete_document_raises_nothing():
    text = document()
    titles = table_titles(text)
    assert sum(t.listed for t in titles) == 9 and sum(not t.listed for t in titles) == 9
    assert audit_tables(text, "budget", "a.pdf") == ([], [])


def test_a_table_the_table_of_contents_lists_but_the_body_lacks():
    text = document(skip=(7,))
    flags, gaps = audit_tables(text, "budget", "a.pdf", page_at=lambda offset: 2)
    assert [(f["check"], f["status"], f["origin"]) for f in flags] == [("completeness", "mismatch", "reading")]
    assert flags[0]["quotes"] == TITLES[6] and flags[0]["pages"] == "2"
    assert "“表7.2026年市级部门一般公共预算“三公”经费预算表” (p. 2)" in flags[0]["message"]
    assert gaps == ["its “三公”经费支出表 is missing though its table of contents lists it"]


def test_a_required_table_missing_from_a_document_without_a_table_of_contents():
    flags, gaps = audit_tables(document(skip=(2,), toc=False), "budget", "a.pdf")
    assert [(f["check"], f["status"]) for f in flags] == [("completeness", "insufficient_data")]
    assert gaps == ["it has no 收入表"]
    # 国有资本经营 is one of the usual variants (重庆 prints 政府采购 instead): not required.
    assert audit_tables(document(skip=(9,), toc=False), "budget", "a.pdf") == ([], [])


def test_an_empty_table_is_told_apart_from_one_stated_empty():
    # 表8 prints no amount and says why ("故本表无数据"): fine. 表5 prints none and says nothing: a flag.
    flags, gaps = audit_tables(document(empty=(5,)), "budget", "a.pdf")
    assert [(f["status"], f["quotes"]) for f in flags] == [("insufficient_data", "表5：2026年市级部门一般公共预算支出预算表")]
    assert gaps == []
    # 红塔区 2023 决算 states it in its narrative: "故《政府性基金预算财政拨款收入支出决算表》为空表。"
    text = document(empty=(5,)).replace("表5：2026年市级部门一般公共预算支出预算表", "表5：一般公共预算财政拨款支出决算表")
    text += "\n本局2023年度没有政府性基金收入，故《一般公共预算财政拨款支出决算表》为空表。\n"
    assert audit_tables(text, "final_account", "a.txt")[0] == []


def test_a_document_that_publishes_its_tables_apart_is_not_audited_for_them():
    # The seeds (.txt 决算s) print no table: "（详见附件）".
    assert audit_tables("第三部分 2023年度部门决算情况说明\n一、收入决算情况说明（详见附件）\n", "final_account") == ([], [])


def test_final_account_titles_and_glued_titles():
    assert table_kind_of_title("收入决算表") == "income"
    assert table_kind_of_title("支出决算表") == "expenditure"
    assert table_kind_of_title("一般公共预算财政拨款“三公”经费支出决算表") == "sangong"
    assert table_kind_of_title("政府性基金预算财政拨款收入支出决算表") == "government_fund"
    # 珠海 2026: the title and the header on one line of the text layer.
    [t] = table_titles("表5\n一般公共预算支出情况表（按功能分类科目）功能科目名称 一般公共预算支出\n合计 1.00\n")
    assert (t.kind, t.listed) == ("general_function", False)


# --- a real disclosure with a table deleted and a table's cells blanked (pypdfium2), as benchmarks/bench_audit.py -----

import importlib.util  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

from _fiscal_fixtures import DEV, ROOT  # noqa: E402

QIXIANG = DEV / "hz_qixiang_2026_budget.pdf"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_audit", ROOT / "benchmarks" / "bench_audit.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not DEV.exists(), reason="../shared/dev-corpus is absent")
def test_a_real_budget_with_its_sangong_table_deleted_or_blanked(tmp_path):
    bench = _bench()
    clean = bench.read_and_check(str(QIXIANG))
    assert clean["document"]["status"] == "ok"
    assert not [f for f in clean["flags"] if f["check"] in ("completeness", "table_vs_text")]
    # The page of 表7 deleted: its table of contents still lists it.
    planted, entry = bench.plant_toc_table_missing(QIXIANG, tmp_path / "deleted.pdf")
    assert entry == "表7.2026年市级部门一般公共预算“三公”经费预算表"
    got = bench.read_and_check(str(planted))
    [flag] = [f for f in got["flags"] if f["check"] == "completeness"]
    assert (flag["status"], flag["quotes"], flag["origin"]) == ("mismatch", entry, "reading")
    assert got["document"]["status"] == "partial"
    assert "“三公”经费支出表 is missing though its table of contents lists it" in got["document"]["reason"]
    # The amounts of 表7 removed while the narrative states the “三公” budget: 24.02 万元, of it 公务用车运行维护费 18.00
    # and 公务接待费 6.02 (因公出国 is not budgeted: "本部门年初不编制因公出国（境）费用预算").
    planted, title = bench.plant_sangong_cells_blank(QIXIANG, tmp_path / "blank.pdf")
    got = bench.read_and_check(str(planted))
    cells = [f for f in got["flags"] if f["check"] == "table_vs_text"]
    assert {f["measure"] for f in cells} == {"sangong_total", "sangong_vehicle_operation", "sangong_reception"}
    assert all(title in f["quotes"] and "prints no amount" in f["message"] for f in cells)
