"""Checks: sums, shares, changes, restatements, wording, year and placeholders — inline cases, seeds, planted errors."""

from __future__ import annotations

import pandas as pd
import pytest

from countyfiscal.audit import checks
from countyfiscal.fields import columns

from _fiscal_fixtures import DEV, PLANTS, planted, run_text, seed_doc_flags, seed_results, seed_run


def fig(measure, value, quote, start, *, year=2023, basis="actual", code="", scale="万元", decimals=2, source="text",
        table=""):
    return {"file": "a.txt", "measure": measure, "fiscal_year": year, "basis": basis, "code": code, "value": value,
            "unit": "yuan", "method": "stated", "quote": quote, "start": start, "end": start + len(quote),
            "scale": scale, "decimals": decimals, "source": source, "table": table}


def test_parts_rounded_to_the_printed_precision_are_rounding_not_mismatch():
    # 米易县: the five classes as printed sum to 295.03 万元, the total is 295.02 万元 (each part rounded).
    figs = pd.DataFrame([fig("expenditure_total", 2950200.0, "支出合计295.02万元", 0)] + [
        fig("functional_expenditure", v, f"q{c}", 100 + i * 20, code=c)
        for i, (c, v) in enumerate([("201", 2275500.0), ("204", 19900.0), ("208", 318200.0), ("210", 180500.0),
                                    ("221", 156200.0)])])
    flags = checks.check_sums(figs, "a.txt")
    assert [(f["check"], f["status"], f["reported"], f["expected"]) for f in flags] == [
        ("sum_of_parts", "rounding", "295.02万元", "295.03万元")]


def test_parts_off_by_more_than_rounding_are_a_mismatch_with_every_quote():
    figs = pd.DataFrame([fig("expenditure_total", 2950200.0, "支出合计295.02万元", 0),
                         fig("basic_expenditure", 2555100.0, "基本支出255.51万元", 20),
                         fig("project_expenditure", 405100.0, "项目支出40.51万元", 40)])
    [flag] = checks.check_sums(figs, "a.txt")
    assert flag["status"] == "mismatch"
    assert flag["quotes"] == "支出合计295.02万元|基本支出255.51万元|项目支出40.51万元"
    # Parts that fall short of the total are a gap, not a contradiction: a total may also hold 事业单位经营支出 (湖州市
    # 交通运输局 2026: 人员 + 公用 + 项目 + 经营支出 200.00 万元 = 201,286.11 万元).
    short = figs.assign(value=figs["value"].where(figs["measure"] != "project_expenditure", 385100.0))
    [flag] = checks.check_sums(short, "a.txt")
    assert flag["status"] == "insufficient_data"


def test_restatement_beyond_rounding_is_flagged_with_both_quotes_and_equal_repeats_are_not():
    figs = pd.DataFrame([fig("functional_expenditure", 180500.0, "卫生健康支出18.05万元", 0, code="210"),
                         fig("functional_expenditure", 156200.0, "支出决算为15.62万元", 50, code="210"),
                         fig("basic_expenditure", 2555100.0, "基本支出255.51万元", 80),
                         fig("basic_expenditure", 2555100.0, "基本支出255.51万元", 120)])
    [flag] = checks.check_restatements(figs, "a.txt")
    assert (flag["check"], flag["status"], flag["code"]) == ("restatement", "mismatch", "210")
    assert flag["quotes"] == "卫生健康支出18.05万元|支出决算为15.62万元"


def test_a_restricted_table_is_not_compared_with_the_department_total():
    # A 一般公共预算 table's class is a part of the department's class, not a restatement of it.
    figs = pd.DataFrame([fig("functional_expenditure", 764688100.0, "公共安全支出 76,468.81 万元", 0, code="204"),
                         fig("functional_expenditure", 690811500.0, "公共安全支出 69,081.15", 50, code="204",
                             source="table", table="表5：部门一般公共预算支出预算表")])
    assert checks.check_restatements(figs, "a.txt") == []


def test_percent_judgement():
    assert checks.judge_percent(114.55, 2, 114.5497, 114.54, 114.56) == (None, "")
    assert checks.judge_percent(3, 0, 3.56, 3.53, 3.59)[0] == "rounding"  # truncated, not rounded
    assert checks.judge_percent(59.4, 1, 49.46, 49.45, 49.47)[0] == "mismatch"
    # 曾都区: 0.23 → 0.2 万元 is −13.04 %; −15 % is the change over this year's figure, a known slip.
    assert checks.judge_percent(15, 0, 13.04, 10.6, 15.6, wrong_base=15.0)[0] == "mismatch"


