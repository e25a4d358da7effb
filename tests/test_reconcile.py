"""One value per key: readings of one figure that disagree are settled by what the document itself states, and flagged."""

from __future__ import annotations

from countyfiscal.audit.reconcile import one_value_per_key


def row(text, quote, measure, value, *, code="", year=2026, basis="budget", scale="万元", decimals=2, source="text",
        table="", page=None, scope="total", **kw):
    start = text.index(quote)
    return {"measure": measure, "fiscal_year": year, "basis": basis, "code": code, "scope": scope, "value": value,
            "unit": "yuan", "method": "stated", "quote": quote, "start": start, "end": start + len(quote), "page": page,
            "source": source, "table": table, "scale": scale, "decimals": decimals, **kw}


def values(rows, measure, code=""):
    return sorted(r["value"] for r in rows if r["measure"] == measure and r["code"] == code)


def test_agreeing_readings_all_stay_and_raise_nothing():
    text = "支出合计295.02万元。……本年支出合计 2,950,200.00 元"
    rows = [row(text, "支出合计295.02万元", "expenditure_total", 2950200.0),
            row(text, "本年支出合计 2,950,200.00 元", "expenditure_total", 2950200.0, scale="元", source="table", table="t")]
    out, flags = one_value_per_key(rows, text)
    assert out == rows and flags == []


def test_the_reading_the_classes_support_is_kept_and_both_are_named():
    # 米易县 2023 决算: 卫生健康支出 18.05 万元 in the class list, 15.62 万元 (住房保障's amount) in the item list.
    text = ("本年支出合计295.02万元。一般公共服务支出227.55万元；公共安全支出1.99万元；社会保障和就业支出31.82万元；"
            "卫生健康支出18.05万元；住房保障支出15.62万元。4.卫生健康210（类）：支出决算为15.62万元。")
    rows = [row(text, "本年支出合计295.02万元", "expenditure_total", 2950200.0, year=2023, basis="actual")] + [
        row(text, q, "functional_expenditure", v, code=c, year=2023, basis="actual", page=p) for c, v, q, p in [
            ("201", 2275500.0, "一般公共服务支出227.55万元", 3), ("204", 19900.0, "公共安全支出1.99万元", 3),
            ("208", 318200.0, "社会保障和就业支出31.82万元", 3), ("210", 180500.0, "卫生健康支出18.05万元", 3),
            ("221", 156200.0, "住房保障支出15.62万元", 3), ("210", 156200.0, "卫生健康210（类）：支出决算为15.62万元", 4)]]
    out, [flag] = one_value_per_key(rows, text, "final_account", "mi.txt")
    assert values(out, "functional_expenditure", "210") == [180500.0]
    assert len(out) == len(rows) - 1
    assert (flag["check"], flag["status"], flag["origin"], flag["code"]) == ("restatement", "mismatch", "reading", "210")
    assert (flag["reported"], flag["expected"]) == ("15.62万元", "18.05万元")
    assert flag["quotes"] == "卫生健康支出18.05万元|卫生健康210（类）：支出决算为15.62万元" and flag["pages"] == "3|4"
    assert "“卫生健康支出18.05万元” (p. 3)" in flag["message"] and "classes add up" in flag["message"]


def test_a_this_year_total_beside_a_total_with_the_carry_over_is_another_quantity():
    # 重庆市气象局 2026 预算: the narrative's 一般公共预算财政拨款收入 includes the 上年结转 (100.00 of it 一般公共预算);
    # the 财政拨款收支总表's 本年收入 does not. 财政拨款收入 is the year's own (as tests/data/dev_labels.csv reads it);
    # nothing is flagged.
    text = ("一般公共预算财政拨款收入12,672.73万元。\n一、本年收入 12,572.73 一、本年支出 13,252.62\n"
            "二、上年结转 679.89 二、结转下年\n(一)一般公共预算拨款 100.00\n(二)政府性基金预算拨款 579.89\n")
    rows = [row(text, "一般公共预算财政拨款收入12,672.73万元", "fiscal_appropriation_income", 126727300.0, page=2),
            row(text, "一、本年收入 12,572.73", "fiscal_appropriation_income", 125727300.0, source="table",
                table="2026年财政拨款收支总体情况表", page=11)]
    out, flags = one_value_per_key(rows, text, "budget")
    assert values(out, "fiscal_appropriation_income") == [125727300.0] and flags == []
    # A budget's income_total is the grand total (the contract); a final account's the year's own.
    totals = [dict(r, measure="income_total") for r in rows]
    out, flags = one_value_per_key(totals, text, "budget")
    assert values(out, "income_total") == [126727300.0] and flags == []
    out, flags = one_value_per_key(totals, text, "final_account")
    assert values(out, "income_total") == [125727300.0] and values(out, "income_grand_total") == [126727300.0]


