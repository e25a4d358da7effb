"""Money as disclosures print it parses back to itself, with its printed precision."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from countyfiscal.amounts import allowance, find_amounts, parse_amount

UNITS = {"元": Decimal(1), "万元": Decimal(10_000), "亿元": Decimal(100_000_000)}


def _grouped(n: int) -> str:
    return f"{n:,}"


@st.composite
def printed_amounts(draw):
    """(text as printed, unit, value in yuan, decimals) the ways disclosures print money."""
    integer = draw(st.integers(min_value=0, max_value=10**11))
    decimals = draw(st.sampled_from([0, 1, 2, 2, 2, 4]))
    frac = draw(st.integers(min_value=0, max_value=10**decimals - 1)) if decimals else 0
    unit = draw(st.sampled_from(list(UNITS)))
    grouped = draw(st.booleans())
    space = draw(st.sampled_from(["", " "]))
    head = _grouped(integer) if grouped else str(integer)
    number = f"{head}.{frac:0{decimals}d}" if decimals else head
    value = (Decimal(integer) + (Decimal(frac) / Decimal(10) ** decimals if decimals else 0)) * UNITS[unit]
    return f"{number}{space}{unit}", unit, value, decimals


@given(printed_amounts(), st.sampled_from(["收入合计", "其中：基本支出", "比上年", "为", "\n"]),
       st.sampled_from(["，", "。", "；", "", "（", "\n"]))
def test_printed_amount_parses_back(printed, before, after):
    text, unit, value, decimals = printed
    found = find_amounts(before + text + after)
    assert len(found) == 1
    a = found[0]
    assert a.value == value
    assert a.scale == unit
    assert a.decimals == decimals
    assert (before + text + after)[a.start : a.end] == text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2,777,536.87元", Decimal("2777536.87")),
        ("226.7万元", Decimal("2267000")),
        ("305.63 万元", Decimal("3056300")),
        ("0.00元", Decimal("0")),
        ("0万元", Decimal("0")),
        ("1.5亿元", Decimal("150000000")),
        ("30.79 万、津贴", Decimal("307900")),
    ],
)
def test_known_amounts(text, value):
    (a,) = find_amounts(text)
    assert a.value == value


@pytest.mark.parametrize(
    "text",
    [
        "2023年", "12345热线", "占比6.49%", "14人", "1999年11月", "35 个项目",
        "1,23,456元",  # separators not in groups of three are not a number we can trust
        "3万人次",  # 万 before a count word is not money
    ],
)
def test_not_money(text):
    assert find_amounts(text) == []


def test_list_marker_is_not_part_of_the_amount():
    (a,) = find_amounts("2.工资福利支出 128.89 万元")
    assert a.value == Decimal("1288900")


def test_parse_amount_rejects_garbage():
    with pytest.raises(ValueError):
        parse_amount("12a", "元")
    with pytest.raises(ValueError):
        parse_amount("12", "美元")


def test_allowance_is_half_the_last_printed_place():
    assert allowance("万元", 2) == Decimal("50")
    assert allowance("元", 2) == Decimal("0.005")
    assert allowance("万元", 0) == Decimal("5000")
