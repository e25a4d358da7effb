"""Narrative extraction on inline text in the wordings of the national templates (决算 2015–2023, 预算), not the seeds."""

from __future__ import annotations

import pytest

from countyfiscal.extract import extract_all
from countyfiscal.extract.narrative import extract_narrative
from countyfiscal.ingest.normalise import normalise
from countyfiscal.model import Document

# A 部门决算 narrative in the Ministry of Finance template's words, with made-up numbers that add up.
FINAL_ACCOUNT = """第二部分 2019年度部门决算情况说明
一、收入支出决算总体情况说明
2019年度收、支总计各1,234.56万元。与2018年度相比，收、支总计各增加100.00万元，增长8.82%。
二、收入决算情况说明
2019年度收入合计1,200.00万元，其中：财政拨款收入1,150.00万元，占95.83%；其他收入50.00万元，占4.17%。
三、支出决算情况说明
2019年度支出合计1,180.00万元，其中：基本支出900.00万元，占76.27%；项目支出280.00万元，占23.73%。
四、一般公共预算财政拨款基本支出决算情况说明
2019年度一般公共预算财政拨款基本支出900.00万元，其中：人员经费800.00万元，主要包括：基本工资、津贴补贴；公用经费100.00万元，主要包括：办公费、印刷费。
五、“三公”经费财政拨款支出决算情况说明
2019年度“三公”经费财政拨款支出预算为20.00万元，支出决算为15.00万元，完成预算的75.00%，其中：因公出国（境）费支出预算为0万元，支出决算为0万元，完成预算的0%；公务用车购置及运行费支出预算为12.00万元，支出决算为10.00万元，完成预算的83.33%；公务接待费支出预算为8.00万元，支出决算为5.00万元，完成预算的62.50%。
2.公务用车购置及运行维护费支出10.00万元。其中：公务用车购置支出0万元；公务用车运行维护费支出10.00万元。
六、其他重要事项的情况说明
（一）机关运行经费支出情况
2019年度，本部门机关运行经费支出100.00万元，比2018年度减少5.00万元，下降4.76%。
（二）政府采购支出情况
2019年度，本部门政府采购支出总额30.00万元，其中：政府采购货物支出10.00万元。
（三）国有资产占用情况
截至2019年12月31日，本部门资产总额500.00万元，共有车辆2辆。
"""


def _figures(text: str, kind: str, year: int) -> dict[tuple, set[float]]:
    doc = Document("t.txt", "txt", normalise(text))
    out: dict[tuple, set[float]] = {}
    for r in extract_all(doc, kind, year):
        assert doc.text[r["start"] : r["end"]] == r["quote"]
        out.setdefault((r["measure"], r["fiscal_year"], r["basis"], r["code"]), set()).add(r["value"])
    return out


def test_final_account_template():
    got = _figures(FINAL_ACCOUNT, "final_account", 2019)
    expected = {
        ("income_total", 2019, "actual", ""): 12_000_000.0,
        ("fiscal_appropriation_income", 2019, "actual", ""): 11_500_000.0,
        ("expenditure_total", 2019, "actual", ""): 11_800_000.0,
        ("basic_expenditure", 2019, "actual", ""): 9_000_000.0,
        ("project_expenditure", 2019, "actual", ""): 2_800_000.0,
        ("personnel_expenditure", 2019, "actual", ""): 8_000_000.0,
        ("public_expenditure", 2019, "actual", ""): 1_000_000.0,
        ("sangong_total", 2019, "budget", ""): 200_000.0,
        ("sangong_total", 2019, "actual", ""): 150_000.0,
        ("sangong_overseas", 2019, "budget", ""): 0.0,
        ("sangong_overseas", 2019, "actual", ""): 0.0,
        ("sangong_reception", 2019, "budget", ""): 80_000.0,
        ("sangong_reception", 2019, "actual", ""): 50_000.0,
        ("sangong_vehicle_purchase", 2019, "actual", ""): 0.0,
        ("sangong_vehicle_operation", 2019, "actual", ""): 100_000.0,
        ("agency_operating_expenses", 2019, "actual", ""): 1_000_000.0,
        ("government_procurement", 2019, "actual", ""): 300_000.0,
        ("assets_total", 2019, "actual", ""): 5_000_000.0,
    }
    for key, value in expected.items():
        assert got.get(key) == {value}, key
    # 收、支总计 includes carry-overs: it is not 收入合计 but both grand totals; a change is never a figure.
    assert got[("income_grand_total", 2019, "actual", "")] == {12_345_600.0}
    assert got[("expenditure_grand_total", 2019, "actual", "")] == {12_345_600.0}
    assert 12_345_600.0 not in got[("income_total", 2019, "actual", "")]
    assert 1_000_000.0 not in {v for k, vs in got.items() if k[1] == 2018 for v in vs}
    # The combined vehicle figure is dropped where the parts are given.
    assert ("sangong_vehicle_total", 2019, "actual", "") not in got


