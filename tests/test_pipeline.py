"""run_extract: one documents row per input, duplicates marked, figures streamed identically whatever the jobs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from countyfiscal.fields import columns
from countyfiscal.pipeline import RunError, run_extract

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "data" / "raw").glob("*.txt"))


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    """Two seeds, a byte copy, a whitespace-only variant, an empty file and a text that is no disclosure."""
    raw = tmp_path_factory.mktemp("raw")
    a, b = SEEDS[1], SEEDS[2]  # the two with the fewest figures: quick to check
    shutil.copy(a, raw / a.name)
    shutil.copy(b, raw / b.name)
    shutil.copy(a, raw / "zz_copy.txt")
    (raw / "zz_spaced.txt").write_text(b.read_text(encoding="utf-8").replace("，", " ，"), encoding="utf-8")
    (raw / "empty.txt").write_bytes(b"")
    (raw / "notes.txt").write_text("会议通知：请各位于周五下午三点到三楼会议室开会。\n" * 5, encoding="utf-8")
    (raw / "MANIFEST.csv").write_text("file,sha256\n", encoding="utf-8")  # describes inputs, is not one
    return raw


@pytest.fixture(scope="module")
def streamed(raw, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out1")
    run_extract(raw, out, jobs=1, progress=False, text_mining=False, checks=False)
    return out


def test_every_input_has_a_documents_row_and_duplicates_name_their_original(streamed, raw):
    docs = pd.read_csv(streamed / "documents.csv", dtype=str, keep_default_na=False).set_index("file")
    assert sorted(docs.index) == sorted(p.name for p in raw.iterdir() if p.name != "MANIFEST.csv")
    assert docs.loc[SEEDS[1].name, "status"] == "ok"
    assert docs.loc[SEEDS[2].name, "status"] == "ok"
    assert docs.loc["zz_copy.txt", "status"] == "duplicate"
    assert docs.loc["zz_copy.txt", "duplicate_of"] == SEEDS[1].name
    assert "same bytes" in docs.loc["zz_copy.txt", "reason"]
    assert docs.loc["zz_spaced.txt", "status"] == "duplicate"
    assert "same text" in docs.loc["zz_spaced.txt", "reason"]
    assert docs.loc["empty.txt", "status"] == "rejected"
    assert docs.loc["notes.txt", "status"] == "rejected"
    assert docs.loc["zz_copy.txt", "n_figures"] == "0"


def test_documents_scope_comes_from_the_title_and_is_empty_for_a_rejected_file(streamed):
    docs = pd.read_csv(streamed / "documents.csv", dtype=str, keep_default_na=False).set_index("file")
    assert docs.loc[SEEDS[1].name, "scope"] == "department"  # "紫阳县信访局2023年部门预算收支说明"
    assert docs.loc[SEEDS[2].name, "scope"] == ""  # a 绩效自评报告 names neither 部门 nor 单位
    assert docs.loc["notes.txt", "scope"] == ""


def test_figures_only_from_originals_and_sorted(streamed):
    figs = pd.read_csv(streamed / "figures.csv", keep_default_na=False, dtype={"file": str})
    assert set(figs["file"]) == {SEEDS[1].name, SEEDS[2].name}
    docs = pd.read_csv(streamed / "documents.csv", keep_default_na=False, dtype={"file": str})
    assert figs.groupby("file").size().to_dict() == {
        r.file: int(r.n_figures) for r in docs.itertuples() if r.status == "ok"
    }
    # sorted by file, then offset
    assert list(figs["file"]) == sorted(figs["file"])
    first = figs[figs["file"] == SEEDS[1].name]
    assert list(first["start"]) == sorted(first["start"])


def test_figures_dataset_is_partitioned_by_fiscal_year_and_holds_every_row(streamed):
    flat = pd.read_parquet(streamed / "figures.parquet")
    parts = sorted(p.name for p in (streamed / "figures").iterdir())
    assert parts == [f"fiscal_year={y}" for y in sorted(flat["fiscal_year"].dropna().unique())]
    ds = pd.read_parquet(streamed / "figures")
    assert len(ds) == len(flat) == len(pd.read_csv(streamed / "figures.csv"))
    assert sorted(ds["quote"]) == sorted(flat["quote"])
    # a 2023 budget states 2023 figures, a 2022 self-evaluation 2022 figures: each in its year's partition
    assert (pd.read_parquet(streamed / "figures" / "fiscal_year=2023")["file"] == SEEDS[1].name).any()
    assert (pd.read_parquet(streamed / "figures" / "fiscal_year=2022")["file"] == SEEDS[2].name).any()


def test_each_year_partition_holds_that_years_rows_in_order_and_missing_years_their_own(streamed, tmp_path):
    """The dataset's parts are the batch's rows of one year (a missing year in the hive default partition), in the
    table's order, without the year column and with the schema of a table without it (pandas' metadata too)."""
    import pyarrow.parquet as pq

    from countyfiscal.pipeline import NA_PARTITION, _FigureWriter, encode

    flat = pd.read_parquet(streamed / "figures.parquet")
    rows = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in flat.to_dict("records")]
    years = sorted(flat["fiscal_year"].dropna().unique())
    for r in rows[::3]:  # every third row without a year
        r["fiscal_year"] = None
    out = tmp_path / "out"
    out.mkdir()
    with _FigureWriter(out, batch_rows=10) as writer:
        for file in sorted({r["file"] for r in rows}):
            writer.add_encoded(*encode("figures", [r for r in rows if r["file"] == file]))
        writer.finish()
    table = pd.read_parquet(out / "figures.parquet")
    assert table["fiscal_year"].isna().sum() == len(rows[::3])
    parts = sorted(p.name for p in (out / "figures").iterdir())
    assert parts == sorted([f"fiscal_year={y}" for y in years] + [f"fiscal_year={NA_PARTITION}"])
    n = 0
    for part in parts:
        year = part.split("=")[1]
        expected = table[table["fiscal_year"].isna() if year == NA_PARTITION else table["fiscal_year"] == int(year)]
        files = sorted((out / "figures" / part).glob("part-*.parquet"))
        got = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        pd.testing.assert_frame_equal(got, expected.drop(columns="fiscal_year").reset_index(drop=True))
        assert all(pq.read_schema(f) == writer.partition.schema for f in files)
        assert all(pq.read_schema(f).metadata == writer.partition.schema.metadata for f in files)
        n += len(got)
    assert n == len(table) == len(rows)


def test_documents_sent_as_text_or_as_columns_make_the_same_files(streamed, tmp_path):
    """A worker sends a document's rows as CSV text alone when the text gives its columns back (``_compact``), and
    the columns too when not; a batch mixing both, and split across batches, writes the bytes the columns would."""
    from itertools import chain

    import pyarrow.parquet as pq

    from countyfiscal.pipeline import _compact, _FigureWriter, encode

    flat = pd.read_parquet(streamed / "figures.parquet")
    rows = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in flat.to_dict("records")]
    rows[0]["quote"] = "carriage\rreturn"  # its document's columns travel
    files = sorted({r["file"] for r in rows})
    for batch_rows in (10**6, 10):  # one batch holding both kinds; a batch per document
        sent = {}
        for how in ("columns", "compact"):
            out = tmp_path / f"{how}-{batch_rows}"
            out.mkdir()
            with _FigureWriter(out, batch_rows=batch_rows) as writer:
                for file in files:
                    encoded = encode("figures", [r for r in rows if r["file"] == file])
                    piece = _compact("figures", *encoded) if how == "compact" else encoded
                    sent.setdefault(how, []).append(isinstance(piece[1], int))
                    writer.add_encoded(*piece)
                writer.finish()
            assert writer.n_batches == (1 if batch_rows > len(rows) else len(files)) and writer.n_rows == len(rows)
        assert sent == {"columns": [False] * len(files), "compact": [False] + [True] * (len(files) - 1)}
        a, b = tmp_path / f"columns-{batch_rows}", tmp_path / f"compact-{batch_rows}"
        names = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
        assert len(names) > 3 and names == sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file())
        for name in names:
            assert (b / name).read_bytes() == (a / name).read_bytes(), name
    # and the one batch is the table of all the documents' columns, in order, as one Arrow conversion makes it
    enc = writer.encoder
    cols = [list(chain.from_iterable(c)) for c in zip(*(encode("figures", [r for r in rows if r["file"] == f])[1]
                                                        for f in files))]
    with pq.ParquetWriter(tmp_path / "reference.parquet", enc.schema) as reference:
        reference.write_table(enc.arrow(cols))
    made = tmp_path / f"compact-{10**6}" / "figures.parquet"
    assert (tmp_path / "reference.parquet").read_bytes() == made.read_bytes()


def test_a_run_leaves_the_collector_as_it_found_it(raw, tmp_path, monkeypatch):
    """The run freezes what lives through it (the collector skips it); a program that calls run_extract gets its
    collector back unfrozen, even when the run fails after reading."""
    import gc

    import countyfiscal.pipeline as pipeline

    assert gc.get_freeze_count() == 0
    run_extract(raw, tmp_path / "out", jobs=0, progress=False)
    assert gc.get_freeze_count() == 0

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline, "_corpus_plan", full)
    with pytest.raises(RunError, match="No space left"):
        run_extract(raw, tmp_path / "out2", jobs=0, progress=False)
    assert gc.get_freeze_count() == 0


def test_two_jobs_give_byte_identical_outputs(streamed, raw, tmp_path):
    run_extract(raw, tmp_path, jobs=2, progress=False, text_mining=False, checks=False)
    assert _tree(tmp_path) == _tree(streamed)


def test_small_batches_give_the_same_tables(streamed, raw, tmp_path):
    # Seven rows per batch: every file's figures are still written together and in order.
    run_extract(raw, tmp_path, jobs=2, progress=False, text_mining=False, checks=False, batch_rows=7)
    for name in ("documents.csv", "figures.csv"):
        assert (tmp_path / name).read_bytes() == (streamed / name).read_bytes(), name
    assert {p.name for p in (tmp_path / "figures").rglob("*.parquet")} >= {"part-00000.parquet", "part-00001.parquet"}
    assert {p.name for p in (streamed / "figures").rglob("*.parquet")} == {"part-00000.parquet"}
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "figures.parquet"), pd.read_parquet(streamed / "figures.parquet"))
    key = ["file", "start", "end", "measure", "code", "basis", "source"]
    a = pd.read_parquet(tmp_path / "figures").sort_values(key).reset_index(drop=True)
    b = pd.read_parquet(streamed / "figures").sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_rerun_replaces_outputs_and_leaves_no_temp_files(streamed, raw, tmp_path):
    out = tmp_path / "out"
    run_extract(raw, out, jobs=1, progress=False, text_mining=False, checks=False)
    first = _tree(out)
    run_extract(raw, out, jobs=1, progress=False, text_mining=False, checks=False)
    assert _tree(out) == first == _tree(streamed)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_default_run_adds_checks_metrics_and_text_tables_with_the_same_figures(streamed, raw, tmp_path):
    assert not (streamed / "flags.csv").exists()  # checks=False: no flags table at all, not an empty one
    full, large = tmp_path / "full", tmp_path / "large"
    run_extract(raw, full, jobs=2, progress=False)
    run_extract(raw, large, jobs=1, progress=False, text_mining=False)  # checks in the workers
    assert (full / "figures.csv").read_bytes() == (streamed / "figures.csv").read_bytes()
    assert (full / "documents.csv").read_bytes() == (streamed / "documents.csv").read_bytes()
    for name in ("flags", "metrics", "sections", "keywords", "themes", "recurring_themes"):
        assert (full / f"{name}.csv").is_file(), name
    sections = pd.read_csv(full / "sections.csv", dtype={"file": str})
    assert set(sections["file"]) == {SEEDS[1].name, SEEDS[2].name}  # duplicates and rejects are not mined
    # Two departments, so no cross-document check applies: per-document checks give the same flags.
    assert (large / "flags.csv").read_bytes() == (full / "flags.csv").read_bytes()
    assert len(pd.read_csv(full / "flags.csv")) > 0
    # Without text mining the metrics are the same (stated changes come from the statements, not the texts) ...
    assert (large / "metrics.csv").read_bytes() == (full / "metrics.csv").read_bytes()
    assert (large / "statements.csv").read_bytes() == (full / "statements.csv").read_bytes()
    # ... and rerunning it over the full run's folder leaves no table of the earlier run behind.
    run_extract(raw, full, jobs=1, progress=False, text_mining=False)
    assert not (full / "sections.csv").exists() and not (full / "sections.parquet").exists()


def test_large_mode_streams_flags_in_batches_to_the_same_table(raw, tmp_path):
    one, many = tmp_path / "one", tmp_path / "many"
    s1 = run_extract(raw, one, jobs=1, progress=False, text_mining=False)
    s2 = run_extract(raw, many, jobs=2, progress=False, text_mining=False, batch_rows=1)  # a batch per document
    assert s1["flags"] == s2["flags"] == len(pd.read_csv(one / "flags.csv")) > 0
    assert (one / "flags.csv").read_bytes() == (many / "flags.csv").read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(one / "flags.parquet"), pd.read_parquet(many / "flags.parquet"))
    assert not [p for p in many.iterdir() if p.name.startswith(".")]


def test_large_mode_with_nothing_to_check_writes_an_empty_flags_table(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "empty.txt").write_bytes(b"")
    s = run_extract(raw, tmp_path / "out", jobs=1, progress=False, text_mining=False)
    assert s["flags"] == 0
    flags = pd.read_parquet(tmp_path / "out" / "flags.parquet")
    assert len(flags) == 0 and list(flags.columns) == columns("flags")
    assert (tmp_path / "out" / "flags.csv").read_text(encoding="utf-8") == ",".join(columns("flags")) + "\n"


def test_missing_raw_folder_is_a_run_error(tmp_path):
    with pytest.raises(RunError, match="does not exist"):
        run_extract(tmp_path / "nope", tmp_path / "out")


def test_a_raw_folder_with_nothing_to_read_is_one_sentence_and_exit_2_with_old_outputs_kept(raw, tmp_path, capsys):
    from countyfiscal import cli

    out = tmp_path / "out"
    run_extract(raw, out, jobs=0, progress=False, text_mining=False, checks=False)
    before = _tree(out)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".gitkeep").write_bytes(b"")
    (empty / "MANIFEST.csv").write_text("file,sha256\n", encoding="utf-8")
    assert cli.main(["extract", str(empty), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds nothing to read" in err[0]
    assert _tree(out) == before


def test_extract_names_the_files_its_manifest_does_not_match(tmp_path, capsys):
    from countyfiscal import cli

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "listed.txt").write_text("某县信访局2023年部门预算", encoding="utf-8")
    (raw / "added.txt").write_text("某县民政局2023年部门预算", encoding="utf-8")
    (raw / "MANIFEST.csv").write_text("file,sha256\nlisted.txt,\nremoved.pdf,00\n", encoding="utf-8")
    assert cli.main(["extract", str(raw), "--out", str(tmp_path / "out"), "--quiet", "--jobs", "0"]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note: ")]
    assert notes == [
        'note: added.txt: not listed in MANIFEST.csv, so its source is not recorded (add a line: README, '
        '"Adding a disclosure")',
        "note: removed.pdf: listed in MANIFEST.csv but not in the folder",
    ]


@pytest.mark.parametrize("text_mining", [True, False])
def test_flags_raised_while_reading_reach_flags_csv(tmp_path, monkeypatch, text_mining):
    """A flag the reader or extractor puts on Document.flags is written to flags.csv in both modes, once."""
    import countyfiscal.extract as extract

    real = extract.extract_all

    def extract_and_flag(doc, *args, **kwargs):
        doc.flags.append({"file": doc.file, "check": "restatement", "status": "mismatch",
                          "measure": "income_total", "message": "planted by the test"})
        return real(doc, *args, **kwargs)

    monkeypatch.setattr(extract, "extract_all", extract_and_flag)
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SEEDS[1], raw / SEEDS[1].name)
    shutil.copy(SEEDS[1], raw / "zz_copy.txt")  # a duplicate's flags are not written
    run_extract(raw, tmp_path / "out", jobs=1, progress=False, text_mining=text_mining)
    flags = pd.read_csv(tmp_path / "out" / "flags.csv", dtype=str)
    planted = flags[flags["message"] == "planted by the test"]
    assert planted["file"].tolist() == [SEEDS[1].name]
    assert planted["check"].tolist() == ["restatement"]


def test_every_output_has_the_mode_the_umask_gives(raw, tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        run_extract(raw, tmp_path / "out", jobs=2, progress=False)
    finally:
        os.umask(old)
    out = tmp_path / "out"
    modes = {str(p.relative_to(out)): stat.S_IMODE(p.stat().st_mode) for p in out.rglob("*")}
    assert {m for p, m in modes.items() if (out / p).is_file()} == {0o644}
    assert {m for p, m in modes.items() if (out / p).is_dir()} | {stat.S_IMODE(out.stat().st_mode)} == {0o755}
    assert {"documents.csv", "figures.parquet", "flags.csv", "statements.parquet", "keywords.csv",
            "extract.log"} <= set(modes)


def test_the_corpus_step_in_many_groups_gives_the_tables_of_one(tmp_path, monkeypatch):
    """Cross-document checks and metrics one department at a time (a group each) give the bytes of one group,
    including a restatement between two documents of one department."""
    import sys

    import countyfiscal.pipeline as pipeline

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import synth

    raw = tmp_path / "raw"
    synth.write_txt(raw, 12)
    for p in SEEDS:
        shutil.copy(p, raw / p.name)
    # the 紫阳县 budget again, restating its expenditure total differently: a cross-document restatement
    text = SEEDS[1].read_text(encoding="utf-8")
    assert text.count("226.7万元") >= 1
    (raw / "zz_restated.txt").write_text(text.replace("226.7万元", "236.7万元", 1), encoding="utf-8")
    one, many = tmp_path / "one", tmp_path / "many"
    monkeypatch.setattr(pipeline, "POOL_MIN_DOCUMENTS", 0)  # the corpus step on the pool, however small the corpus
    run_extract(raw, one, jobs=2, progress=False, text_mining=False)
    monkeypatch.setattr(pipeline, "DEPARTMENT_BATCH_ROWS", 1)
    run_extract(raw, many, jobs=2, progress=False, text_mining=False)
    assert _tree(many) == _tree(one)
    flags = pd.read_csv(one / "flags.csv", dtype=str, keep_default_na=False)
    assert (flags["file"] == f"{SEEDS[1].name};zz_restated.txt").any()
    assert len(pd.read_csv(one / "metrics.csv")) > 0


def test_the_default_run_gives_the_same_bytes_for_any_jobs(raw, tmp_path, monkeypatch):
    """Everything a default run writes (text mining, flags, statements, metrics, keywords) is the same in this
    process, on one worker and on two; with small groups the corpus step and the keyword pass run on the pool."""
    import countyfiscal.pipeline as pipeline

    monkeypatch.setattr(pipeline, "DEPARTMENT_BATCH_ROWS", 1)
    monkeypatch.setattr(pipeline, "KEYWORD_CHUNK", 1)
    monkeypatch.setattr(pipeline, "KEYWORD_TASK", 1)
    monkeypatch.setattr(pipeline, "POOL_MIN_DOCUMENTS", 0)
    trees = []
    for jobs in (0, 1, 2):
        run_extract(raw, tmp_path / f"jobs{jobs}", jobs=jobs, progress=False)
        trees.append(_tree(tmp_path / f"jobs{jobs}"))
    assert trees[0] == trees[1] == trees[2]
    assert {"keywords.csv", "metrics.csv", "statements.csv", "themes.csv"} <= set(trees[0])


def test_a_small_corpus_keeps_the_steps_after_reading_in_its_own_process(raw, tmp_path, monkeypatch):
    """Below POOL_MIN_DOCUMENTS readable documents the corpus step and the keyword pass run in the run's process at
    any --jobs (forking a pool would cost more than it shares); from it they go to the pool. The same bytes."""
    import countyfiscal.pipeline as pipeline

    pool_jobs = []
    on_pool = pipeline._on_pool

    def spy(fn, items, jobs):
        pool_jobs.append(jobs)
        return on_pool(fn, items, jobs)

    monkeypatch.setattr(pipeline, "_on_pool", spy)
    monkeypatch.setattr(pipeline, "DEPARTMENT_BATCH_ROWS", 1)  # several tasks, so the pool would be used
    monkeypatch.setattr(pipeline, "KEYWORD_CHUNK", 1)
    monkeypatch.setattr(pipeline, "KEYWORD_TASK", 1)
    run_extract(raw, tmp_path / "small", jobs=2, progress=False)
    status = pd.read_csv(tmp_path / "small" / "documents.csv")["status"]
    readable = int(status.isin(["ok", "partial"]).sum())
    assert 2 <= readable < pipeline.POOL_MIN_DOCUMENTS
    monkeypatch.setattr(pipeline, "POOL_MIN_DOCUMENTS", readable)
    run_extract(raw, tmp_path / "pooled", jobs=2, progress=False)
    assert pool_jobs == [1, 2]
    assert _tree(tmp_path / "small") == _tree(tmp_path / "pooled")


def test_the_workers_fork_with_what_the_run_holds_frozen(raw, tmp_path, monkeypatch):
    """What the run's process holds when the workers fork (modules, pandas, the tokenizer) is frozen first
    (gc.freeze), so a worker's full collections do not walk it; the run unfreezes it when it ends."""
    import gc

    import countyfiscal.pipeline as pipeline

    seen = tmp_path / "seen"
    seen.mkdir()
    work = pipeline.work

    def spy(job, **kw):  # runs in the workers
        (seen / f"{os.getpid()}-{job.name}").write_text(str(gc.get_freeze_count()))
        return work(job, **kw)

    monkeypatch.setattr(pipeline, "work", spy)
    assert gc.get_freeze_count() == 0
    run_extract(raw, tmp_path / "out", jobs=2, progress=False)
    frozen = [int(p.read_text()) for p in seen.iterdir()]
    assert len(frozen) >= 5  # every file the workers read
    assert min(frozen) > 50_000  # the package, pandas and the tokenizer's objects
    assert gc.get_freeze_count() == 0