def test_document_year_and_placeholders():
    doc = {"file": "a.txt", "doc_kind": "final_account", "fiscal_year": 2023}
    text = "XX局2022年度部门决算。截至2022年12月31日，共有车辆0辆。比2022年度部门决算增加。"
    flags = checks.check_document_year(text, doc) + checks.check_placeholders(text, "a.txt")
    got = sorted((f["check"], f["reported"]) for f in flags)
    assert got == [("document_year", "2022年度部门决算"), ("document_year", "截至2022年12月31日"),
                   ("placeholder", "XX局2022年")]


def test_run_checks_returns_the_flags_columns_even_when_empty():
    out = checks.run_checks(pd.DataFrame(columns=columns("figures")), pd.DataFrame(columns=columns("documents")), {})
    assert list(out.columns) == columns("flags") and out.empty


# --- the seeds, through the real extraction -------------------------------------------------------------------

@pytest.fixture(scope="module")
def seed_flags():
    # As the pipeline writes them: the checks' flags and those raised while extracting (米易县's two readings of
    # 卫生健康支出 are settled by the extractor, which flags them: figures.csv holds one value per key).
    docs, figs, texts = seed_run()
    return checks.run_checks(figs, docs, texts, extra=seed_doc_flags())


def _has(flags, file_prefix, check, status, measure, *quotes, code=None):
    sel = flags[flags["file"].str.startswith(file_prefix) & (flags["check"] == check) & (flags["status"] == status)
                & (flags["measure"] == measure)]
    if code is not None:
        sel = sel[sel["code"] == code]
    return any(all(q in row for q in quotes) for row in sel["quotes"])


def test_seed_contradictions_are_mismatches_with_both_quotes(seed_flags):
    # 米易县 卫生健康支出 stated as 18.05 万元 and as 15.62 万元 (住房保障's amount, repeated in the item list): the
    # classes add up to the total with 18.05, so that is the figure kept; the flag names both.
    assert _has(seed_flags, "003", "restatement", "mismatch", "functional_expenditure", "18.05万元", "15.62万元",
                code="210")
    row = seed_flags[(seed_flags["code"] == "210")].iloc[0]
    assert (row["origin"], row["reported"], row["expected"]) == ("reading", "15.62万元", "18.05万元")
    assert "“卫生健康支出18.05万元”" in row["message"] and "支出决算为15.62万元”" in row["message"]
    # 曾都区 项目支出 decrease stated as 35 万元 and as 47 万元 (195 − 148).
    assert _has(seed_flags, "004", "year_on_year", "mismatch", "project_expenditure", "35 万元", "47 万元")
    assert _has(seed_flags, "004", "year_on_year", "mismatch", "project_expenditure", "35 万元", "195 万元", "148 万元")
    # 曾都区 "三公" change stated as −15 % where 0.23 → 0.2 is −13.0 %.
    row = seed_flags[seed_flags["file"].str.startswith("004") & (seed_flags["measure"] == "sangong_total")
                     & (seed_flags["check"] == "year_on_year")].iloc[0]
    assert (row["status"], row["reported"], row["expected"]) == ("mismatch", "-15%", "-13.04%")


def test_seed_consistent_statements_are_not_flagged(seed_flags):
    hongta = seed_flags[seed_flags["file"].str.startswith("000")]
    assert not hongta["measure"].isin(["sangong_total", "sangong_vehicle_operation", "agency_operating_expenses",
                                       "expenditure_total", "basic_expenditure", "project_expenditure"]).any()
    assert set(hongta["check"]) == {"execution_rate"}  # only the two zero budgets (因公出国, 车辆购置): no rate
    assert set(hongta["status"]) == {"insufficient_data"}


def test_seed_flags_are_sorted_and_deterministic(seed_flags):
    docs, figs, texts = seed_run()
    again = checks.run_checks(figs, docs, texts, extra=seed_doc_flags())
    pd.testing.assert_frame_equal(seed_flags, again)
    assert list(seed_flags.columns) == columns("flags")


