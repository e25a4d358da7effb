"""Faults during a run: a crashed or stuck reader, a killed run, two runs at once, a full disk, a bad --out.

Each leaves the output folder holding one complete run (the previous or the new one) and says what happened in one
sentence; a document whose reader crashed is a rejected row, and the run goes on.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from countyfiscal.pipeline import RunError, run_extract
from countyfiscal.workers import Limits

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "data" / "raw").glob("*.txt"))
CLI = [str(ROOT / ".venv" / "bin" / "countyfiscal"), "extract"]
sys.path.insert(0, str(ROOT / "benchmarks"))
import synth  # noqa: E402


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _documents(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "documents.csv", dtype=str, keep_default_na=False).set_index("file")


def _one_sentence(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    """The five seeds and 30 synthetic disclosures: a run of a few seconds."""
    raw = tmp_path_factory.mktemp("raw")
    for p in SEEDS:
        shutil.copy(p, raw / p.name)
    synth.write_txt(raw, 30)
    return raw


# ------------------------------------------------------------------------------------------- a reader that fails


def test_a_reader_that_crashes_costs_its_document_only(raw, tmp_path, monkeypatch):
    """The worker reading one document dies (a PDFium segfault, the OOM killer): that document is rejected with a
    sentence, the pool gets a new worker, every other document is as in a run without the crash."""
    import countyfiscal.pipeline as pipeline

    small = tmp_path / "raw"
    small.mkdir()
    for p in sorted(raw.iterdir())[:8]:
        shutil.copy(p, small / p.name)
    reference = tmp_path / "reference"
    run_extract(small, reference, jobs=2, progress=False)
    real = pipeline._process_fd
    victims = {SEEDS[2].name: signal.SIGSEGV, "synth_000001.txt": signal.SIGKILL}

    def crash_on_victims(fd, name, path=None):
        if name in victims:
            os.kill(os.getpid(), victims[name])
        return real(fd, name, path)

    monkeypatch.setattr(pipeline, "_process_fd", crash_on_victims)  # the forked workers inherit it
    out = tmp_path / "out"
    counts = run_extract(small, out, jobs=2, progress=False)
    docs, ref = _documents(out), _documents(reference)
    assert list(docs.index) == list(ref.index)
    assert docs.loc[SEEDS[2].name, "reason"] == "the reader crashed on it (its process was killed by SIGSEGV)"
    assert docs.loc["synth_000001.txt", "reason"] == ("the reader crashed on it (its process was killed by "
                                                      "SIGKILL, e.g. when the machine ran out of memory)")
    for name in victims:
        assert docs.loc[name, "status"] == "rejected"
        assert docs.loc[name, "sha256"] == ref.loc[name, "sha256"]  # still identified by its bytes
    others = [n for n in docs.index if n not in victims]
    pd.testing.assert_frame_equal(docs.loc[others], ref.loc[others])
    figs = pd.read_csv(out / "figures.csv", dtype=str, keep_default_na=False)
    ref_figs = pd.read_csv(reference / "figures.csv", dtype=str, keep_default_na=False)
    assert set(figs["file"]) == set(ref_figs["file"]) - set(victims)
    assert counts["rejected"] == 2


def test_a_document_past_its_time_limit_is_rejected_and_the_run_goes_on(raw, tmp_path, monkeypatch):
    import countyfiscal.pipeline as pipeline

    small = tmp_path / "raw"
    small.mkdir()
    for p in SEEDS[:3]:
        shutil.copy(p, small / p.name)
    real = pipeline._process_fd

    def hang_on_one(fd, name, path=None):
        if name == SEEDS[1].name:
            time.sleep(600)
        return real(fd, name, path)

    monkeypatch.setattr(pipeline, "_process_fd", hang_on_one)
    t0 = time.monotonic()
    run_extract(small, tmp_path / "out", jobs=1, progress=False, text_mining=False,
                limits=Limits(seconds=3, seconds_per_page=0, memory_mb=0))
    assert time.monotonic() - t0 < 120
    docs = _documents(tmp_path / "out")
    assert docs.loc[SEEDS[1].name, "reason"] == "reading it took longer than the limit of 3 s per document (--time-limit)"
    assert docs.loc[SEEDS[0].name, "status"] == docs.loc[SEEDS[2].name, "status"] == "ok"


# ------------------------------------------------------------------------------------------- a killed run


def test_a_run_killed_at_any_moment_leaves_one_complete_run(raw, tmp_path):
    """SIGKILL of `countyfiscal extract` at moments spread over a whole run: the output folder always holds the
    previous run or the new one, byte for byte, and the next run cleans up what the killed one left."""
    out, new = tmp_path / "out", tmp_path / "new"
    small = tmp_path / "raw"
    small.mkdir()
    for p in sorted(raw.iterdir())[:8]:
        shutil.copy(p, small / p.name)
    run_extract(small, out, jobs=2, progress=False)
    before = _tree(out)
    shutil.copy(raw / "synth_000029.txt", small / "synth_000029.txt")
    t0 = time.monotonic()
    subprocess.run(CLI + [str(small), "--out", str(new), "--jobs", "2", "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    whole = time.monotonic() - t0
    after = _tree(new)
    assert after != before
    seen = []
    for i in range(10):
        delay = whole * i / 8  # from the start to past the end (a run may take longer under load)
        proc = subprocess.Popen(CLI + [str(small), "--out", str(out), "--jobs", "2", "--quiet"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.kill()
        proc.wait()
        now = _tree(out)
        assert now in (before, after), f"killed after {delay:.2f} s: a mix of two runs"
        seen.append(now == after)
        if now == after:  # start again from the previous run for the next moment
            shutil.rmtree(out)
            _restore(out, before)
    assert not all(seen)  # at least one kill landed while the run was writing
    # whatever the killed runs left beside the folder goes with the next run
    run_extract(small, out, jobs=2, progress=False)
    assert _tree(out) == after
    assert sorted(p.name for p in tmp_path.iterdir()) == [".new.lock", ".out.lock", "new", "out", "raw"]


def _restore(folder: Path, tree: dict[str, bytes]) -> None:
    for name, data in tree.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


# ------------------------------------------------------------------------------------------- two runs, one folder


def test_a_second_run_into_the_same_folder_is_refused_with_one_sentence_and_the_first_finishes(raw, tmp_path):
    out = tmp_path / "out"
    first = subprocess.Popen(CLI + [str(raw), "--out", str(out), "--jobs", "1", "--quiet"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = tmp_path / ".out.lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text().strip() == str(first.pid)):
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.02)
    second = subprocess.run(CLI + [str(raw), "--out", str(out), "--jobs", "1", "--quiet"],
                            capture_output=True, text=True)
    assert second.returncode == 2 and second.stdout == ""
    assert _one_sentence(second.stderr) == (f"countyfiscal extract: another countyfiscal run (process {first.pid}) is "
                                            f"writing to {out}; wait for it to finish or choose another --out")
    stdout, stderr = first.communicate(timeout=600)
    assert first.returncode == 0 and stderr == ""
    assert stdout.startswith("35 files: 35 ok")
    assert len(_documents(out)) == 35


# ------------------------------------------------------------------------------------------- a full disk


def test_a_full_disk_is_one_sentence_and_the_previous_outputs_stay(raw, tmp_path):
    """Writes beyond 50 KB fail (RLIMIT_FSIZE: EFBIG, as ENOSPC would on a full disk): the five seeds' sections.csv
    is larger."""
    out = tmp_path / "out"
    small = tmp_path / "raw"
    small.mkdir()
    shutil.copy(SEEDS[1], small / SEEDS[1].name)
    run_extract(small, out, progress=False)
    before = _tree(out)

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))

    done = subprocess.run(CLI + [str(ROOT / "data" / "raw"), "--out", str(out), "--jobs", "2", "--quiet"],
                          capture_output=True, text=True, preexec_fn=limit_file_size)
    assert done.returncode == 2 and done.stdout == ""
    assert _one_sentence(done.stderr) == (f"countyfiscal extract: could not write the outputs into {out} (File too "
                                          "large); the previous outputs are unchanged")
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out", "raw"]


# ------------------------------------------------------------------------------------------- where the outputs go


def test_an_output_folder_inside_the_raw_folder_or_around_it_is_refused(raw, tmp_path):
    for out, sentence in (
        (raw / "processed", f"the output folder {raw / 'processed'} is inside the raw folder {raw}: the next run "
                            "would read its outputs as disclosures; choose a folder outside it"),
        (raw, f"the output folder {raw} is inside the raw folder {raw}: the next run would read its outputs as "
              "disclosures; choose a folder outside it"),
        (raw.parent, f"the raw folder {raw} is inside the output folder {raw.parent}, which every run replaces; "
                     "choose another output folder"),
    ):
        done = subprocess.run(CLI + [str(raw), "--out", str(out), "--quiet"], capture_output=True, text=True)
        assert done.returncode == 2 and done.stdout == ""
        assert _one_sentence(done.stderr) == f"countyfiscal extract: {sentence}"
    assert not (raw / "processed").exists()


def test_an_output_folder_of_someone_elses_files_is_refused(raw, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_bytes(b"years of work")
    with pytest.raises(RunError, match=r"holds files countyfiscal did not write \(thesis.docx\)"):
        run_extract(raw, mine, progress=False)
    assert _tree(mine) == {"thesis.docx": b"years of work"}


# ------------------------------------------------------------------------------------------- stopped by the user


@pytest.fixture(scope="module")
def long_raw(tmp_path_factory) -> Path:
    """300 synthetic disclosures: a run long enough (several seconds) that a signal always lands inside it."""
    raw = tmp_path_factory.mktemp("long_raw")
    synth.write_txt(raw, 300)
    return raw


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_run_says_so_in_one_sentence_and_leaves_the_previous_outputs(long_raw, tmp_path, how):
    raw = long_raw
    out = tmp_path / "out"
    small = tmp_path / "raw"
    small.mkdir()
    shutil.copy(SEEDS[1], small / SEEDS[1].name)
    run_extract(small, out, progress=False)
    before = _tree(out)
    # As a run in the foreground of a terminal (Ctrl-C): a shell starts background jobs with SIGINT ignored, and a
    # test run from one (nohup, `&`) would pass that on to the command.
    proc = subprocess.Popen(CLI + [str(raw), "--out", str(out), "--jobs", "2", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".out.new-") for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    time.sleep(0.2)  # into the reading
    proc.send_signal(how)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and stdout == ""
    assert _one_sentence(stderr) == "countyfiscal extract: stopped before the end; the previous outputs are unchanged"
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out", "raw"]


# Run as the command, with a patch: the run's process sends itself ``how`` at a moment chosen by {when}.
_STOP_WITHIN = """
import os, signal, sys
import countyfiscal.pipeline as pipeline
import countyfiscal.workers as workers
from countyfiscal.cli import main