def test_a_grand_total_read_as_the_years_total_is_re_keyed():
    # A 决算 narrative: "收入总计 320.02 万元" (with 年初结转和结余 25.00) read as income_total beside the table's
    # 本年收入合计 295.02: the year's own stays income_total, the other becomes income_grand_total.
    text = "收入总计320.02万元，其中年初结转和结余25.00万元。\n本年收入合计 295.02\n"
    rows = [row(text, "收入总计320.02万元", "income_total", 3200200.0, year=2023, basis="actual"),
            row(text, "本年收入合计 295.02", "income_total", 2950200.0, year=2023, basis="actual", source="table", table="t")]
    out, flags = one_value_per_key(rows, text, "final_account")
    assert flags == [] and values(out, "income_total") == [2950200.0] and values(out, "income_grand_total") == [3200200.0]


def test_last_years_figure_read_as_this_years_is_dropped():
    # 重庆市人民政府办公厅 2026: the "三公" table's 2025 column read as 2026; the narrative states the change between them.
    text = "2026年“三公”经费预算394.49万元，较2025年减少2.48万元。\n表八\n396.97 184.49 202.48"
    rows = [row(text, "“三公”经费预算394.49万元", "sangong_total", 3944900.0),
            row(text, "396.97", "sangong_total", 3969700.0, source="table", table="2026年财政拨款“三公”经费支出情况表")]
    out, flags = one_value_per_key(rows, text, "budget")
    assert values(out, "sangong_total") == [3944900.0] and flags == []


def test_a_stated_change_and_percentage_settle_a_total_changed_to_zero():
    # The planted "收入支出总计 changed to 0": the change stated with it fits the table's 1,234.50, not 0.
    text = ("收入支出总计0万元，与上年相比减少65.50万元，下降5.04%。\n收入总计 1,234.50 支出总计 1,234.50\n")
    rows = [row(text, "收入支出总计0万元", "income_grand_total", 0.0, decimals=0, year=2023, basis="actual"),
            row(text, "收入总计 1,234.50", "income_grand_total", 12345000.0, year=2023, basis="actual",
                source="table", table="收入支出决算总表", page=12)]
    out, [flag] = one_value_per_key(rows, text, "final_account")
    assert values(out, "income_grand_total") == [12345000.0]
    assert (flag["check"], flag["status"], flag["reported"]) == ("table_vs_text", "mismatch", "0万元")
    assert "change and percentage stated with it fit" in flag["message"]


def test_nothing_to_settle_a_narrative_against_a_table_keeps_the_narrative_and_flags():
    text = "公务接待费10.00万元。\n公务接待费 12.00"
    rows = [row(text, "公务接待费10.00万元", "sangong_reception", 100000.0),
            row(text, "公务接待费 12.00", "sangong_reception", 120000.0, source="table", table="“三公”经费表")]
    out, [flag] = one_value_per_key(rows, text, "budget")
    assert values(out, "sangong_reception") == [100000.0]
    assert (flag["check"], flag["status"]) == ("table_vs_text", "mismatch") and "narrative's reading" in flag["message"]


def test_two_narrative_readings_with_nothing_to_choose_between_are_both_left_out():
    text = "公务接待费10.00万元。另，公务接待费12.00万元。"
    rows = [row(text, "公务接待费10.00万元", "sangong_reception", 100000.0),
            row(text, "公务接待费12.00万元", "sangong_reception", 120000.0)]
    out, [flag] = one_value_per_key(rows, text, "budget")
    assert values(out, "sangong_reception") == [] and "keeps neither" in flag["message"]