def test_check_document_on_the_extractors_dicts_gives_the_flags_of_the_whole_run(seed_flags):
    # What a worker does per document (the extractor's own dicts, no table) adds up to the in-memory run: the seeds
    # are five departments, so there is nothing to compare across documents.
    from countyfiscal.pipeline import frame

    rows = []
    for res in seed_results():
        mine = res.doc_flags + checks.check_document(res.figures, res.document, res.text)
        alone = checks.run_checks(frame("figures", res.figures), frame("documents", [res.document]),
                                  {res.document["file"]: res.text}, extra=res.doc_flags)
        pd.testing.assert_frame_equal(checks.flags_table(mine), alone)
        rows += mine
    together = checks.flags_table(rows)
    pd.testing.assert_frame_equal(together, seed_flags)
    assert _has(together, "003", "restatement", "mismatch", "functional_expenditure", "18.05万元", "15.62万元")


def test_check_document_without_text_checks_the_figures_only():
    res = next(r for r in seed_results() if r.document["file"].startswith("003"))
    rows = checks.check_document(res.figures, res.document, None)
    assert [(r["check"], r["status"], r["measure"]) for r in rows] == [("sum_of_parts", "rounding", "functional_expenditure")]
    # (its 210, stated as 18.05 and as 15.62 万元, is one value in figures.csv: flagged while reading, not here)
    assert checks.check_document([], res.document, None) == []


def test_cross_document_restatement_between_two_documents_of_one_department():
    figs = pd.DataFrame([fig("basic_expenditure", 2555100.0, "基本支出255.51万元", 0),
                         {**fig("basic_expenditure", 2655100.0, "基本支出265.51万元", 0), "file": "b.txt"},
                         {**fig("project_expenditure", 395100.0, "项目支出39.51万元", 30), "file": "b.txt"},
                         fig("project_expenditure", 395100.0, "项目支出39.51万元", 30)])
    docs = pd.DataFrame([{"file": f, "status": "ok", "doc_kind": "final_account", "fiscal_year": 2023,
                          "department": "信访局", "jurisdiction": "某县"} for f in ("a.txt", "b.txt")])
    [flag] = checks.check_cross_document(figs, docs)
    assert (flag["file"], flag["measure"], flag["reported"], flag["expected"]) == (
        "a.txt;b.txt", "basic_expenditure", "265.51万元", "255.51万元")
    # Another department's figure is never compared.
    other = docs.assign(department=["信访局", "财政局"])
    assert checks.check_cross_document(figs, other) == []


# --- a real disclosure with planted contradictions ---------------------------------------------------------------

QIXIANG = DEV / "hz_qixiang_2026_budget.pdf"


@pytest.mark.skipif(not DEV.exists(), reason="../shared/dev-corpus is absent")
def test_planted_contradictions_in_a_real_disclosure_are_caught():
    original, altered = planted(QIXIANG)
    clean, _ = run_text("qx.pdf", original, "budget", 2026)
    dirty, _ = run_text("qx.pdf", altered, "budget", 2026)
    new = dirty.merge(clean, how="left", indicator=True).query("_merge == 'left_only'")
    caught = set(new[new["status"] == "mismatch"]["check"])
    assert caught >= {check for _, _, (check, _) in PLANTS}
    # Each planted value is quoted by a mismatch of the check meant to catch it.
    for _, _, (check, fragment) in PLANTS:
        quotes = new[(new["check"] == check) & (new["status"] == "mismatch")]["quotes"]
        assert any(fragment.replace(" ", "") in q.replace(" ", "") for q in quotes), (check, fragment)


def test_check_command_keeps_the_flags_raised_while_reading(tmp_path):
    # `countyfiscal check` recomputes flags from figures.csv; those raised during extraction (米易县's 210) cannot be,
    # so they are kept from the previous flags (for documents still read), and the rest recomputed.
    import shutil

    from _fiscal_fixtures import RAW
    from countyfiscal.pipeline import run_check, run_extract

    raw = tmp_path / "raw"
    raw.mkdir()
    for p in sorted(RAW.glob("0*.txt")):
        shutil.copy(p, raw / p.name)
    out = tmp_path / "out"
    run_extract(raw, out, jobs=1, progress=False)
    before = pd.read_parquet(out / "flags.parquet")
    n = run_check(out, raw)
    after = pd.read_csv(out / "flags.csv", dtype=str, keep_default_na=False)
    assert n == len(before) == len(after) > 0 and list(after.columns) == columns("flags")
    reading = after[after["origin"] == "reading"]
    assert reading[["file", "check", "code"]].values.tolist() == [["003_0f5fdd14f3227a61.txt", "restatement", "210"]]
    assert list(pd.read_csv(out / "metrics.csv").columns) == columns("metrics")
    # Run again: still there, not duplicated.
    assert run_check(out, raw) == n