def test_prior_year_values_in_comparisons():
    text = "2024年本部门收入预算总额 305.63 万元，比 2023 年度 318.55 万元减少了 12.92 万元。" \
           "基本支出 157.63 万元，比上年 123.54 万元增加 34.09 万元。" \
           "机关运行经费支出 17.27 万元，比去年预算数 17.32 万元减少 0.05 万元。"
    got = _figures(text, "budget", 2024)
    assert got[("income_total", 2023, "budget", "")] == {3_185_500.0}
    assert got[("basic_expenditure", 2023, "budget", "")] == {1_235_400.0}
    assert got[("agency_operating_expenses", 2023, "budget", "")] == {173_200.0}
    # 12.92, 34.09 and 0.05 are changes, not figures of any year
    values = {v for vs in got.values() for v in vs}
    assert not values & {129_200.0, 340_900.0, 500.0}


@pytest.mark.parametrize(
    "text",
    [
        "公务用车购置预算支出 0 万元，与上年预算数相同。",  # a part of 三公, not the department's 预算支出
        "2026 年政府性基金支出预算支出 0 万元。",
        "2026 年一般公共预算基本支出 70,724.29 万元",  # a general-budget part; no whole-department figure to judge
        "基本支出和项目支出合计：2846343.88元",  # the sum of two measures is neither
        "其他一般公共服务支出0.00元",  # a 款 name containing a 类 name
    ],
)
def test_partial_figures_are_not_department_totals(text):
    rows = extract_narrative(normalise(text), "budget", 2026)
    assert [r for r in rows if r["measure"] in ("expenditure_total", "income_total", "project_expenditure")] == []
    assert [r for r in rows if r["measure"] == "functional_expenditure" and r["code"] == "201"] == []


def test_heading_names_the_measure_of_the_next_line():
    text = "六、一般公共预算“三公”经费支出情况\n（二）公务接待费\n2026 年预算安排 5.00 万元，与上年持平。"
    got = _figures(text, "budget", 2026)
    assert got[("sangong_reception", 2026, "budget", "")] == {50_000.0}


def test_class_items_with_printed_codes():
    text = ("2023年度一般公共预算财政拨款支出295.02万元。\n"
            "4.卫生健康210（类）行政事业单位医疗21011（款）行政单位医疗2101101（项）事业单位医疗2101102（项）:支出决算为15.62万元。\n"
            "（1）行政运行（2010301）68.12万元，较上年增加68.12万元；\n"
            "工资福利支出（301）161.01万元；对个人和家庭的补助支出 11.47 万元")
    got = _figures(text, "final_account", 2023)
    assert got[("functional_expenditure", 2023, "actual", "210")] == {156_200.0}
    assert got[("functional_expenditure", 2023, "actual", "2010301")] == {681_200.0}
    assert got[("economic_expenditure", 2023, "actual", "301")] == {1_610_100.0}
    assert got[("economic_expenditure", 2023, "actual", "303")] == {114_700.0}


def test_staff_counts_are_totals_not_parts():
    text = "2023年末实有人员编制14人。其中：行政编制9人，事业编制5人；实有在职人员 12人。"
    got = _figures(text, "final_account", 2023)
    assert got[("staff_authorised", 2023, "", "")] == {14.0}
    assert got[("staff_actual", 2023, "", "")] == {12.0}


# --- grand totals (收入总计 / 支出总计) ---------------------------------------------------------------------------