def test_the_keywords_file_does_not_depend_on_the_keyword_task_size(tmp_path, monkeypatch):
    """The keyword pass runs in tasks smaller than the chunks its file is written in; whatever the task size, the
    keywords files (their Parquet row groups included) are the same bytes."""
    import sys

    import pyarrow.parquet as pq

    import countyfiscal.pipeline as pipeline

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import synth

    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(9):
        stem, text, _ = synth.variant(i)
        (raw / f"{i:02d}_{stem}.txt").write_text(text, encoding="utf-8")

    monkeypatch.setattr(pipeline, "KEYWORD_CHUNK", 2)
    monkeypatch.setattr(pipeline, "POOL_MIN_DOCUMENTS", 0)
    outs = []
    for task in (1, 2, 7):
        monkeypatch.setattr(pipeline, "KEYWORD_TASK", task)
        out = tmp_path / f"task{task}"
        run_extract(raw, out, jobs=2, progress=False, batch_rows=1, checks=False)
        outs.append(out)
    first = pq.ParquetFile(outs[0] / "keywords.parquet")
    assert first.num_row_groups > 1  # one per chunk of two documents: the grouping is what is compared
    for out in outs[1:]:
        for name in ("keywords.parquet", "keywords.csv"):
            assert (out / name).read_bytes() == (outs[0] / name).read_bytes()