def test_the_majority_of_statements_wins_and_one_table_read_two_ways_is_a_reading_problem():
    # 某市 2026: the text says 190.62, three tables 190.63.
    text = "一般公共服务支出190.62万元。\nA 一般公共服务支出 190.63\nB 一般公共服务支出 190.63\nC 一般公共服务支出 190.63"
    starts = [i for i in range(len(text)) if text.startswith("一般公共服务支出 190.63", i)]
    rows = [row(text, "一般公共服务支出190.62万元", "functional_expenditure", 1906200.0, code="201")] + [
        dict(row(text, "一般公共服务支出 190.63", "functional_expenditure", 1906300.0, code="201", source="table",
                 table=t), start=s, end=s + 17) for t, s in zip("ABC", starts)]
    out, [flag] = one_value_per_key(rows, text, "budget")
    assert values(out, "functional_expenditure", "201") == [1906300.0] * 3
    assert "stated 3 times against 1" in flag["message"]
    # Two amounts from the same table and page: the reader could not settle its layout (not the document's fault).
    text = "合计 445.41 69.17"
    rows = [row(text, "445.41", "economic_expenditure", 4454100.0, code="302", source="table", table="基本支出表", page=21),
            row(text, "69.17", "economic_expenditure", 691700.0, code="302", source="table", table="基本支出表", page=21)]
    out, [flag] = one_value_per_key(rows, text, "budget")
    assert values(out, "economic_expenditure", "302") == []
    assert (flag["check"], flag["status"]) == ("table_reading", "insufficient_data")


def test_a_table_of_uncertain_identity_gives_way():
    text = "收入合计515.30万元。\n本年收入合计 478.29"
    rows = [row(text, "收入合计515.30万元", "income_total", 5153000.0, table_kind=""),
            row(text, "本年收入合计 478.29", "income_total", 4782900.0, source="table", table="收入表", table_kind="")]
    out, [flag] = one_value_per_key(rows, text, "budget")
    assert values(out, "income_total") == [5153000.0] and "identity the reader is unsure of" in flag["message"]
    assert (flag["check"], flag["status"]) == ("table_reading", "insufficient_data")


def test_different_scopes_are_different_keys():
    text = "基本支出255.51万元。一般公共预算基本支出200.00万元。"
    rows = [row(text, "基本支出255.51万元", "basic_expenditure", 2555100.0),
            row(text, "一般公共预算基本支出200.00万元", "basic_expenditure", 2000000.0, scope="appropriation")]
    assert one_value_per_key(rows, text) == (rows, [])


def test_items_listed_after_a_sentence_ending_in_qizhong_take_its_scope():
    # 苏州市自然资源和规划局 2026: "财政拨款基本支出预算 12,889.17 万元，其中：\n（一）人员经费 11,577.73 万元。" —
    # the 人员经费 is the 财政拨款 part, not the department's (its all-funds 基本支出 is 12,947.96 万元).
    from countyfiscal.extract import _Headings, _scope

    text = "六、财政拨款基本支出预算情况说明\n2026 年度财政拨款基本支出预算 12,889.17 万元，其中：\n（一）人员经费 11,577.73 万元。"
    r = row(text, "人员经费 11,577.73 万元", "personnel_expenditure", 115777300.0)
    assert _scope(text, r, _Headings(text)) == "appropriation"
    text += "主要包括：基本工资。\n（二）公用经费 1,311.44 万元。"  # (the next item of the same list)
    r = row(text, "公用经费 1,311.44 万元", "public_expenditure", 13114400.0)
    assert _scope(text, r, _Headings(text)) == "appropriation"
    text = "2026 年度基本支出预算 12,889.17 万元，其中：\n（一）人员经费 11,577.73 万元。"
    r = row(text, "人员经费 11,577.73 万元", "personnel_expenditure", 115777300.0)
    assert _scope(text, r, _Headings(text)) == "total"