# --- false alarms found on the clean dev corpus, each from a real layout ---------------------------------------

def _flags_of(text, figs, doc_kind="budget"):
    from countyfiscal.audit.statements import statement_records

    return checks.check_statements(statement_records(text, figs), figs, "a.pdf", doc_kind)


def test_shares_rounded_to_add_up_to_100_percent_are_rounding():
    # 杭州市司法局 2026: 58,486.35 / 99,230.46 is 58.94 %, printed 59.0 % so the three shares add up to 100.0 %.
    text = ("支出预算 99,230.46 万元。按支出用途分类，包括人员支出 58,486.35 万元，占 59.0%；日常公用支出 12,237.94 万元，"
            "占 12.3%；项目支出 28,506.17 万元，占 28.7%。")
    figs = [fig(m, v * 10000, q, text.index(q), year=2026, basis="budget") for m, v, q in [
        ("expenditure_total", 99230.46, "支出预算 99,230.46 万元"), ("personnel_expenditure", 58486.35, "人员支出 58,486.35 万元"),
        ("public_expenditure", 12237.94, "日常公用支出 12,237.94 万元"), ("project_expenditure", 28506.17, "项目支出 28,506.17 万元")]]
    flags = _flags_of(text, figs)
    assert [(f["check"], f["status"]) for f in flags] == [("share", "rounding")]
    assert "add up to 100%" in flags[0]["message"]
    # Shares not adding up to 100 % are each judged alone: 59.0 % and 28.6 % are both wrong.
    flags = _flags_of(text.replace("28.7%", "28.6%"), figs)
    assert [(f["check"], f["status"], f["reported"]) for f in flags] == [("share", "mismatch", "59.0%"),
                                                                        ("share", "mismatch", "28.6%")]


def test_a_spaced_share_is_not_taken_for_the_base_of_the_next_one():
    # 湖州市卫生健康委员会 2026: "政府性基金收入 27600.00 万元 ， 占 5.4% ；事业收入 436671.20 万元，占 84.7%".
    text = ("收入预算 515313.35 万元。其中：一般公共预算拨款收入 37018.75 万元，占 7.2%；\n政府性基金收入 27600.00 万元 ， "
            "占 5.4% ；事业收入 436671.20 万元，占 84.7%；其他收入 14023.40 万元，占 2.7%。")
    assert [f for f in _flags_of(text, []) if f["status"] == "mismatch"] == []


def test_what_money_is_spent_on_is_not_the_subject_of_a_change():
    # 重庆市水利局 2026: "…主要用于重庆市藻渡水库工程等项目支出，比 2025 年减少 258146.77 万元" is about the 政府性基金
    # 预算支出 of the sentence; the 项目支出 decrease is stated elsewhere (251675.84 万元).
    from countyfiscal.audit.statements import statement_records

    text = ("支出比 2025 年减少 246429.22 万元，主要是基本支出增加 5246.63 万元，项目支出减少 251675.84 万元。"
            "政府性基金预算支出 44134.59 万元，主要用于重庆市藻渡水库工程等项目支出，比 2025 年减少 258146.77 万元。")
    st = statement_records(text, [])
    assert [r["measure"] for r in st if r["kind"] == "change_amount"] == [
        "", "basic_expenditure", "project_expenditure", ""]
    assert checks.check_statements(st, [], "a.pdf") == []