def test_grand_totals_in_a_final_account():
    # 米易县 2023 决算 (seed 003): "2023年度收、支总计均为295.02万元。与2022年度相比，收、支总计各增加15.62万元"
    text = ("收入支出决算总体情况说明\n2023年度收、支总计均为295.02万元。与2022年度相比，收、支总计各增加15.62万元，增长6%。\n"
            "2023年度本年收入合计280.00万元，本年支出合计270.00万元。\n"
            "2023年度财政拨款收、支总计均为250.00万元。\n"
            "2023年度收入总计1,500.00万元，支出总计1,480.00万元。")
    got = _figures(text, "final_account", 2023)
    assert got[("income_grand_total", 2023, "actual", "")] == {2_950_200.0, 15_000_000.0}
    assert got[("expenditure_grand_total", 2023, "actual", "")] == {2_950_200.0, 14_800_000.0}
    # 本年 stays income_total / expenditure_total; a change and a 财政拨款 grand total are no grand totals
    assert got[("income_total", 2023, "actual", "")] == {2_800_000.0}
    assert got[("expenditure_total", 2023, "actual", "")] == {2_700_000.0}
    assert not {156_200.0, 2_500_000.0} & {v for vs in got.values() for v in vs}


def test_grand_total_set_to_zero_is_still_read():
    # issue #15's planted problem: 收入支出总计 changed to 0 while the sentence's change no longer fits
    got = _figures("2023年度收入支出总计0万元，与上年相比减少12.50万元，下降4.1%。", "final_account", 2023)
    assert got[("income_grand_total", 2023, "actual", "")] == {0.0}
    assert got[("expenditure_grand_total", 2023, "actual", "")] == {0.0}


def test_budget_totals_keep_their_meaning():
    # 苏州 budgets (dev sz_shenji): "收入、支出预算总计 4,651.67 万元" and "（一）收入预算总计 4,651.67 万元"
    text = "苏州市审计局 2026 年度收入、支出预算总计 4,651.67 万元。\n（一）收入预算总计 4,651.67 万元。\n（二）支出预算总计 4,651.67 万元。"
    got = _figures(text, "budget", 2026)
    assert got[("income_total", 2026, "budget", "")] == {46_516_700.0}
    assert got[("expenditure_total", 2026, "budget", "")] == {46_516_700.0}
    assert not [k for k in got if k[0].endswith("grand_total")]


# --- 一般公共预算拨款收入: all of 财政拨款收入 only where the document shows it -------------------------------------

@pytest.mark.parametrize("text, kind, expected", [
    # 米易县 2023 决算: the part equals the income total it is listed under
    ("2023年度本年收入合计295.02万元，其中：一般公共预算财政拨款收入295.02万元，占100%。", "final_account", 2_950_200.0),
    # 紫阳县 2023 预算: the list states the 政府性基金 part as 0
    ("2023年本部门预算收入226.7万元，其中一般公共预算拨款收入226.7万元、政府性基金拨款收入0万元。", "budget", 2_267_000.0),
    # 泉州 budgets (wide w031): a list of every part, 政府性基金 and 国有资本经营 at 0, 上年结转 beside them
    ("2026 年，泉州市公安局收入预算为 81206.56 万元。其中：一般公共预算拨款收入 69059.36 万元、政府性基金预算财政拨款收入"
     " 0.00 万元、国有资本经营预算拨款收入 0.00 万元、其他收入 4547.20 万元、上年结转结余 7600.00 万元。", "budget",
     690_593_600.0),
    # 福州 budgets (wide w026): "其中" opens its own sentence after the income total
    ("2026 年，福州市科学技术局收入预算为 70109.24 万元。其中：一般公共预算拨款收入 70109.24 万元。", "budget",
     701_092_400.0),
    # 苏州 budgets (wide w014): the list goes on over numbered lines
    ("（一）收入预算总计 41,183.84 万元。包括：\n1．本年收入合计 41,183.84 万元。\n（1）一般公共预算拨款收入 41,183.84 万元，与上年"
     "相比减少 1,300.99 万元。主要原因是项目支出减少。\n（2）政府性基金预算拨款收入 0 万元，与上年预算数相同。\n"
     "（3）国有资本经营预算拨款收入 0 万元，与上年预算数相同。", "budget", 411_838_400.0),
    # 湖州 budgets (wide w046): the 财政拨款 total the list belongs to
    ("湖州市退役军人事务局 2026 年财政拨款收支总预算 5973.01 万元。收入包括：一般公共预算当年拨款收入 5973.01 万元；支出包括："
     "社会保障和就业支出 5756.51 万元。", "budget", 59_730_100.0),
])
def test_general_appropriation_income_that_is_all_of_it(text, kind, expected):
    rows = extract_narrative(normalise(text), kind, 2023 if kind == "final_account" or "2023" in text else 2026)
    assert {r["value"] for r in rows if r["measure"] == "fiscal_appropriation_income"} == {expected}


