"""Tests for countyfiscal.text.sections: heading hierarchy, section kinds and each seed's work summary."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from countyfiscal.fields import columns
from countyfiscal.text.sections import (
    NO_WORK_SUMMARY,
    find_headings,
    scope_sections,
    scope_spans,
    section_rows,
    section_tree,
    sections_frame,
    sections_table,
)

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"


def work_summary_spans(sections):
    """The outermost sections of kind work_summary alone (the work_summary scope also takes performance sections)."""
    return [(sections[i].start, sections[i].end) for i in scope_sections(sections, "work_summary")
            if sections[i].kind == "work_summary"]

# A small disclosure in the usual shape: parts, 一、, （一）, 1., （1）, 一是 and an unnumbered glossary title.
DOC = """第一部分 部门概况
一、部门主要职责及机构设置
（一）主要职责
1.负责全县信访工作。
2.完成县委交办的其他工作任务。
（二）机构设置
本局设办公室。
二、2023年度重点工作完成情况
一是强化源头治理，提升化解能力。坚持“枫桥经验”。
二是化解信访积案。全年化解积案12件。
（三）预算执行情况
第二部分 收支情况
一、收入预算总表
一、一般公共预算拨款收入 1800.00 二、外交支出
（1）基本支出100万元。
名词解释
1.基本支出：指保障机构正常运转的支出。
"""


def test_headings_found_with_styles_and_titles():
    heads = find_headings(DOC)
    assert [(h.style, h.text) for h in heads] == [
        ("part", "第一部分 部门概况"),
        ("cn", "一、部门主要职责及机构设置"),
        ("cn_paren", "（一）主要职责"),
        ("num", "1.负责全县信访工作"),
        ("num", "2.完成县委交办的其他工作任务"),
        ("cn_paren", "（二）机构设置"),
        ("cn", "二、2023年度重点工作完成情况"),
        ("item", "一是强化源头治理"),
        ("item", "二是化解信访积案"),
        ("cn_paren", "（三）预算执行情况"),
        ("part", "第二部分 收支情况"),
        ("cn", "一、收入预算总表"),
        # the flattened table row "一、一般公共预算拨款收入 1800.00 二、外交支出" is no heading
        ("num_paren", "（1）基本支出100万元"),
        ("bare", "名词解释"),
        ("num", "1.基本支出"),
    ]


def test_sections_have_paths_offsets_and_kinds():
    secs = section_tree(DOC)
    by = {s.heading.text: s for s in secs}
    assert by["（一）主要职责"].path == ("第一部分 部门概况", "一、部门主要职责及机构设置", "（一）主要职责")
    assert by["（一）主要职责"].kind == "duties"
    # a duty that mentions 工作任务 stays a duty (list item under duties)
    assert by["2.完成县委交办的其他工作任务"].kind == "duties"
    assert by["（二）机构设置"].kind == "overview"
    ws = by["二、2023年度重点工作完成情况"]
    assert (ws.kind, ws.kind_from, ws.depth) == ("work_summary", "heading", 2)
    # a section runs to the next heading of the same or higher rank (here 第二部分), trailing spaces excluded
    assert DOC[ws.start:ws.end] == DOC[DOC.index("二、2023"):DOC.index("\n第二部分")]
    assert by["一是强化源头治理"].kind == "work_summary"
    # （三） ranks below 二、, so it is part of the work summary whatever its words say
    assert by["（三）预算执行情况"].path[-2] == "二、2023年度重点工作完成情况"
    assert (by["（三）预算执行情况"].kind, by["（三）预算执行情况"].kind_from) == ("work_summary", "parent")
    assert by["一、收入预算总表"].kind == "finance"
    assert by["名词解释"].kind == "glossary" and by["1.基本支出"].kind == "glossary"


def test_work_summary_spans_are_outermost_sections():
    spans = work_summary_spans(section_tree(DOC))
    assert [DOC[a:b].split("\n")[0] for a, b in spans] == ["二、2023年度重点工作完成情况"]


def test_sibling_after_a_work_summary_follows_it_and_toc_entries_are_skipped():
    text = ("目录\n一、部门概况……1\n一、部门概况\n（一）重点工作概述\n1.强化责任。\n"
            "（二）加强业务能力提升，培训深入开展\n全年培训3次。\n（三）预算收支总额\n收入100元。\n")
    secs = section_tree(text)
    assert [(s.heading.text, s.kind, s.kind_from) for s in secs if s.depth == 2] == [
        ("（一）重点工作概述", "work_summary", "heading"),
        ("（二）加强业务能力提升", "work_summary", "previous_sibling"),
        ("（三）预算收支总额", "finance", "heading"),
    ]
    assert sum(1 for s in secs if s.heading.text == "一、部门概况") == 1


def test_part_title_on_the_next_line_and_heading_only_entries():
    text = "第一部分\n部门概况\n三、部门主要工作任务\n第二部分\n三、部门主要工作任务\n2026年，我局将做好三件事。\n"
    secs = section_tree(text)
    assert [s.heading.text for s in secs if s.heading.style == "part"] == ["第一部分 部门概况", "第二部分"]
    # the first 三、 is a contents entry with no body: not work-summary text
    spans = work_summary_spans(secs)
    assert len(spans) == 1 and text[spans[0][0]:spans[0][1]].endswith("做好三件事。")


def test_frame_marks_a_document_without_work_summary():
    frame = sections_frame({"a.txt": DOC, "b.txt": "一、部门职责\n1.负责信访。\n"})
    assert list(frame.columns) == columns("sections")
    b = frame[frame["file"] == "b.txt"]
    assert list(b["kind"]) == ["duties", "duties", NO_WORK_SUMMARY]
    assert b["start"].isna().tolist() == [False, False, True]
    assert NO_WORK_SUMMARY not in set(frame.loc[frame["file"] == "a.txt", "kind"])


def _seed_text(name: str) -> str:
    from countyfiscal.ingest import read_document

    return read_document(RAW / name).text


# Work-summary sections a reader would name in each seed; 米易县 and 曾都区 describe duties, money and
# performance targets but give no work summary.
SEED_WORK_SUMMARY = {
    "000_d2df3ef129941176.txt": ["（二）2023年度重点工作任务概述"],  # 红塔区
    "001_397323f2860f1b51.txt": ["二、2023年度部门工作任务"],  # 紫阳县
    "002_94b8458f609bc2e0.txt": ["(二)重点工作概述", "(二)信访工作目标完成情况", "(三)加强业务能力提升"],  # 盘龙区
    "003_0f5fdd14f3227a61.txt": [],  # 米易县
    "004_70dee09d8603147c.txt": [],  # 曾都区
}


@pytest.mark.parametrize("name", sorted(SEED_WORK_SUMMARY))
def test_seed_work_summary_sections(name):
    text = _seed_text(name)
    secs = section_tree(text)
    spans = work_summary_spans(secs)
    heads = [s.heading.text for s in secs if (s.start, s.end) in spans]
    assert [h.replace("（", "(").replace("）", ")") for h in heads] == [
        h.replace("（", "(").replace("）", ")") for h in SEED_WORK_SUMMARY[name]
    ]


def test_seed_work_summary_text_ends_before_next_section():
    text = _seed_text("000_d2df3ef129941176.txt")
    (a, b), = work_summary_spans(section_tree(text))
    body = text[a:b]
    assert body.startswith("（二）2023年度重点工作任务概述")
    assert "八是认真做好其他工作" in body and "部门基本情况" not in body


def test_seed_kinds_of_named_sections():
    secs = section_tree(_seed_text("004_70dee09d8603147c.txt"))
    kinds = {s.heading.text: s.kind for s in secs}
    assert kinds["一、部门主要职责"] == "duties"
    assert kinds["第四部分 预算绩效情况"] == "performance"
    assert kinds["第五部分 名词解释"] == "glossary"
    assert kinds["二、2023年“三公”经费预算情况说明"] == "finance"


# --- text-mining scopes -------------------------------------------------------------------------------------------

def test_scopes_take_outermost_work_performance_and_duties_sections():
    text = ("一、主要职责\n1.负责信访。\n二、重点工作\n（一）化解积案。\n（二）绩效目标\n办结率100%。\n"
            "三、预算绩效目标说明：全年实行绩效目标管理的项目2个。\n四、三公经费\n无。\n五、名词解释\n1.基本支出：运转。\n")
    secs = section_tree(text)
    assert [text[a:b].split("\n")[0] for a, b in scope_spans(secs, "work_summary")] == [
        "二、重点工作",
        # its body is on the heading's line: a section, not a contents entry
        "三、预算绩效目标说明：全年实行绩效目标管理的项目2个。",
    ]
    assert [text[a:b] for a, b in scope_spans(secs, "duties")] == ["一、主要职责\n1.负责信访。"]
    rows = {r[5]: r[-1] for r in section_rows("a.txt", secs)}
    assert rows["二、重点工作"] == "work_summary" and rows["（二）绩效目标"] == ""  # inside 二、: covered by it
    assert rows["一、主要职责"] == "duties" and rows["四、三公经费"] == "" and rows["五、名词解释"] == ""


def test_section_rows_are_the_frame_of_one_document():
    frame = sections_frame({"a.txt": DOC})
    assert frame.equals(sections_table(section_rows("a.txt", section_tree(DOC))))
    assert set(frame["scope"]) == {"", "work_summary", "duties"}


# Text-mining scope of each seed: every one now has one (米易县 and 曾都区 through their performance sections).
SEED_SCOPES = {
    "000_d2df3ef129941176.txt": ["（二）2023年度重点工作任务概述", "四、部门绩效自评情况"],
    "001_397323f2860f1b51.txt": ["二、2023年度部门工作任务", "九、部门预算绩效目标说明"],
    "002_94b8458f609bc2e0.txt": ["(二)重点工作概述", "(二)信访工作目标完成情况", "(三)加强业务能力提升", "二、评价结论及绩效分析",
                                 "3.严格预算工作绩效时点"],  # an improvement item under 三、经验、问题和建议
    "003_0f5fdd14f3227a61.txt": ["（四）预算绩效管理情况", "附件1 部门预算绩效评价报告", "附件2 专项预算项目绩效评价报告",
                                 "附件2 专项预算项目绩效评价报告"],
    "004_70dee09d8603147c.txt": ["第四部分 预算绩效情况"],
}


@pytest.mark.parametrize("name", sorted(SEED_SCOPES))
def test_seed_work_summary_scope(name):
    secs = section_tree(_seed_text(name))
    heads = [secs[i].heading.text.replace("（", "(").replace("）", ")") for i in scope_sections(secs, "work_summary")]
    assert heads == [h.replace("（", "(").replace("）", ")") for h in SEED_SCOPES[name]]
    assert len(scope_sections(secs, "duties")) >= 1


def _shared(folder: str) -> Path:
    """A corpus beside the repository (../shared); CI has it, so there its absence fails instead of skipping."""
    path = Path(__file__).resolve().parents[2] / "shared" / folder
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"../shared/{folder} is absent (CI must put ../shared beside the clone)")
        pytest.skip(f"../shared/{folder} is absent")
    return path


# The work-summary scope of each dev-corpus budget (its first section), as a reader finds it: 福州/泉州/苏州 print a
# work-plan section, 重庆 a 当年整体绩效目标 table, 杭州/湖州 a 绩效 note and project performance targets. 重庆市委宣传部
# prints neither: it has only duties.
DEV_SCOPES = {
    "cq_qixiang_2026_budget.pdf": "(三)绩效目标设置情况",
    "cq_shangwu_2026_budget.pdf": "(三)绩效目标设置情况",
    "cq_shuili_2026_budget.pdf": "当年整体绩效目标",
    "cq_xuanchuan_2026_budget.pdf": None,
    "fz_shangwu_2026_budget.pdf": "三、部门主要工作任务",
    "fz_yibao_2026_budget.pdf": "三、部门主要工作任务",
    "huz_caizheng_2026_budget.pdf": "4.预算绩效情况说明",
    "hz_sifa_2026_budget.pdf": "4.预算绩效情况说明",
    "qz_zfbgs_2026_budget.pdf": "三、部门主要工作任务",
    "sz_shenji_2026_budget.pdf": "三、2026 年度部门主要工作任务及目标",
    "sz_shuiwu_2026_budget.pdf": "三、2026 年度单位主要工作任务及目标",
}


def test_dev_corpus_work_summary_scopes():
    from countyfiscal.ingest import read_document

    dev = _shared("dev-corpus")
    for name, first in DEV_SCOPES.items():
        secs = section_tree(read_document(dev / name).text)
        found = [secs[i].heading.text for i in scope_sections(secs, "work_summary")]
        assert (found[0] if found else None) == first, name
        # one duties section each: "1.根据部门职责分工，本部门内设机构包括…" (苏州) lists the organisation
        duties = [secs[i].heading.title for i in scope_sections(secs, "duties")]
        assert len(duties) == 1 and duties[0].endswith(("主要职责", "主要职能")), (name, duties)


def test_a_duty_naming_money_or_evaluation_stays_a_duty():
    # 苏州 budgets list duties as （一）…（十）: the words 评价 or 资金 in a duty make it no performance/finance section
    text = ("一、主要职能\n（一）负责拟订科技发展规划。\n（二）负责科技监督评价体系建设和相关科技评估管理。\n"
            "（三）负责拟订固定资产投资计划和资金监督管理。\n（四）2026年重点工作任务概述\n一是建设实验室。\n")
    kinds = {s.heading.text: (s.kind, s.kind_from) for s in section_tree(text)}
    assert kinds["（二）负责科技监督评价体系建设和相关科技评估管理"] == ("duties", "parent")
    assert kinds["（三）负责拟订固定资产投资计划和资金监督管理"] == ("duties", "parent")
    # a work summary printed under the duties heading (红塔区) keeps its kind
    assert kinds["（四）2026年重点工作任务概述"] == ("work_summary", "heading")