def test_economic_classes_are_added_to_the_total_their_table_breaks_down():
    # 福州市医疗保障局 2026: the 一般公共预算支出经济分类情况表 breaks down all expenditure (basic and project), so its
    # classes are not 基本支出's parts.
    t = "2026年度一般公共预算支出经济分类情况表"
    figs = pd.DataFrame([fig("basic_expenditure", 78412600.0, "合计 7841.26", 0, year=2026, basis="budget",
                             source="table", table="2026年度一般公共预算基本支出经济分类情况表")] + [
        fig("economic_expenditure", v, q, 100 + i * 30, year=2026, basis="budget", code=c, source="table", table=t)
        for i, (c, v, q) in enumerate([("301", 70703400.0, "工资福利支出 7070.34"), ("302", 38278500.0, "商品和服务支出 3827.85"),
                                       ("303", 75423500.0, "对个人和家庭的补助 7542.35"),
                                       ("313", 3334050000.0, "对社会保障基金补助 333405.00")])])
    assert checks.check_sums(figs, "a.pdf") == []
    # The same classes from a 基本支出 table are 基本支出's parts.
    basic = figs.assign(table=figs["table"].str.replace("支出经济分类", "基本支出经济分类"))
    assert [f["status"] for f in checks.check_sums(basic, "a.pdf")] == ["mismatch"]


def test_a_table_of_uncertain_identity_takes_part_in_no_comparison():
    rows = [fig("income_total", 5153133500.0, "收入预算 515313.35 万元", 0, year=2026, basis="budget"),
            fig("income_total", 4782946000.0, "本年收入合计 478294.60", 50, year=2026, basis="budget", source="table",
                table="2026年部门收入预算表")]
    known = pd.DataFrame([dict(r, table_kind="income" if r["source"] == "table" else "") for r in rows])
    assert [f["check"] for f in checks.check_restatements(known, "a.pdf")] == ["table_vs_text"]
    unsure = known.assign(table_kind="")
    assert checks.check_restatements(unsure, "a.pdf") == []


def test_a_document_printing_whole_percents_with_a_decimal_is_judged_as_whole_percents():
    # 珠海 w046 2026: every change is printed as a whole percent with ".0" ("增长 4.0%" for 268.28 / 5,988.03 = 4.48 %).
    text = ("支出预算 6256.31 万元，比上年增加 268.28 万元，增长 4.0%。"
            "机关运行经费财政拨款预算 48.78 万元，比上年减少 4.98 万元，下降 9.0%。")
    figs = [fig("expenditure_total", 62563100.0, "支出预算 6256.31 万元", 0, year=2026, basis="budget"),
            fig("agency_operating_expenses", 487800.0, "机关运行经费财政拨款预算 48.78 万元", text.index("机关"),
                year=2026, basis="budget")]
    assert {(f["check"], f["status"]) for f in _flags_of(text, figs)} == {("year_on_year", "rounding")}
    # One real decimal among them: 4.0 % is then a mismatch.
    flags = _flags_of(text.replace("下降 9.0%", "下降 9.26%"), figs)
    assert [(f["status"], f["reported"]) for f in flags] == [("mismatch", "4.0%")]


def test_a_change_of_all_funds_and_one_of_the_general_budget_part_are_not_one_change_stated_twice():
    # 福州市公安局交通管理支队 2026: 项目支出预算增加 8313.91 万元 (all funds); in the 一般公共预算拨款 sentence,
    # 项目支出增加 313.91 万元. 曾都区 2023 states its two project decreases for money that is the same either way.
    text = ("相应安排支出预算 61764.88 万元，比上年增加 8649.85 万元，增长 16.29%，主要原因是基本支出预算增加335.94万元，"
            "项目支出预算增加8313.91万元。"
            "2026 年度一般公共预算拨款支出 48764.88 万元，比上年增加 649.85 万元，主要原因是人员经费支出增加 335.94 万元，"
            "项目支出增加 313.91 万元。")
    figs = [fig("expenditure_total", 617648800.0, "支出预算 61764.88 万元", text.index("支出预算"), year=2026,
                basis="budget")]
    from countyfiscal.audit.statements import statement_records

    st = [(r["measure"], r["scope"], r["value"]) for r in statement_records(text, figs) if r["kind"] == "change_amount"]
    assert ("project_expenditure", "total", 83139100.0) in st and ("project_expenditure", "appropriation", 3139100.0) in st
    assert [f for f in _flags_of(text, figs) if f["check"] == "year_on_year"] == []


# --- item-level budget vs actual (决算: "年初预算为X万元，支出决算为Y万元…决算数大于预算数") --------------------------