@pytest.mark.parametrize("text", [
    # 福州 budgets (wide w029): a 政府性基金 part beside it
    "收入预算为 24995.94 万元。其中：一般公共预算拨款收入 23195.94 万元、政府性基金预算拨款收入 1800.00 万元。",
    # 重庆 budgets (wide w001): stated alone; it counts 上年结转 in and the 财政拨款收支总表 says 17,552.65
    "2026 年一般公共预算财政拨款收入 18,417.70 万元，一般公共预算财政拨款支出 18,417.70 万元，比 2025 年增加 2,781.90 万元。",
    # the list says 0 for 政府性基金, but a table row of the same document does not
    "收入预算为 100 万元。其中：一般公共预算拨款收入 90 万元、政府性基金预算拨款收入 0 万元。\n二、政府性基金预算拨款收入 10.00 二、外交支出",
])
def test_general_appropriation_income_that_is_only_a_part_gives_no_figure(text):
    rows = extract_narrative(normalise(text), "budget", 2026)
    assert [r for r in rows if r["measure"] == "fiscal_appropriation_income"] == []
    assert not [r for r in rows if r["measure"].startswith("_")]


def test_procurement_by_contracts_signed():
    # 决算s from 2023 on state procurement as contracts signed in the year
    got = _figures("2023年度，本部门政府采购金额（以合同签订为准）为12.50万元，其中：政府采购货物支出10.00万元。",
                   "final_account", 2023)
    assert got[("government_procurement", 2023, "actual", "")] == {125_000.0}


# --- stated zeros ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, kind, expected", [
    ("本部门无“三公”经费支出，故《“三公”经费支出决算表》为空表。", "final_account", {("sangong_total", "actual")}),
    ("本单位2023年未安排“三公”经费预算。", "final_account", {("sangong_total", "budget")}),
    ("2023年“三公”经费预算为0，与上年持平。", "budget", {("sangong_total", "budget")}),
    # 海林市 2018 决算 (hlx.gov.cn): "本部门本年度无因公出国(境)支出，较上年无变化。"
    ("本部门本年度无因公出国(境)支出，较上年无变化。", "final_account", {("sangong_overseas", "actual")}),
    ("本部门本年度无公务用车购置及运行维护费用支出，较上年无变化。", "final_account", {("sangong_vehicle_total", "actual")}),
    # 湖州 budgets (dev huz_weijian): "主要原因是 2026 年无公务用车购置预算；"
    ("比上年预算数下降 100.0%，主要原因是 2023 年无公务用车购置预算；", "budget", {("sangong_vehicle_purchase", "budget")}),
    # 杭州 budgets (wide w017, dev hz_gongan): "本部门年初不编制因公出国（境）费用预算"
    ("根据市本级因公出国（境）费用预算管理模式，本部门年初不编制因公出国（境）费用预算，年度执行中另行申请。", "budget",
     {("sangong_overseas", "budget")}),
    ("因公出国（境）费、公务用车购置及运行费、公务接待费均为零。", "budget",
     {("sangong_overseas", "budget"), ("sangong_vehicle_total", "budget"), ("sangong_reception", "budget")}),
])
def test_zero_stated_in_words(text, kind, expected):
    rows = extract_narrative(normalise(text), kind, 2023)
    assert {(r["measure"], r["basis"]) for r in rows} == expected
    assert {r["value"] for r in rows} == {0.0}
    assert all(r["scale"] == "" and r["decimals"] is None for r in rows)  # exact: no printed unit to round


