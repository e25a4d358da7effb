"""Stated changes, shares, execution rates and wording, attached to the figure or measure they are about."""

from __future__ import annotations

import pandas as pd

from countyfiscal.audit.statements import find_statements

from _fiscal_fixtures import seed_run

EMPTY = pd.DataFrame(columns=["measure", "fiscal_year", "basis", "code", "value", "unit", "method", "start", "end", "quote"])


def _fig(text, quote, measure, value, year=2023, basis="actual"):
    start = text.index(quote)
    return {"measure": measure, "fiscal_year": year, "basis": basis, "code": "", "value": value, "unit": "yuan",
            "method": "stated", "start": start, "end": start + len(quote), "quote": quote}


def test_change_amount_and_percent_pair_on_a_named_measure():
    text = "与上年相比，支出合计减少29,395.84元，下降1.05%。其中：基本支出增加115,334.14元，增长4.65%。"
    st = find_statements(text, EMPTY)
    got = st[["kind", "measure", "value", "direction"]].values.tolist()
    assert got == [["change_amount", "expenditure_total", 29395.84, -1], ["change_pct", "expenditure_total", 1.05, -1],
                   ["change_amount", "basic_expenditure", 115334.14, 1], ["change_pct", "basic_expenditure", 4.65, 1]]
    assert st.loc[1, "chain"] == st.loc[0, "start"]


def test_a_change_after_last_years_figure_belongs_to_this_year():
    text = "“三公”经费年初预算安排 0.2万元，比上年 0.23万元减少 0.03万元，同比减少 15 %，主要原因是节约。"
    figs = pd.DataFrame([_fig(text, "“三公”经费年初预算安排 0.2万元", "sangong_total", 2000.0, basis="budget"),
                         _fig(text, "比上年 0.23万元", "sangong_total", 2300.0, year=2022, basis="budget")])
    st = find_statements(text, figs)
    assert st[["kind", "measure", "fiscal_year", "value", "direction"]].values.tolist() == [
        ["change_amount", "sangong_total", 2023, 300.0, -1], ["change_pct", "sangong_total", 2023, 15.0, -1]]


def test_something_else_named_in_between_is_not_attached():
    text = "与上年相比，本年资产总额减少23,626.89元，其中固定资产减少25,945.88元。"
    st = find_statements(text, EMPTY)
    assert st["measure"].tolist() == ["assets_total", ""]


def test_shares_find_their_base_explicit_or_leading():
    text = ("2023年度本年支出合计295.02万元，其中：基本支出255.51万元，占87%；项目支出39.51万元，占13%。"
            "人员经费支出2,329,472.74元，占基本支出的89.69％；"
            "年初预算信访工作经费中列支180,189.64元（分别为：劝返工作经费80,660.50元），占项目总支出的100.00%。")
    figs = pd.DataFrame([_fig(text, "基本支出255.51万元", "basic_expenditure", 2555100.0),
                         _fig(text, "项目支出39.51万元", "project_expenditure", 395100.0)])
    st = find_statements(text, figs)
    shares = st[st["kind"] == "share_pct"]
    assert shares[["value", "figure_value", "base_value"]].values.tolist() == [
        [87.0, 2555100.0, 2950200.0], [13.0, 395100.0, 2950200.0], [89.69, 2329472.74, 2555100.0],
        [100.0, 180189.64, 395100.0]]


def test_execution_rates_and_wording():
    text = ("公务用车运行维护费支出年初预算为19,400.00元，决算为11,668.09元，占财政拨款“三公”经费总支出决算的100.00%，"
            "完成年初预算的60.14%。“三公”经费支出决算数小于年初预算数的主要原因是厉行节约。公务用车运行费0万元，较上年无变化。")
    figs = pd.DataFrame([_fig(text, "决算为11,668.09元", "sangong_vehicle_operation", 11668.09),
                         _fig(text, "公务用车运行费0万元", "sangong_vehicle_operation", 0.0)])
    st = find_statements(text, figs)
    ex = st[st["kind"] == "execution_pct"].iloc[0]
    assert (ex["measure"], ex["value"], ex["figure_value"]) == ("sangong_vehicle_operation", 60.14, 11668.09)
    assert st[st["kind"] == "wording"][["measure", "words"]].values.tolist() == [
        ["sangong_total", "less"], ["sangong_vehicle_operation", "unchanged"]]


def test_seed_zengdu_project_decrease_is_found_twice():
    docs, figs, texts = seed_run()
    file = "004_70dee09d8603147c.txt"
    st = find_statements(texts[file], figs[figs["file"] == file])
    project = st[(st["kind"] == "change_amount") & (st["measure"] == "project_expenditure")]
    assert sorted(project["value"].tolist()) == [350000.0, 470000.0]
    assert set(project["direction"]) == {-1}


def test_brackets_of_either_width_name_the_same_measure_and_qualified_wording_is_no_claim():
    text = ("因公出国(境)费比上年减少0.50万元。因公出国（境）费比上年减少0.50万元。"
            "公务接待费与上年持平。公务用车运行维护费与上年基本持平。")
    st = find_statements(text, EMPTY)
    # "与上年持平" is also a change of 0 (a change_pct row beside the wording); "基本持平" is neither.
    assert st[["kind", "measure"]].values.tolist() == [
        ["change_amount", "sangong_overseas"], ["change_amount", "sangong_overseas"],
        ["change_pct", "sangong_reception"], ["wording", "sangong_reception"]]
    assert st["words"].iloc[-2:].tolist() == ["unchanged", "unchanged"]
    assert (st["value"].iloc[-2], st["direction"].iloc[-2]) == (0.0, 0)