ITEMS = ("（三）一般公共预算财政拨款支出决算具体情况\n"
         "1.一般公共服务支出（类）政府办公厅（室）及相关机构事务（款）行政运行（项）：年初预算为120.50万元，支出决算为110.25万元，"
         "完成年初预算的91.49%。决算数{op1}预算数的主要原因是：人员变动。\n"
         "2.一般公共服务支出（类）政府办公厅（室）及相关机构事务（款）信访事务（项）：年初预算为30.00万元，支出决算为36.00万元。"
         "决算数{op2}预算数的主要原因是：增加信访专项经费。\n"
         "3.住房保障支出（类）住房改革支出（款）住房公积金（项）：年初预算为15.62万元，支出决算为15.62万元，决算数{op3}预算数。\n")


def _item_figures(text):
    """The rows the narrative extractor emits for each item: functional_expenditure of the 项 code, budget and actual,
    from one statement (quote from the chain's start to the amount), with the stated reason on both."""
    rows = []
    for code, chain, budget, actual, reason in [
            ("2010301", "1.一般公共服务支出（类）", "120.50万元", "110.25万元", "主要原因是：人员变动"),
            ("2010308", "2.一般公共服务支出（类）", "30.00万元", "36.00万元", "主要原因是：增加信访专项经费"),
            ("2210201", "3.住房保障支出（类）", "15.62万元", "15.62万元", "")]:
        start = after = text.index(chain) + 2
        for basis, amount in (("budget", budget), ("actual", actual)):
            end = after = text.index(amount, after) + len(amount)
            rows.append({**fig("functional_expenditure", float(amount[:-2]) * 10000, text[start:end], start, code=code,
                               basis=basis), "stated_reason": reason})  # (both quotes start at the chain)
    return rows


def test_item_wording_is_checked_against_the_items_budget_and_actual():
    text = ITEMS.format(op1="大于", op2="小于", op3="小于")  # all three contradict the item's own amounts
    flags = _flags_of(text, _item_figures(text), "final_account")
    got = [(f["check"], f["status"], f["code"], f["reported"], f["expected"]) for f in flags]
    assert got == [("wording", "mismatch", "2010301", "决算数大于预算数", "决算数小于预算数"),
                   ("wording", "mismatch", "2010308", "决算数小于预算数", "决算数大于预算数"),
                   ("wording", "rounding", "2210201", "决算数小于预算数", "决算数等于预算数")]
    assert "行政运行 (2010301)" in flags[0]["message"] and "“决算数大于预算数”" in flags[0]["message"]
    assert "年初预算为120.50万元" in flags[0]["quotes"] and "支出决算为110.25万元" in flags[0]["quotes"]
    # The consistent wording raises nothing.
    text = ITEMS.format(op1="小于", op2="大于", op3="等于")
    assert _flags_of(text, _item_figures(text), "final_account") == []


# --- grand totals (收入总计 / 支出总计, with the carry-overs) ---------------------------------------------------------

def _grand(text, quote, value, scale="万元", decimals=2):
    """As the narrative extractor emits "收、支总计均为X": one amount naming both sides, two rows."""
    return [fig(m, value, quote, text.index(quote), scale=scale, decimals=decimals)
            for m in ("income_grand_total", "expenditure_grand_total")]


def test_a_grand_total_is_checked_against_the_change_stated_with_it():
    # (米易县 2023 writes "…均为295.02万元。与2022年度相比，收、支总计各增加…": the statement is then tied by the term
    # 收、支总计, which measures.yml names as a reading of both grand totals.)
    from countyfiscal.audit.statements import statement_records

    text = "2023年度收、支总计均为320.02万元，比上年增加15.62万元，增长5.1%。"
    figs = _grand(text, "收、支总计均为320.02万元", 3200200.0)
    assert {r["measure"] for r in statement_records(text, figs)} == {"expenditure_grand_total"}
    assert _flags_of(text, figs, "final_account") == []
    # 收入支出总计 changed to 0 in the text: the change stated with it no longer fits.
    text = "2023年度收、支总计均为0万元，比上年增加15.62万元，增长5.1%。"
    flags = _flags_of(text, _grand(text, "收、支总计均为0万元", 0.0, decimals=0), "final_account")
    assert [(f["check"], f["status"]) for f in flags] == [("year_on_year", "mismatch")]
    assert "“收、支总计均为0万元”" in flags[0]["message"] and "“增长5.1%”" in flags[0]["message"]


