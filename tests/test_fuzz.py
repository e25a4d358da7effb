"""Fuzzing the extractor with random edits of real disclosure text: it never raises and every quote is at its offsets.

Edits are what broken downloads and careless copy-paste do to a disclosure: spans deleted, duplicated or swapped,
numbers, units and headings inserted where they do not belong.
"""

from __future__ import annotations

import math
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from countyfiscal.extract import extract_all
from countyfiscal.ingest import normalise
from countyfiscal.model import Document
from countyfiscal.pipeline import process_file

ROOT = Path(__file__).resolve().parents[1]
SEED_TEXTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "raw").glob("*.txt"))]

NUMBERS = ["12,345.67", "0.5", "0", "-3.2", "１２３．４", "2,777,536.87", "100", "(5.00)", "2023", "1.2.3", "9" * 25]
UNITS = ["万元", "元", "亿元", "%", "人", "辆", "个百分点", "（万元）"]
HEADINGS = ["\n一、收入支出预算总体情况\n", "\n（三）“三公”经费支出情况\n", "\n第二部分 2023年部门决算表\n", "其中：", "合计",
            "本年收入合计", "\n201 一般公共服务支出 123.45 67.89\n", "比上年增加", "\n\n", "\t", "上年预算数", "决算数为"]
SNIPPETS = st.sampled_from(NUMBERS + UNITS + HEADINGS) | st.tuples(st.sampled_from(NUMBERS), st.sampled_from(UNITS)).map("".join)

# An edit: (kind, a, b, c, d, snippet); positions are fractions of the current length so every edit applies.
EDIT = st.tuples(st.sampled_from(["delete", "duplicate", "swap", "insert"]),
                 *(st.floats(0, 1) for _ in range(4)), SNIPPETS)


def apply_edits(text: str, edits: list[tuple]) -> str:
    for kind, a, b, c, d, snippet in edits:
        n = len(text)
        i = int(a * n)
        j = min(n, i + int(b * 400))  # spans of up to 400 characters: a line or a table row or two
        if kind == "delete":
            text = text[:i] + text[j:]
        elif kind == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif kind == "swap":
            k = int(c * n)
            l = min(n, k + int(d * 300))  # noqa: E741
            if j <= k:  # two spans that do not overlap change places
                text = text[:i] + text[k:l] + text[j:k] + text[i:j] + text[l:]
        else:
            text = text[:i] + snippet + text[i:]
    return text


def assert_sound(figures: list[dict], text: str) -> None:
    for f in figures:
        assert text[f["start"]:f["end"]] == f["quote"], f
        assert isinstance(f["value"], (int, float)) and math.isfinite(f["value"]), f


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, len(SEED_TEXTS) - 1), edits=st.lists(EDIT, min_size=1, max_size=6),
       kind=st.sampled_from(["budget", "final_account", "performance_evaluation", ""]),
       year=st.sampled_from([None, 2022, 2023]))
def test_extract_all_survives_edited_disclosures(seed, edits, kind, year):
    text = normalise(apply_edits(SEED_TEXTS[seed], edits))
    figures = extract_all(Document(file="fuzz.txt", format="txt", text=text), kind, year)
    assert_sound(figures, text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, len(SEED_TEXTS) - 1), edits=st.lists(EDIT, min_size=1, max_size=6),
       encoding=st.sampled_from(["utf-8", "gb18030", "utf-16"]))
def test_process_file_survives_edited_disclosures(tmp_path_factory, seed, edits, encoding):
    path = tmp_path_factory.mktemp("fuzz") / "edited.txt"
    raw = apply_edits(SEED_TEXTS[seed], edits)
    path.write_bytes(raw.encode(encoding, errors="replace"))
    res = process_file(path)
    assert not res.error, res.error  # an unexpected failure would be caught, but is a bug all the same
    doc = res.document
    assert doc["status"] in ("ok", "partial", "rejected") and (doc["status"] == "ok") == (doc["reason"] == "")
    if doc["status"] == "rejected":
        assert doc["reason"].startswith(("not a fiscal disclosure", "empty file")) and not res.figures
    else:
        assert doc["n_figures"] == len(res.figures)
        assert_sound(res.figures, res.text)


def test_apply_edits_does_what_it_says():
    text = "0123456789"
    assert apply_edits(text, [("delete", 0.2, 0.0075, 0, 0, "")]) == "01" + "56789"  # 0.0075 of 400: 3 characters
    assert apply_edits(text, [("duplicate", 0.0, 0.005, 0, 0, "")]) == "01" + "0123456789"
    assert apply_edits(text, [("swap", 0.0, 0.005, 0.5, 0.01, "")]) == "567" + "234" + "01" + "89"
    assert apply_edits(text, [("insert", 0.5, 0, 0, 0, "万元")]) == "01234万元56789"