how = signal.{how}
{when}
sys.exit(main(sys.argv[1:]))
"""

# While the steps after reading stop their pool's workers (small corpora use a pool too, here): the pool's generator
# was left to be collected after the loop over its results, so the signal's exception was raised in a finaliser.
_WHILE_THE_POOL_STOPS = """
pipeline.POOL_MIN_DOCUMENTS = 0
on_pool, ask_to_stop, after = pipeline._on_pool, workers._Worker.ask_to_stop, []

def _on_pool(*a, **k):
    after.append(True)
    return on_pool(*a, **k)

def ask(self):
    if after and after.pop():
        os.kill(os.getpid(), how)
    ask_to_stop(self)

pipeline._on_pool, workers._Worker.ask_to_stop = _on_pool, ask
"""

# Inside a finaliser, where Python drops the handler's exception whatever the run does: the run must still not
# publish. (An object's __del__ that sends the signal and runs on; the run then writes its log and would publish.)
_INSIDE_A_FINALISER = """
write_log = pipeline._write_log

class Finalised:
    def __del__(self):
        os.kill(os.getpid(), how)
        for _ in range(1000):  # the handler runs here, and its exception goes no further
            pass

def _write_log(*a, **k):
    Finalised()
    write_log(*a, **k)

pipeline._write_log = _write_log
"""


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("when", ["while_the_pool_stops", "inside_a_finaliser"])
def test_a_stop_that_lands_where_python_drops_its_exception_still_stops_the_run(tmp_path, how, when):
    out = tmp_path / "out"
    small = tmp_path / "raw"
    small.mkdir()
    for p in SEEDS[:3]:
        shutil.copy(p, small / p.name)
    run_extract(small, out, progress=False, jobs=0)
    before = _tree(out)
    patch = _WHILE_THE_POOL_STOPS if when == "while_the_pool_stops" else _INSIDE_A_FINALISER
    code = _STOP_WITHIN.format(how=how, when=patch)
    done = subprocess.run([sys.executable, "-c", code, "extract", str(small), "--out", str(out), "--jobs", "2",
                           "--quiet"], capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert done.returncode == 130 and done.stdout == "", done.stderr
    sentence = "countyfiscal extract: stopped before the end; the previous outputs are unchanged"
    if when == "while_the_pool_stops":  # raised where the run is: the sentence alone
        assert _one_sentence(done.stderr) == sentence
    else:  # Python says it dropped the exception; the run says it stopped
        assert "Exception ignored in" in done.stderr and done.stderr.strip().splitlines()[-1] == sentence
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out", "raw"]
