"""The synthetic corpus keeps every seed fact consistent; the dask path writes what the process pool writes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from countyfiscal.pipeline import process_file, run_extract

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import synth  # noqa: E402


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_perturb_scales_money_keeps_precision_and_shifts_years_and_places():
    facts = {"county": "红塔区", "city": "玉溪市", "province": "云南省"}
    county = {"name": "富民县", "city": "昆明市", "province": "云南省"}
    text = "云南省玉溪市红塔区信访局2023年部门决算：支出合计2,777,536.87元，基本支出 157.6 万元，2022-2023年度，接待 12 人次。"
    out = synth.perturb(text, facts, county, factor=3, shift=-2)
    assert out == ("云南省昆明市富民县信访局2021年部门决算：支出合计8,332,610.61元，基本支出 472.8 万元，2020-2021年度，"
                   "接待 12 人次。")


def test_variants_are_distinct_and_resolve_to_the_chosen_county_and_year(tmp_path):
    paths = synth.write_txt(tmp_path, 10)
    texts = [p.read_text(encoding="utf-8") for p in paths]
    assert len(set(texts)) == 10
    seed_results = {p.stem: process_file(p) for p in sorted((ROOT / "data" / "raw").glob("*.txt"))}
    for i, path in enumerate(paths):
        _, _, chosen = synth.variant(i)
        res = process_file(path)
        seed = seed_results[chosen["seed"]]
        assert res.document["status"] == "ok"
        assert res.document["admin_code"] == chosen["code"]
        assert res.document["county"] == chosen["county"]
        assert res.document["fiscal_year"] == seed.document["fiscal_year"] + chosen["shift"]
        # Every money figure the seed states comes back multiplied by the variant's one factor.
        money = lambda r: sorted(f["value"] for f in r.figures if f["unit"] == "yuan" and f["method"] == "stated")  # noqa: E731
        scaled = [round(v * chosen["factor"], 2) for v in money(seed)]
        assert set(scaled) <= set(round(v, 2) for v in money(res)), path.name


@pytest.mark.skipif(importlib.util.find_spec("distributed") is None, reason="dask.distributed (extra countyfiscal[dask]) not installed")
@pytest.mark.parametrize("full", [False, True], ids=["extraction", "default"])
def test_dask_local_cluster_gives_byte_identical_outputs(tmp_path, full):
    from distributed import Client, LocalCluster

    raw = tmp_path / "raw"
    synth.write_txt(raw, 12)
    (raw / "zz_dup.txt").write_bytes((raw / "synth_000003.txt").read_bytes())
    local, dist = tmp_path / "local", tmp_path / "dask"
    run_extract(raw, local, jobs=2, progress=False, text_mining=full, checks=full)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            # a small chunk so several tasks are in flight and must be put back in order
            from countyfiscal import distributed as cf_dist

            old = cf_dist.CHUNK
            cf_dist.CHUNK = 2
            try:
                run_extract(raw, dist, progress=False, text_mining=full, checks=full, dask=cluster.scheduler_address)
            finally:
                cf_dist.CHUNK = old
            assert client.nthreads()
    assert _tree(dist) == _tree(local)
    docs = pd.read_csv(dist / "documents.csv", dtype=str, keep_default_na=False).set_index("file")
    assert docs.loc["zz_dup.txt", "status"] == "duplicate" and docs.loc["synth_000003.txt", "status"] == "ok"
    assert (docs["status"] == "ok").sum() == 12


@pytest.mark.skipif(importlib.util.find_spec("distributed") is None, reason="dask.distributed (extra countyfiscal[dask]) not installed")
def test_dask_a_failing_document_costs_only_itself():
    """A task of several documents that fails is run again one document per task; the failing one alone gives
    on_failure, the others their results, in order."""
    from distributed import LocalCluster

    from countyfiscal.distributed import map_ordered

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        out = list(map_ordered(_fails_on_three, list(range(7)), cluster.scheduler_address, chunk=3,
                               on_failure=lambda item, reason, tb: ("failed", item, tb.strip().splitlines()[-1])))
    assert out == [0, 10, 20, ("failed", 3, "ValueError: three"), 40, 50, 60]


def _fails_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return 10 * x
