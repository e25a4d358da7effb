"""Tests for countyfiscal.text.sections: heading hierarchy, section kinds and each seed's work summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from countyfiscal.fields import columns
from countyfiscal.text.sections import (
    NO_WORK_SUMMARY,
    find_headings,
    section_tree,
    sections_frame,
    work_summary_spans,
)

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"

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