def test_income_and_expenditure_grand_totals_balance():
    text = "收入总计320.02万元。支出总计300.02万元。"
    figs = [fig("income_grand_total", 3200200.0, "收入总计320.02万元", 0),
            fig("expenditure_grand_total", 3000200.0, "支出总计300.02万元", text.index("支出总计"))]
    [flag] = checks.check_sums(pd.DataFrame(figs), "a.txt")
    assert (flag["check"], flag["status"], flag["reported"], flag["expected"]) == (
        "sum_of_parts", "mismatch", "300.02万元", "320.02万元")
    figs[1]["value"] = 3200200.0
    assert checks.check_sums(pd.DataFrame(figs), "a.txt") == []


# --- a narrative figure its standard table leaves blank ------------------------------------------------------------

SANGONG = ("（七）一般公共预算“三公”经费预算情况说明\n2026 年“三公”经费预算数为 24.02 万元，其中因公出国（境）费用 18.00 万元，"
           "公务接待费 6.02 万元。\n"
           "表7：2026年市级部门一般公共预算“三公”经费预算表\n部门名称：杭州市气象局 单位：万元\n"
           "单位名称 “三公”经费合计 因公出国(境)费用 公务接待费\n** 1 2 3\n{cells}\n"
           "表8：2026年市级部门政府性基金预算支出预算表\n合计 1.00\n")


def _sangong_figs(text):
    return [fig(m, v, q, text.index(q), year=2026, basis="budget") for m, v, q in [
        ("sangong_total", 240200.0, "“三公”经费预算数为 24.02 万元"), ("sangong_overseas", 180000.0, "因公出国（境）费用 18.00 万元"),
        ("sangong_reception", 60200.0, "公务接待费 6.02 万元")]]


def test_a_narrative_figure_its_table_leaves_blank_is_flagged():
    doc = {"file": "a.pdf", "doc_kind": "budget", "fiscal_year": 2026}
    text = SANGONG.format(cells="合计 24.02 18.00 6.02\n杭州市气象局 24.02 18.00 6.02")
    assert checks.check_table_cells(text, _sangong_figs(text), doc) == []
    # The budget cells of the 三公 table blanked while the text states the budget.
    text = SANGONG.format(cells="合计 24.02 18.00\n杭州市气象局 24.02 18.00")
    [flag] = checks.check_table_cells(text, _sangong_figs(text), doc)
    assert (flag["check"], flag["status"], flag["measure"], flag["reported"]) == (
        "table_vs_text", "mismatch", "sangong_reception", "6.02万元")
    assert "“公务接待费 6.02 万元”" in flag["message"] and "blank" in flag["message"]
    assert flag["quotes"] == "公务接待费 6.02 万元|表7：2026年市级部门一般公共预算“三公”经费预算表"
    text = SANGONG.format(cells="合计\n杭州市气象局")
    assert {f["measure"] for f in checks.check_table_cells(text, _sangong_figs(text), doc)} == {
        "sangong_total", "sangong_overseas", "sangong_reception"}
    text = SANGONG.format(cells="合计\n注：本部门无“三公”经费支出，故本表无数据。")
    assert "states is empty" in checks.check_table_cells(text, _sangong_figs(text), doc)[0]["message"]
    # A table in 元, or one whose text layer glues its cells, prints the amounts all the same.
    for cells in ("合计 240,200.00 180,000.00 60,200.00", "合计 24.0218.006.02"):
        text = SANGONG.format(cells=cells)
        assert checks.check_table_cells(text, _sangong_figs(text), doc) == []


def test_the_narratives_general_budget_part_is_not_added_to_the_departments_total():
    # 苏州市自然资源和规划局 2026: 基本支出 12,947.96 万元 (all funds) and, for 财政拨款 only, 人员经费 11,577.73 + 公用经费
    # 1,311.44 = 12,889.17 万元: two scopes, no contradiction.
    figs = pd.DataFrame([fig("basic_expenditure", 129479600.0, "基本支出 12,947.96 万元", 0, year=2026, basis="budget"),
                         {**fig("personnel_expenditure", 115777300.0, "人员经费 11,577.73 万元", 40, year=2026,
                                basis="budget"), "scope": "appropriation"},
                         {**fig("public_expenditure", 13114400.0, "公用经费 1,311.44 万元", 80, year=2026, basis="budget"),
                          "scope": "appropriation"}])
    assert checks.check_sums(figs, "a.pdf") == []
    assert [f["status"] for f in checks.check_sums(figs.assign(scope="total"), "a.pdf")] == ["mismatch"]
