"""Tests for countyfiscal.metadata.describe(): inline fixtures first, then the seeds and the dev corpus."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from countyfiscal.metadata import compact, describe, quote_in

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
LABELS = ROOT.parent / "shared" / "labels" / "seeds.csv"
DEV = ROOT.parent / "shared" / "dev-corpus"

# Enough table vocabulary to count as a disclosure (four distinct fiscal terms).
FISCAL_BODY = "\n本年收入合计100万元，支出合计100万元，其中基本支出80万元，项目支出20万元。\n"


def _assert_quotes_in_text(d: dict, text: str) -> None:
    for key, quote in d["evidence"].items():
        assert quote and quote in text, (key, quote)


# --- inline fixtures -------------------------------------------------------------------------------------------


def test_budget_title_with_department_before_year():
    text = "附件1\n曾都区信访局 2023 年部门预算\n第一部分 概况" + FISCAL_BODY
    d = describe(text)
    assert (d["doc_kind"], d["fiscal_year"], d["department"]) == ("budget", 2023, "曾都区信访局")
    assert (d["jurisdiction"], d["province"], d["city"], d["county"], d["admin_code"]) == (
        "曾都区", "湖北省", "随州市", "曾都区", "421303")
    assert d["is_disclosure"] is True and d["not_disclosure_reason"] == ""
    assert d["evidence"]["fiscal_year"] == "2023 年部门预算"
    _assert_quotes_in_text(d, text)


def test_letter_spaced_title_and_name_are_read_and_quoted_verbatim():
    text = "米 易 县 信 访 局\n2 0 2 3 年 度 部 门 决 算\n" + FISCAL_BODY
    d = describe(text)
    assert (d["doc_kind"], d["fiscal_year"], d["department"], d["admin_code"]) == (
        "final_account", 2023, "米易县信访局", "510421")
    assert d["evidence"]["department"] == "米 易 县 信 访 局"
    _assert_quotes_in_text(d, text)


def test_self_evaluation_reports_on_the_year_before_publication():
    text = "某某\n凤庆县民政局2022年度部门整体支出绩效自评报告\n\n2023年6月\n" + FISCAL_BODY
    d = describe(text)
    assert (d["doc_kind"], d["fiscal_year"]) == ("performance_evaluation", 2022)
    assert d["department"] == "凤庆县民政局"
    assert d["admin_code"] == "530921"


def test_final_account_title_wins_over_many_budget_words():
    body = "年初预算数与预算执行情况，部门预算批复，预算调整。" * 20
    text = "西湖区财政局2024年度部门决算\n" + body + FISCAL_BODY + "浙江省杭州市"
    d = describe(text)
    assert d["doc_kind"] == "final_account"
    assert d["fiscal_year"] == 2024


def test_title_area_kind_without_year_leaves_year_empty():
    text = "紫阳县信访局部门预算\n" + FISCAL_BODY
    d = describe(text)
    assert d["doc_kind"] == "budget"
    assert d["fiscal_year"] is None
    assert "fiscal_year" not in d["evidence"]


def test_years_outside_2010_2035_are_not_taken():
    d = describe("紫阳县信访局2099年部门预算\n" + FISCAL_BODY)
    assert d["fiscal_year"] is None


def test_full_width_digits_in_title():
    text = "紫阳县信访局２０２３年部门预算" + FISCAL_BODY
    d = describe(text)
    assert d["fiscal_year"] == 2023
    assert d["evidence"]["fiscal_year"] == "２０２３年部门预算"


@pytest.mark.parametrize(
    "place, code, city",
    [("上海市", "310107", "上海市"), ("浙江省舟山市", "330903", "舟山市")],
)
def test_homonymous_district_settled_by_other_places_in_document(place, code, city):
    text = f"普陀区司法局2024年部门预算\n本局是{place}普陀区人民政府的工作部门。" + FISCAL_BODY
    d = describe(text)
    assert d["department"] == "普陀区司法局"
    assert (d["jurisdiction"], d["admin_code"], d["city"]) == ("普陀区", code, city)


def test_homonymous_district_without_context_keeps_jurisdiction_but_no_code():
    d = describe("朝阳区司法局2024年部门预算" + FISCAL_BODY)
    assert d["jurisdiction"] == "朝阳区"
    assert (d["province"], d["city"], d["county"], d["admin_code"]) == ("", "", "", "")
    assert "admin_code" not in d["evidence"]


def test_longest_form_of_department_is_preferred():
    text = ("第一部分 部门概况\n红塔区信访局负责……红塔区信访局承办……\n纳入玉溪市红塔区信访局2023年度部门决算编报的单位"
            + FISCAL_BODY)
    d = describe(text)
    assert d["department"] == "玉溪市红塔区信访局"
    assert (d["jurisdiction"], d["admin_code"]) == ("红塔区", "530402")


def test_name_inside_title_wins_over_more_frequent_parent_body():
    text = ("2026年度\n泉州市人民政府办公室\n部门预算\n"
            + "福建省泉州市人民政府驻北京联络处、福建省泉州市人民政府驻厦门办事处、泉州市人民政府发展研究中心。" * 3
            + FISCAL_BODY)
    assert describe(text)["department"] == "泉州市人民政府办公室"


def test_party_department_keeps_its_prefix_and_municipality_is_the_city():
    d = describe("中共重庆市委宣传部\n2026 年部门预算情况说明\n" + FISCAL_BODY)
    assert d["department"] == "中共重庆市委宣传部"
    assert (d["jurisdiction"], d["province"], d["city"], d["county"], d["admin_code"]) == (
        "重庆市", "重庆市", "重庆市", "", "500000")


def test_city_department_has_no_county():
    d = describe("杭州市司法局\n2026 年度部门预算\n" + FISCAL_BODY)
    assert (d["jurisdiction"], d["province"], d["city"], d["county"], d["admin_code"]) == (
        "杭州市", "浙江省", "杭州市", "", "330100")


def test_province_direct_county():
    d = describe("仙桃市财政局2024年部门预算" + FISCAL_BODY)
    assert (d["province"], d["city"], d["county"], d["admin_code"]) == ("湖北省", "", "仙桃市", "429004")


def test_central_department_is_national():
    d = describe("国家统计局2026年部门预算\n" + FISCAL_BODY)
    assert (d["department"], d["jurisdiction"], d["admin_code"]) == ("国家统计局", "国家", "")


def test_central_body_with_local_branch_belongs_to_the_place():
    d = describe("国家税务总局重庆市税务局2024年部门预算" + FISCAL_BODY)
    assert (d["department"], d["jurisdiction"], d["admin_code"]) == ("国家税务总局重庆市税务局", "重庆市", "500000")


def test_place_missing_from_table_in_title_keeps_name_but_resolves_nothing():
    # 莱芜市 was merged into 济南市 in 2019; the table holds today's units only.
    d = describe("莱芜市财政局2017年部门决算" + FISCAL_BODY)
    assert (d["department"], d["jurisdiction"]) == ("莱芜市财政局", "莱芜市")
    assert (d["province"], d["city"], d["county"], d["admin_code"]) == ("", "", "", "")


def test_unit_missing_below_a_known_prefecture_does_not_get_the_prefecture_code():
    d = describe("和田地区和安县教育局2025年部门预算" + FISCAL_BODY)
    assert (d["department"], d["jurisdiction"], d["admin_code"], d["city"]) == ("和田地区和安县教育局", "和安县", "", "")


def test_references_like_quanxian_are_not_places():
    d = describe("全县财政局2020年度部门决算" + FISCAL_BODY)
    assert d["department"] == "" and d["jurisdiction"] == ""


def test_unknown_place_gives_no_department():
    d = describe("某某局2024年部门预算" + FISCAL_BODY)
    assert d["department"] == "" and d["jurisdiction"] == "" and d["admin_code"] == ""
    assert d["doc_kind"] == "budget"


def test_zone_named_by_a_short_name_belongs_to_that_city_and_a_title_broken_over_lines_is_one_name():
    # The cover of wide-corpus w030 (福州经济技术开发区生态环境局 2026 单位预算), broken over four lines as printed.
    text = "2026 年度\n福州经济技术开发区生态\n环境局\n单位预算\n目录\n第一部分\n单位概况" + FISCAL_BODY
    d = describe(text)
    assert (d["doc_kind"], d["fiscal_year"], d["scope"]) == ("budget", 2026, "unit")
    assert d["department"] == "福州经济技术开发区生态环境局"
    assert (d["jurisdiction"], d["province"], d["city"], d["county"], d["admin_code"]) == (
        "福州市", "福建省", "福州市", "", "350100")
    assert d["evidence"]["department"] == "福州经济技术开发区生态\n环境局"
    _assert_quotes_in_text(d, text)


def test_zone_below_a_named_city_is_not_the_jurisdiction():
    # Before: jurisdiction "高新区" with no code. A zone is not a division: the department belongs to the city.
    d = describe("福州市高新区财政局2026年部门预算" + FISCAL_BODY)
    assert (d["department"], d["jurisdiction"], d["admin_code"]) == ("福州市高新区财政局", "福州市", "350100")
    d = describe("苏州工业园区经济发展委员会2026年部门预算" + FISCAL_BODY)
    assert (d["department"], d["jurisdiction"], d["admin_code"]) == ("苏州工业园区经济发展委员会", "苏州市", "320500")


def test_zone_without_a_division_in_its_name_takes_the_one_the_document_prints_with_it():
    text = "2026年度两江新区财政局部门预算\n重庆两江新区是国家级新区。" + FISCAL_BODY
    d = describe(text)
    assert (d["department"], d["jurisdiction"], d["admin_code"]) == ("两江新区财政局", "重庆市", "500000")
    assert d["evidence"]["jurisdiction"] == "重庆两江新区"
    _assert_quotes_in_text(d, text)
    # Not named with a division anywhere: no jurisdiction rather than the zone (or "年度两江新区").
    d = describe("2026年度两江新区财政局部门预算" + FISCAL_BODY)
    assert (d["department"], d["jurisdiction"], d["admin_code"]) == ("两江新区财政局", "", "")


def test_zone_with_an_ambiguous_short_name_needs_the_document_to_settle_it():
    # 西安 is 西安市 (陕西) and two 西安区 (辽源, 牡丹江).
    assert describe("西安高新区管委会2026年部门预算" + FISCAL_BODY)["admin_code"] == ""
    d = describe("西安高新区管委会2026年部门预算\n陕西省西安市" + FISCAL_BODY)
    assert (d["department"], d["jurisdiction"], d["admin_code"]) == ("西安高新区管委会", "西安市", "610100")


def test_street_office_belongs_to_its_district():
    d = describe("福州市鼓楼区鼓东街道办事处2026年部门预算" + FISCAL_BODY)
    assert (d["department"], d["jurisdiction"], d["county"], d["admin_code"]) == (
        "福州市鼓楼区鼓东街道办事处", "鼓楼区", "鼓楼区", "350102")
    # 鼓楼区 is also in 南京, 开封 and 徐州: the document's other places settle it.
    d = describe("鼓楼区鼓东街道办事处2026年部门预算\n福建省福州市" + FISCAL_BODY)
    assert (d["jurisdiction"], d["admin_code"]) == ("鼓楼区", "350102")


@pytest.mark.parametrize("title, scope", [
    ("2026 年度苏州市水务局单位预算公开", "unit"),  # dev sz_shuiwu
    ("2026 年度苏州市审计局部门预算公开", "department"),  # dev sz_shenji
    ("米易县信访局2023年度部门决算", "department"),
    ("某县财政局2023年度单位决算", "unit"),
    ("盘龙区信访局2022年 部门整体支出绩效自评报告", ""),
    ("重庆市气象局2026年收支预算总表", ""),
])
def test_scope_is_read_from_the_title(title, scope):
    d = describe(title + FISCAL_BODY)
    assert d["scope"] == scope
    assert ("scope" in d["evidence"]) == bool(scope)


def test_title_without_fiscal_tables_is_not_a_disclosure():
    d = describe("国家统计局部门预算（2026）\n首页 搜索 分享到：\n请见附件。")
    assert d["doc_kind"] == "budget" and d["fiscal_year"] == 2026
    assert d["is_disclosure"] is False
    assert d["not_disclosure_reason"] == "not a fiscal disclosure (web page)"
    assert d["evidence"]["is_disclosure"] == "首页"


def test_fiscal_words_without_a_title_are_not_a_disclosure():
    text = "2026年1—2月泉州市国民经济主要指标\n地方一般公共预算收入 亿元 128.48\n一般公共预算支出 亿元 139.50"
    d = describe(text)
    assert d["doc_kind"] == ""
    assert d["is_disclosure"] is False
    assert d["not_disclosure_reason"] == "not a fiscal disclosure (statistics bulletin)"


def test_table_vocabulary_without_a_title_is_a_disclosure_of_unknown_kind():
    text = ("收入合计 支出合计 基本支出 项目支出 “三公”经费 财政拨款 一般公共预算 政府性基金 机关运行经费 "
            "政府采购 人员经费 公用经费")
    d = describe(text)
    assert d["doc_kind"] == "" and d["is_disclosure"] is True


def test_non_disclosure_without_known_genre_still_says_why():
    d = describe("会议纪要\n研究了有关事项。")
    assert d["is_disclosure"] is False
    assert d["not_disclosure_reason"].startswith("not a fiscal disclosure (")


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_empty_text(text):
    d = describe(text)
    assert d["doc_kind"] == "" and d["fiscal_year"] is None and d["department"] == ""
    assert d["is_disclosure"] is False
    assert d["evidence"] == {}


def test_result_has_exactly_the_public_keys():
    assert set(describe("")) == {
        "doc_kind", "fiscal_year", "department", "jurisdiction", "province", "city", "county", "admin_code",
        "scope", "is_disclosure", "not_disclosure_reason", "evidence",
    }


def test_title_and_department_far_into_a_long_document():
    # Past the compacted head (10,000 characters) and the department area (6,000): the whole text is searched.
    filler = "一、主要职能。负责有关工作。\n" * 1000
    text = filler + "纳入米易县信访局2023年度部门决算编报的单位" + FISCAL_BODY
    d = describe(text)
    assert (d["doc_kind"], d["fiscal_year"], d["department"], d["admin_code"]) == (
        "final_account", 2023, "米易县信访局", "510421")
    _assert_quotes_in_text(d, text)


def test_department_named_only_after_the_department_area_is_still_found():
    text = "五、2023年部门预算收支说明\n" + "说明文字。\n" * 2000 + "紫阳县信访局负责来访接待。" + FISCAL_BODY
    d = describe(text)
    assert (d["department"], d["admin_code"]) == ("紫阳县信访局", "610924")


def test_fiscal_terms_far_into_a_long_document_count():
    text = "紫阳县信访局2023年部门预算\n" + "说明文字。\n" * 3000 + FISCAL_BODY
    assert describe(text)["is_disclosure"] is True


def test_compact_and_quote_in():
    assert compact("2 0 2 3 年\n部门预算") == "2023年部门预算"
    assert quote_in("前言\n2 0 2 3 年\n部门预算", "2023年部门预算") == "2 0 2 3 年\n部门预算"
    assert quote_in("abc", "xyz") == ""


# --- seeds -----------------------------------------------------------------------------------------------------

SEEDS = {
    "000_d2df3ef129941176.txt": ("final_account", 2023, "玉溪市红塔区信访局", "红塔区", "云南省", "玉溪市", "530402"),
    "001_397323f2860f1b51.txt": ("budget", 2023, "紫阳县信访局", "紫阳县", "陕西省", "安康市", "610924"),
    "002_94b8458f609bc2e0.txt": ("performance_evaluation", 2022, "盘龙区信访局", "盘龙区", "云南省", "昆明市", "530103"),
    "003_0f5fdd14f3227a61.txt": ("final_account", 2023, "米易县信访局", "米易县", "四川省", "攀枝花市", "510421"),
    "004_70dee09d8603147c.txt": ("budget", 2023, "曾都区信访局", "曾都区", "湖北省", "随州市", "421303"),
}


@pytest.fixture(scope="module")
def seed_results():
    return {name: (describe((RAW / name).read_text(encoding="utf-8"), name),
                   (RAW / name).read_text(encoding="utf-8")) for name in SEEDS}


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_documents(seed_results, name):
    d, text = seed_results[name]
    kind, year, dept, juris, prov, city, code = SEEDS[name]
    assert (d["doc_kind"], d["fiscal_year"], d["department"], d["jurisdiction"]) == (kind, year, dept, juris)
    assert (d["province"], d["city"], d["county"], d["admin_code"]) == (prov, city, juris, code)
    assert d["is_disclosure"] is True
    _assert_quotes_in_text(d, text)


@pytest.mark.skipif(not LABELS.exists(), reason="shared labels not beside the repository")
def test_seed_label_rows(seed_results):
    with LABELS.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["measure"] in ("doc_kind", "jurisdiction", "department")]
    assert len(rows) == 15
    for r in rows:
        d, _ = seed_results[r["file"]]
        assert d[r["measure"]] == r["value"], r
        assert d["fiscal_year"] == int(r["fiscal_year"]), r


# --- dev corpus (real PDFs; read in place) ---------------------------------------------------------------------

DEV_BUDGETS = {
    "cq_qixiang": ("重庆市气象局", "重庆市", "500000"),
    "cq_shangwu": ("重庆市商务委员会", "重庆市", "500000"),
    "cq_shuili": ("重庆市水利局", "重庆市", "500000"),
    "cq_xuanchuan": ("中共重庆市委宣传部", "重庆市", "500000"),
    "fz_shangwu": ("福州市商务局", "福州市", "350100"),
    "fz_yibao": ("福州市医疗保障局", "福州市", "350100"),
    "huz_caizheng": ("湖州市财政局", "湖州市", "330500"),
    "huz_jiaotong": ("湖州市交通运输局", "湖州市", "330500"),
    "huz_weijian": ("湖州市卫生健康委员会", "湖州市", "330500"),
    "hz_gongan": ("杭州市公安局", "杭州市", "330100"),
    "hz_qixiang": ("杭州市气象局", "杭州市", "330100"),
    "hz_sifa": ("杭州市司法局", "杭州市", "330100"),
    "qz_zfbgs": ("泉州市人民政府办公室", "泉州市", "350500"),
    "sz_shenji": ("苏州市审计局", "苏州市", "320500"),
    "sz_shuiwu": ("苏州市水务局", "苏州市", "320500"),
    "sz_shuju": ("苏州市数据局", "苏州市", "320500"),
}
DEV_NEGATIVES = {
    "neg_qz_statistics_bulletin.pdf": "statistics bulletin",
    "neg_wf_rectification_notice.pdf": "inspection rectification notice",
    "neg_hui_gazette.pdf": "government gazette",
    "neg_cq_tongji_page.pdf": "web page",  # an HTML page saved under a .pdf name
}

needs_dev = pytest.mark.skipif(not DEV.is_dir(), reason="dev corpus not beside the repository")


def _dev_text(path: Path) -> str:
    """Text of a dev-corpus file straight from pypdfium2 (or, for the HTML page, BeautifulSoup)."""
    data = path.read_bytes()
    if not data.startswith(b"%PDF"):
        from bs4 import BeautifulSoup

        return BeautifulSoup(data, "lxml").get_text("\n")
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


@needs_dev
def test_dev_corpus_is_complete():
    assert {p.stem.removesuffix("_2026_budget") for p in DEV.glob("*_2026_budget.pdf")} == set(DEV_BUDGETS)
    assert {p.name for p in DEV.glob("neg_*")} == set(DEV_NEGATIVES)


@needs_dev
@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(DEV_BUDGETS))
def test_dev_budgets(key):
    text = _dev_text(DEV / f"{key}_2026_budget.pdf")
    d = describe(text, f"{key}_2026_budget.pdf")
    dept, city, code = DEV_BUDGETS[key]
    assert (d["doc_kind"], d["fiscal_year"], d["department"]) == ("budget", 2026, dept)
    assert (d["jurisdiction"], d["city"], d["county"], d["admin_code"]) == (city, city, "", code)
    assert d["is_disclosure"] is True
    _assert_quotes_in_text(d, text)


@needs_dev
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(DEV_NEGATIVES))
def test_dev_negatives_are_not_disclosures(name):
    d = describe(_dev_text(DEV / name), name)
    assert d["is_disclosure"] is False
    assert d["not_disclosure_reason"] == f"not a fiscal disclosure ({DEV_NEGATIVES[name]})"