@pytest.mark.parametrize("text", [
    "本部门无2022年结转的财政拨款‘三公’经费和会议费、培训费支出。",  # 紫阳县 2023 (seed 001): carried-over money
    "上年“三公”经费预算为0。",  # another year
    "如无“三公”经费支出，应当说明。",  # a condition
    "本年度无因公出国（境）团组。",  # no trip is not a stated amount
    "我单位没有“三公”经费超支。",
    "公务用车购置费预算为0辆。",
])
def test_no_zero_where_the_words_say_something_else(text):
    rows = extract_narrative(normalise(text), "final_account", 2023)
    assert [r for r in rows if r["measure"].startswith("sangong")] == []


def test_a_document_stating_no_sangong_spending_is_complete(tmp_path):
    from countyfiscal.pipeline import process_file

    body = "米易县信访局2023年度部门决算\n本年收入合计100.00万元，本年支出合计100.00万元，其中：基本支出80.00万元，项目支出20.00万元。\n"
    (tmp_path / "a.txt").write_text(body + "本部门2023年度无“三公”经费支出。\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text(body, encoding="utf-8")
    a, b = process_file(tmp_path / "a.txt"), process_file(tmp_path / "b.txt")
    assert (a.document["status"], a.document["reason"]) == ("ok", "")
    assert [(f["measure"], f["value"], f["quote"]) for f in a.figures if f["measure"] == "sangong_total"] == [
        ("sangong_total", 0.0, "无“三公”经费支出")]
    assert b.document["status"] == "partial" and "三公 total" in b.document["reason"]


# --- item-level (项) budget vs actual in a final account ----------------------------------------------------------

# The wordings of issue #15's 决算 ("2130501行政运行（项）：年初预算为X万元，支出决算为Y万元，完成年初预算的Z%。
# 决算数大于预算数的主要原因是……"), the 类/款/项 chain of the Ministry's template, and 米易县 2023 (seed 003).
ITEMS = """（三）一般公共预算财政拨款支出决算具体情况
1.一般公共服务（类）政府办公厅（室）及相关机构事务（款）行政运行（项）。年初预算为100.00万元，支出决算为110.00万元，完成年初预算的110%。决算数大于年初预算数的主要原因是：人员增加。
2.2010302一般行政管理事务（项）：年初预算为20.00万元，支出决算为15.00万元，完成年初预算的75%，决算数小于预算数的主要原因是厉行节约。
3.行政运行（项）：年初预算为5.00万元，支出决算为5.00万元。
4.住房保障支出221（类）住房改革支出22102（款）住房公积金2210201（项）：支出决算数为15.62万元，完成预算100%，决算数等于预算数。
5.卫生健康210（类）行政事业单位医疗21011（款）行政单位医疗2101101（项）事业单位医疗2101102（项）:支出决算为15.62万元。
6.2130501行政运行（项）：年初预算为10.00万元，调整预算为12.00万元，支出决算为12.00万元，比上年增加2.00万元，主要原因是新增人员。
7.2080505公务员医疗补助（项）：年初预算为3.00万元，支出决算为3.00万元。
"""


def _items(text, kind="final_account"):
    doc = Document("t.txt", "txt", normalise(text))
    rows = [r for r in extract_all(doc, kind, 2023) if r["measure"] == "functional_expenditure" and len(r["code"]) == 7]
    for r in rows:
        assert doc.text[r["start"] : r["end"]] == r["quote"]
    return {(r["code"], r["basis"]): (r["value"], r["stated_reason"]) for r in rows}


def test_item_budget_and_actual_with_the_reason_on_both_rows():
    got = _items(ITEMS)
    assert got == {
        ("2010301", "budget"): (1_000_000.0, "主要原因是：人员增加"),
        ("2010301", "actual"): (1_100_000.0, "主要原因是：人员增加"),
        ("2010302", "budget"): (200_000.0, "主要原因是厉行节约"),
        ("2010302", "actual"): (150_000.0, "主要原因是厉行节约"),
        # only the actual is stated; 完成预算100% is a rate, not a budget amount
        ("2210201", "actual"): (156_200.0, ""),
        # the 年初 budget, not the adjusted one; the reason given is for the change on last year: not this one's
        ("2130501", "budget"): (100_000.0, ""),
        ("2130501", "actual"): (120_000.0, ""),
    }
    # 行政运行 alone exists under many 款 (item 3); two 项 before one amount state their sum (item 5, the 类 row);
    # a printed code whose name is another item's (item 7: 公务员医疗补助 is 2101103) gives nothing.


def test_item_reason_set_as_its_own_paragraph():
    got = _items("1.2130501行政运行（项）：年初预算为10.00万元，支出决算为12.00万元，完成年初预算的120%。\n"
                 "决算数大于预算数的主要原因是人员增加。\n2.2130502一般行政管理事务（项）：年初预算为3.00万元，支出决算为2.00万元。")
    assert got[("2130501", "actual")] == (120_000.0, "主要原因是人员增加")
    assert got[("2130502", "budget")] == (30_000.0, "")


def test_items_only_in_a_final_account():
    # 杭州 budgets (wide w017) explain each 项's budget against last year's execution: no budget-vs-actual statement
    text = ("（1）城乡社区支出（类）国有土地使用权出让收入安排的支出（款）城市建设支出（项）预算为 211,000.00 万元，"
            "比上年执行数增加 205,287.63 万元，主要原因是增加地铁综合补贴。")
    assert _items(text, "budget") == {}


# --- letter-spaced narrative -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, year, expected", [
    # issue #15: a re-typeset 决算 stating its income total letter-spaced
    ("一、收入决算情况说明\n2023 年度本 年 收 入 合 计 295.02 万 元，其中：财政拨款收入295.02万元。", 2023, 2_950_200.0),
    # everything letter-spaced, digits too
    ("2 0 2 3 年 度 本 年 收 入 合 计 2 9 5 . 0 2 万 元 ， 其 中 ：", 2023, 2_950_200.0),
    ("本 年 收 入 合 计 1 , 2 3 4 . 5 6 万 元 。", 2023, 12_345_600.0),
    # 珠海 budgets (wide w044): "2 0 2 6年本部门收入预算 6 6 , 3 0 7 . 9 8万元，比上年增加"
    ("2 0 2 6年本部门收入预算 6 6 , 3 0 7 . 9 8万元，比上年增加", 2026, 663_079_800.0),
])
def test_letter_spaced_income_total_is_read(text, year, expected):
    rows = extract_narrative(normalise(text), "final_account" if year == 2023 else "budget", year)
    assert {r["value"] for r in rows if r["measure"] == "income_total" and r["fiscal_year"] == year} == {expected}