def test_routing_gives_each_group_its_files_rows_in_order(tmp_path):
    """The corpus step's routing: every row of a file in a group goes to that group's file, in the table's order
    (across batches too); rows of files in no group go nowhere."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from countyfiscal.pipeline import _group_rows, _route

    n = 150_000  # three batches of the routing's reader
    files = [f"f{(i * 7919) % 13:02d}.pdf" for i in range(n)]
    table = pa.table({"file": pa.array(files, type=pa.large_string()), "row": pa.array(range(n), type=pa.int64())})
    pq.write_table(table, tmp_path / "t.parquet")
    group_of = {f"f{k:02d}.pdf": k % 3 for k in range(13) if k != 5}  # f05 is in no group
    _route(tmp_path / "t.parquet", group_of, tmp_path, "t")
    seen = 0
    for g in range(3):
        got = _group_rows(tmp_path / "t.parquet", tmp_path, "t", g)
        expected = [i for i, f in enumerate(files) if group_of.get(f) == g]
        assert got["row"].tolist() == expected
        assert set(got["file"]) == {f for f, k in group_of.items() if k == g}
        seen += len(got)
    assert seen == sum(1 for f in files if f != "f05.pdf")
    assert not list(tmp_path.glob("t-*.arrow"))  # each group's file is read once, then removed


def test_keyword_tasks_sent_as_text_write_the_bytes_their_columns_would(raw, tmp_path):
    """The keyword pass's tasks send their rows as CSV text alone when it gives the columns back (``_compact`` in
    "astype" mode), else the columns; ``add_all`` takes a chunk's tasks together, so the files' batches end at chunk
    ends whatever the tasks sent."""
    from countyfiscal.pipeline import _compact, _RowStream, encode

    run_extract(raw, tmp_path / "run", jobs=0, progress=False, checks=False)
    flat = pd.read_parquet(tmp_path / "run" / "keywords.parquet")
    rows = [tuple(None if pd.isna(v) else getattr(v, "item", lambda: v)() for v in r) for r in flat.itertuples(index=False)]
    assert len(rows) > 100 and any(r[5] is not None for r in rows)  # scores, ranks, missing scopes: every kind
    files = list(dict.fromkeys(r[0] for r in rows))
    # a document named like a formula: its task's columns travel (the CSV cell is not the name)
    rows = [("=SUM(1).txt",) + r[1:] if r[0] == files[-1] else r for r in rows]
    files[-1] = "=SUM(1).txt"
    assert len(files) == 2 and rows[-1][0] == files[-1] and rows[0][0] == files[0]
    tasks = [rows[i:i + 20] for i in range(0, len(rows), 20)]  # 8 tasks, the formula-named document's the last 4
    written = {}
    for how in ("columns", "compact"):
        out = tmp_path / how
        out.mkdir()
        with _RowStream(out, "keywords", batch_rows=50, mode="astype") as stream:
            pieces = [encode("keywords", t, "astype") for t in tasks]
            if how == "compact":
                pieces = [_compact("keywords", *p, mode="astype") for p in pieces]
                assert [isinstance(p[1], int) for p in pieces] == [True] * 4 + [False] * 4
            stream.add_all(pieces[:3])  # 60 rows: one batch (full only after the third task)
            stream.add_all(pieces[3:])  # 100 rows: one batch, however many tasks it holds
            stream.finish()
        assert stream.n_rows == len(rows) and stream.n_batches == 2
        written[how] = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(written["columns"]) == ["keywords.csv", "keywords.parquet"]
    assert written["compact"] == written["columns"]
