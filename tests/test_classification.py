"""Tests for countyfiscal.classification: tables, name/code lookup, kinds and the names regex."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from countyfiscal import classification as cls

REPO = Path(__file__).resolve().parents[1]
DEV_CORPUS = REPO.parent / "shared" / "dev-corpus"


# --- tables -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", cls.KINDS)
def test_table_is_consistent(kind):
    entries = cls.table(kind)
    for code, e in entries.items():
        assert code.isdigit() and len(code) in (3, 5, 7), code
        assert e.level == {3: "类", 5: "款", 7: "项"}[len(code)], code
        if e.level == "类":
            assert e.parent == ""
        else:
            # parent is the code one level up and is itself in the table
            assert e.parent == code[: len(code) - 2] and e.parent in entries, code
        assert e.label and "," not in e.label


def test_every_functional_class_listed_in_brief():
    expected = {
        "201": "一般公共服务支出", "203": "国防支出", "204": "公共安全支出", "205": "教育支出",
        "206": "科学技术支出", "207": "文化旅游体育与传媒支出", "208": "社会保障和就业支出",
        "210": "卫生健康支出", "211": "节能环保支出", "212": "城乡社区支出", "213": "农林水支出",
        "214": "交通运输支出", "215": "资源勘探工业信息等支出", "216": "商业服务业等支出", "217": "金融支出",
        "219": "援助其他地区支出", "220": "自然资源海洋气象等支出", "221": "住房保障支出",
        "222": "粮油物资储备支出", "224": "灾害防治及应急管理支出", "227": "预备费", "229": "其他支出",
        "230": "转移性支出", "231": "债务还本支出", "232": "债务付息支出", "233": "债务发行费用支出",
        "234": "抗疫特别国债安排的支出",
    }
    for code, name in expected.items():
        assert cls.label(code) == name


@pytest.mark.parametrize(
    "code,kind,name",
    [
        ("2010301", "functional", "行政运行"),
        ("2010308", "functional", "信访事务"),
        ("2010399", "functional", "其他政府办公厅（室）及相关机构事务支出"),
        ("2080505", "functional", "机关事业单位基本养老保险缴费支出"),
        ("2101103", "functional", "公务员医疗补助"),
        ("2210203", "functional", "购房补贴"),
        ("30108", "economic", "机关事业单位基本养老保险缴费"),
        ("30231", "economic", "公务用车运行维护费"),
        ("309", "economic", "资本性支出（基本建设）"),
        ("50101", "economic", "工资奖金津补贴"),
        ("503", "economic", "机关资本性支出（一）"),
    ],
)
def test_label(code, kind, name):
    assert cls.label(code, kind) == name


def test_label_tolerates_printed_code_shapes_and_rejects_unknown():
    assert cls.label("201 03 01") == "行政运行"
    assert cls.label("[201]") == "一般公共服务支出"
    assert cls.label("2010301", "economic") is None
    assert cls.label("2999999") is None


# --- lookup -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "name,expected",
    [
        ("一般公共服务支出", "201"),
        ("一般公共服务（类）", "201"),       # seed 004 prints it this way
        ("一般公共服务(类)", "201"),
        ("一般公共服务（类）支出", "201"),   # seed 000: the mark inside the name
        (" 社会保障和就业 ", "208"),
        ("卫生健康（类）", "210"),
        ("医疗卫生与计划生育支出（类）", "210"),  # renamed in 2019
        ("医疗卫生支出", "210"),
        ("文化体育与传媒支出", "207"),
        ("国土海洋气象等支出", "220"),
        ("住 房 保 障 支 出", "221"),          # letter-spaced PDF text
        ("政府办公厅(室)及相关机构事务", "20103"),
        ("行政事业单位养老支出（款）", "20805"),
        ("机关事业单位基本养老保险缴费", "2080505"),  # printed without 支出 in the dev corpus
        ("机关事业单位职业年金缴费支出（项）", "2080506"),
        ("住房公积金", "2210201"),
        ("信访事务", "2010308"),
        ("抗疫特别国债安排（类）支出", "234"),  # seed 000 drops the 的 of 抗疫特别国债安排的支出
        ("国有土地使用权出让收入安排支出", "21208"),
    ],
)
def test_lookup_functional(name, expected):
    assert cls.lookup(name) == expected


def test_lookup_needs_parent_for_shared_item_names():
    assert cls.lookup("行政运行") is None
    assert cls.lookup("行政运行", level="项") is None
    assert cls.lookup("行政运行", parent="201") is None  # still many 款 under 201
    assert cls.lookup("行政运行", parent="20103") == "2010301"
    assert cls.lookup("行政运行（项）", parent="20402") == "2040201"
    assert cls.lookup("事业运行", parent="20103") == "2010350"
    # renamed 项 printed by name only under their 款 (hz_sifa 2026)
    assert cls.lookup("罪犯生活及医疗卫生", level="项", parent="20407") == "2040704"
    assert cls.lookup("监狱业务及罪犯改造", parent="20407") == "2040705"
    assert cls.lookup("犯人改造", parent="20407") == "2040705"
    # 农业农村 is the exception: its 事业运行 is 04, not 50
    assert cls.lookup("事业运行", parent="21301") == "2130104"


def test_lookup_same_name_at_two_levels_needs_level_or_parent():
    assert cls.lookup("其他社会保障和就业支出") is None
    assert cls.lookup("其他社会保障和就业支出", level="款") == "20899"
    assert cls.lookup("其他社会保障和就业支出", level="项") == "2089999"
    assert cls.lookup("职业教育") is None
    assert cls.lookup("职业教育", parent="205") is None  # 20503 and 2059803 both lie under 205
    assert cls.lookup("职业教育", level="款") == "20503"


def test_lookup_level_filters_and_unknown_names():
    assert cls.lookup("一般公共服务", level="款") is None
    assert cls.lookup("教育（类）") == "205"
    assert cls.lookup("预备费") == "227"
    assert cls.lookup("不存在的科目") is None
    assert cls.lookup("") is None
    assert cls.lookup("支出") is None
    with pytest.raises(ValueError):
        cls.lookup("行政运行", level="目")
    with pytest.raises(ValueError):
        cls.lookup("行政运行", kind="fiscal")


def test_lookup_economic():
    # 50501/50502 (对事业单位经常性补助) repeat the 类 names of the 部门 scheme: level or parent decides
    assert cls.lookup("工资福利支出", "economic") is None
    assert cls.lookup("工资福利支出", "economic", level="类") == "301"
    assert cls.lookup("商品和服务支出", "economic", level="类") == "302"
    assert cls.lookup("商品和服务支出", "economic", parent="505") == "50502"
    assert cls.lookup("办公费", "economic") == "30201"
    assert cls.lookup("公务接待费", "economic") is None  # 30217 and 50206 (政府 scheme) share the name
    assert cls.lookup("公务接待费", "economic", parent="3") == "30217"
    assert cls.lookup("公务接待费", "economic", parent="5") == "50206"
    assert cls.lookup("维修(护)费", "economic", parent="302") == "30213"
    assert cls.lookup("机关工资福利支出", "economic") == "501"
    # 303 and 509 share the name: the scheme digit decides
    assert cls.lookup("对个人和家庭的补助支出", "economic") is None
    assert cls.lookup("对个人和家庭的补助支出", "economic", parent="3") == "303"
    assert cls.lookup("对个人和家庭的补助", "economic", parent="5") == "509"
    assert cls.lookup("对个人和家庭补助支出", "economic", parent="5") == "509"  # seed 001 drops the 的
    assert cls.lookup("其他对企业补助", "economic", parent="312") == "31299"
    # names are looked up in the requested classification only
    assert cls.lookup("行政单位医疗", "economic") is None


# --- kind_of ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "code,kind",
    [
        ("201", "functional"), ("229", "functional"), ("20103", "functional"), ("2210201", "functional"),
        ("2010304", "functional"),   # not in our table, but 201 is a known 类
        ("301", "economic"), ("399", "economic"), ("30217", "economic"), ("501", "economic"),
        ("50299", "economic"), ("3010201", "economic"),
        ("2023", None), ("20000", None), ("341", None), ("100", None), ("", None), ("abc", None),
    ],
)
def test_kind_of(code, kind):
    assert cls.kind_of(code) == kind


# --- names_regex ------------------------------------------------------------------------------------------------

def test_names_regex_finds_printed_class_names():
    rx = cls.names_regex("functional", "类")
    text = "1.一般公共服务（类）257.53 万元；2.社会保障和就业（类）24.53 万元；3.医疗卫生与计划生育支出（类）13.16 万元"
    assert [m.group() for m in rx.finditer(text)] == ["一般公共服务", "社会保障和就业", "医疗卫生与计划生育支出"]


def test_names_regex_prefers_longest_and_needs_mark_for_bare_stems():
    rx = cls.names_regex("functional", "款")
    assert rx.search("其中：其他社会保障和就业支出5万元").group() == "其他社会保障和就业支出"
    rx_class = cls.names_regex("functional", "类")
    # a bare 教育 in prose is not a class name; 教育（类） and 教育支出 are
    assert rx_class.search("加强干部教育培训") is None
    assert rx_class.search("教育（类）12万元").group() == "教育"
    assert rx_class.search("教育支出12万元").group() == "教育支出"
    assert rx_class.search("抗疫特别国债安排（类）支出0万元").group() == "抗疫特别国债安排"
    assert rx_class.search("抗疫特别国债安排支出0万元").group() == "抗疫特别国债安排支出"


def test_names_regex_takes_a_printed_extra_zhichu():
    rx = cls.names_regex("economic", "类")
    m = rx.search("3.对个人和家庭的补助支出 11.47 万元")
    assert m.group() == "对个人和家庭的补助支出"
    assert cls.lookup(m.group(), "economic", parent="3") == "303"


def test_names_regex_matches_either_bracket_width():
    rx = cls.names_regex("functional", "款")
    assert rx.search("政府办公厅(室)及相关机构事务（款）").group() == "政府办公厅(室)及相关机构事务"
    assert rx.search("政府办公厅（室）及相关机构事务").group() == "政府办公厅（室）及相关机构事务"
    assert cls.names_regex("economic", "款").search("维修(护)费 3.2").group() == "维修(护)费"


def test_names_regex_is_cached_and_level_none_covers_all():
    assert cls.names_regex("economic", None) is cls.names_regex("economic", None)
    rx = cls.names_regex("economic", None)
    assert rx.fullmatch("工资福利支出") and rx.fullmatch("办公费") and rx.fullmatch("规范性津补贴")


# --- dev corpus ---------------------------------------------------------------------------------------------------

# Harvested "code name" look-alikes that are not classification rows: quantities and years followed by a unit
# or a department name ("2 207 台（套）", "507 湖州市卫生健康委员会" page stamps). Asserted so the list stays honest.
NOT_CLASSIFICATION = {
    ("20000", "万吨"), ("207", "台（套）"), ("260", "家及以上等"), ("27800", "人及以上"), ("285", "号文件"),
    ("302", "台（套）"), ("306", "万元"), ("31000", "万元"), ("341", "湖州市财政局"), ("360", "天及以上"),
    ("365", "天数"), ("388", "万元"), ("500", "万农村居民"), ("507", "湖州市卫生健康委员会"),
    ("510", "条河流开展水质监测"), ("552", "万元"),
}


def _matches(name: str, entry: cls.Entry) -> bool:
    # PDF rows wrap long names over two lines, so the harvested name may be a prefix of the full one.
    printed = cls.normalize_name(name)
    for known in (entry.label, *entry.aliases):
        norm = cls.normalize_name(known)
        if norm.startswith(printed) or cls._stem(norm) == printed:
            return True
    return False


@pytest.fixture(scope="module")
def dev_corpus_texts():
    if not DEV_CORPUS.is_dir():
        pytest.skip("dev corpus folder ../shared/dev-corpus is absent")
    import sys

    sys.path.insert(0, str(REPO / "scripts"))
    from harvest_classification import pdf_text

    return {path.name: pdf_text(path) for path in sorted(DEV_CORPUS.glob("*_budget.pdf"))}


@pytest.mark.slow
def test_dev_corpus_pairs_are_in_tables(dev_corpus_texts):
    from harvest_classification import harvest

    pairs = set()
    for text in dev_corpus_texts.values():
        pairs |= set(harvest(text))
    assert len(pairs) > 300
    unexplained = []
    for code, name in sorted(pairs - NOT_CLASSIFICATION):
        kind = cls.kind_of(code)
        entry = cls.table(kind).get(code) if kind else None
        if entry is None or not _matches(name, entry):
            unexplained.append((code, name))
    assert unexplained == []
    # every noise entry is really produced by the harvest (else the exception list is stale)
    assert NOT_CLASSIFICATION <= pairs


# "卫生健康支出（类）公共卫生（款）突发公共卫生事件应急处理（项）": the narrative names a 项 by its chain of names.
CHAIN = re.compile(
    r"(?P<cls>[\u4e00-\u9fff]+?)（类）\s*(?P<kuan>[\u4e00-\u9fff（）()、]+?)（款）\s*(?:(?P<xiang>[\u4e00-\u9fff（）()、]+?)（项）)?"
)
# Misspellings in the documents themselves (the same documents' code tables print the right names).
DOCUMENT_TYPOS = {"突发公共卫生事件应急处理", "科技成果转换与扩散", "其他地方自行试点项目收益专项债券收安排的支出"}


@pytest.mark.slow
def test_dev_corpus_name_chains_resolve(dev_corpus_texts):
    resolved, unresolved = 0, []
    for file, text in dev_corpus_texts.items():
        for m in CHAIN.finditer(text.replace("\n", "")):
            # the class name is preceded by list markers or prose: take the longest tail that is a 类 name
            tail = m["cls"]
            cls_code = next((cls.lookup(tail[i:], level="类") for i in range(len(tail))
                             if cls.lookup(tail[i:], level="类")), None)
            kuan = cls.lookup(m["kuan"], level="款", parent=cls_code) if cls_code else None
            xiang = cls.lookup(m["xiang"], level="项", parent=kuan) if kuan and m["xiang"] else None
            if m["xiang"] in DOCUMENT_TYPOS:
                assert xiang is None
                continue
            if cls_code and kuan and (xiang or not m["xiang"]):
                resolved += 1
                if xiang:
                    assert cls.table("functional")[xiang].parent == kuan
            else:
                unresolved.append((file, m.group()))
    assert unresolved == []
    assert resolved > 100