def test_one_digit_cells_are_not_joined_into_a_number():
    assert normalise("项目 1 2 3 4 5 6 7\n合计 1 2 3") == "项目 1 2 3 4 5 6 7\n合计 1 2 3"


# --- wordings of the wide corpus's templates --------------------------------------------------------------------

def test_wide_corpus_budget_wordings():
    text = (
        # 重庆 budgets (wide w001): a numbered heading ending in a full stop names the measure of its sentence
        "（一）收入预算。2026 年年初预算数 19,230.18 万元，其中：一般公共预算拨款 18,417.70 万元，事业收入 812.48 万元。\n"
        "（二）支出预算。2026 年年初预算数 19,230.18 万元，其中：一般公共服务支出 15,958.96 万元。\n"
        # 福州 budgets (wide w029): "相应安排支出预算"
        "2026 年,福州市商务局收入预算为 24995.94 万元。相应安排支出预算 24995.94 万元，比上年增加 608.71 万元。\n"
        # 苏州 budgets (wide w008)
        "（1）公务用车购置预算支出 0 万元，比上年预算减少 18.18 万元，主要原因是上年度购置一辆公务用车，本年度未编列公务用车购置预算。\n"
    )
    # 珠海 budgets (wide w044)
    text += "2026年本部门政府采购安排512.48万元，其中：货物类采购预算2.16万元。\n"
    # 福州 单位预算 (wide w024): the unit's name ends in 支队 right before the term
    text += "2026 年,福州市公安局治安管理支队收入预算为 2796.14 万元，比上年增加 129.07 万元。\n"
    got = _figures(text, "budget", 2026)
    assert got[("government_procurement", 2026, "budget", "")] == {5_124_800.0}
    assert got[("income_total", 2026, "budget", "")] == {192_301_800.0, 249_959_400.0, 27_961_400.0}
    assert got[("expenditure_total", 2026, "budget", "")] == {192_301_800.0, 249_959_400.0}
    assert got[("sangong_vehicle_purchase", 2026, "budget", "")] == {0.0}
    assert 184_177_000.0 not in {v for vs in got.values() for v in vs}  # a part of the income is no total