def test_a_change_says_what_it_is_measured_against():
    # 杭州市气象局 2026 预算: "比上年执行数增加"; 深圳 budgets: "与上年预算数相同"; 曾都区: "比上年减少" (base unsaid).
    text = ("支出预算5,876.67万元，比上年执行数增加48.92万元，增长0.8%。"
            "“三公”经费支出预算15万元，与上年预算数相同。其中，公务接待费比上年预算数减少1万元。"
            "项目支出比上年减少47万元。")
    figs = pd.DataFrame([_fig(text, "支出预算5,876.67万元", "expenditure_total", 58766700.0, year=2026,
                              basis="budget"),
                         _fig(text, "“三公”经费支出预算15万元", "sangong_total", 150000.0, year=2026, basis="budget")])
    st = find_statements(text, figs).fillna({"value": -1})
    got = st[["kind", "measure", "base", "value"]].values.tolist()
    assert got == [["change_amount", "expenditure_total", "prior_execution", 489200.0],
                   ["change_pct", "expenditure_total", "prior_execution", 0.8],
                   ["change_pct", "sangong_total", "prior_budget", 0.0],
                   ["wording", "sangong_total", "prior_budget", -1],
                   ["change_amount", "sangong_reception", "prior_budget", 10000.0],
                   ["change_amount", "project_expenditure", "", 470000.0]]


def test_a_list_of_figure_dicts_gives_the_same_statements_as_their_table():
    docs, figs, texts = seed_run()
    for file, text in texts.items():
        table = figs[figs["file"] == file]
        pd.testing.assert_frame_equal(find_statements(text, table.to_dict("records")), find_statements(text, table))


def test_factored_term_pattern_matches_as_the_plain_longest_first_alternation():
    import re

    from countyfiscal.audit import statements

    pairs = [(t, m) for m, spec in statements._measure_rules().items() for t in spec["terms"]]
    pairs.sort(key=lambda p: len(p[0]), reverse=True)
    plain = re.compile("|".join(re.escape(t).replace("（", "[（(]").replace("）", "[）)]") for t, _ in pairs))
    factored, _ = statements._term_regex()
    text = ("公务用车购置及运行(维护)费、公务用车购置及运行（维护)费、公务用车运行维护支出，因公出国(境)费用与因公出国境费；"
            "支出合计、支出预算总额、预算支出、收入合计和一般公共预算财政拨款收入，机关运行经费支出，公用经费。")
    for lo in range(len(text)):
        for hi in range(lo, len(text) + 1, 7):
            assert [m.span() for m in factored.finditer(text, lo, hi)] == [m.span() for m in plain.finditer(text, lo, hi)]


def test_amounts_found_sentence_by_sentence_are_those_of_the_whole_text():
    from countyfiscal.audit import statements
    from countyfiscal.amounts import AMOUNT_RE

    text = "支出1,234.56万元，其中2.工资 128.89元；合计3万人。\n（一）收入12元！共5亿元?余额0.5元"
    every = [(m.start(), m.end()) for m in AMOUNT_RE.finditer(text)]
    assert len(every) == 5
    amounts = statements._Amounts(text)
    for lo in range(len(text) + 1):
        for hi in range(lo, len(text) + 1):
            got = [(a.start, a.end) for a in amounts.between(lo, hi)]
            assert got == [(s, e) for s, e in every if lo <= s < hi]


def test_statement_rows_are_rows_of_the_declared_statements_table():
    from countyfiscal import fields
    from countyfiscal.audit.statements import COLUMNS, statement_rows

    assert fields.columns("statements") == ["file", *COLUMNS, "page"]
    text = "基本支出2,000.00元，比上年增加500.00元，增长33.33%。项目支出比上年预算数减少10.00元。"
    figs = [dict(_fig(text, "基本支出2,000.00元", "basic_expenditure", 2000.0), page=3),
            dict(_fig(text, "项目支出", "project_expenditure", 0.0), page=3)]
    rows = statement_rows("a.pdf", text, figs)
    assert [list(r) for r in rows] == [fields.columns("statements")] * 3
    # Pages read off the figures around each statement (both on page 3); a page_at given wins.
    assert [(r["kind"], r["base"], r["page"]) for r in rows] == [
        ("change_amount", "", 3), ("change_pct", "", 3), ("change_amount", "prior_budget", None)]
    assert {r["page"] for r in statement_rows("a.pdf", text, figs, page_at=lambda pos: 7)} == {7}


def test_a_reading_of_measures_yml_names_the_measure_it_emits_or_none():
    from countyfiscal.audit.statements import _statement_measure

    # measures.yml (narrative branch): "_grand_totals" (收、支总计) emits both grand totals from one amount.
    assert _statement_measure("_grand_totals", {"emits": ["income_grand_total", "expenditure_grand_total"]}) == \
        "income_grand_total"
    assert _statement_measure("_general_appropriation_income", {"terms": ["一般公共预算拨款收入"]}) == ""
    assert _statement_measure("basic_expenditure", {}) == "basic_expenditure"
