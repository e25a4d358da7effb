"""OutputSet: a reader sees the previous set or the new one, whole; one writer at a time; foreign folders refused."""

from __future__ import annotations

import os
import stat

import pytest

import countyfiscal.outputs as outputs
from countyfiscal.outputs import OutputError, OutputSet


def _tree(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _write_set(out, tag: str, publish: bool = True) -> None:
    with OutputSet(out) as s:
        (s.path / "documents.csv").write_text(f"docs {tag}\n", encoding="utf-8")
        (s.path / "extract.log").write_text("", encoding="utf-8")
        (s.path / "figures").mkdir()
        (s.path / "figures" / "part.parquet").write_text(f"part {tag}", encoding="utf-8")
        if publish:
            s.publish()


OLD = {"documents.csv": b"docs old\n", "extract.log": b"", "figures/part.parquet": b"part old"}
NEW = {"documents.csv": b"docs new\n", "extract.log": b"", "figures/part.parquet": b"part new"}


def test_a_set_replaces_the_previous_one_whole_and_leaves_nothing_beside_it(tmp_path):
    out = tmp_path / "processed"
    out.mkdir()
    (out / ".gitkeep").write_bytes(b"")
    _write_set(out, "old")
    assert _tree(out) == {".gitkeep": b"", **OLD}  # .gitkeep carried over
    _write_set(out, "new")
    assert _tree(out) == {".gitkeep": b"", **NEW}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".processed.lock", "processed"]


def test_an_unpublished_set_leaves_the_previous_one(tmp_path):
    out = tmp_path / "processed"
    _write_set(out, "old")
    with pytest.raises(ZeroDivisionError):
        with OutputSet(out) as s:
            (s.path / "documents.csv").write_text("half", encoding="utf-8")
            1 / 0
    _write_set(out, "new", publish=False)
    assert _tree(out) == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == [".processed.lock", "processed"]


@pytest.mark.parametrize("exchange", [True, False])
def test_interrupted_at_any_step_of_publishing_the_folder_is_old_or_new_and_the_next_run_repairs_it(
        tmp_path, monkeypatch, exchange):
    """Ctrl-C before each rename, chmod or removal publish makes (with the one-step exchange, and with the
    two renames used where it is missing): the folder holds the old set or the new one, never a mix; after two
    renames interrupted between them it is missing, and the next run puts the old one back."""
    if not exchange:
        monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    steps = []
    real = {name: getattr(outputs.os, name) for name in ("rename", "chmod")}
    real_exchange = outputs._exchange
    real_rmtree = outputs.shutil.rmtree

    def counting(name, fn):
        def call(*args, **kwargs):
            steps.append(name)
            if len(steps) == stop[0]:
                raise KeyboardInterrupt
            return fn(*args, **kwargs)
        return call

    out = tmp_path / "processed"
    seen = set()
    for n in range(1, 40):
        stop = [n]
        steps.clear()
        if out.exists():
            real_rmtree(out)
        monkeypatch.undo()
        if not exchange:
            monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
        _write_set(out, "old")
        monkeypatch.setattr(outputs.os, "rename", counting("rename", real["rename"]))
        monkeypatch.setattr(outputs.os, "chmod", counting("chmod", real["chmod"]))
        monkeypatch.setattr(outputs, "_exchange", counting("exchange", real_exchange if exchange else (lambda a, b: False)))
        monkeypatch.setattr(outputs.shutil, "rmtree", counting("rmtree", real_rmtree))
        try:
            _write_set(out, "new")
            finished = True
        except KeyboardInterrupt:
            finished = False
        monkeypatch.setattr(outputs.os, "rename", real["rename"])
        monkeypatch.setattr(outputs.os, "chmod", real["chmod"])
        monkeypatch.setattr(outputs.shutil, "rmtree", real_rmtree)
        if out.exists():
            now = _tree(out)
            assert now in (OLD, NEW), (n, steps)
            seen.add("old" if now == OLD else "new")
        else:
            assert not exchange and steps[n - 1] == "rename", steps  # between the two renames only
            seen.add("missing")
            with OutputSet(out):  # the next run: puts the previous set back before anything else
                assert _tree(out) == OLD
        if finished:
            break
    assert finished and n > 3
    assert seen == ({"old", "new"} if exchange else {"old", "new", "missing"})
    # what an interrupted run left beside the folder is gone after the next one
    monkeypatch.undo()
    _write_set(out, "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".processed.lock", "processed"]


def test_a_second_writer_is_refused_with_one_sentence(tmp_path):
    out = tmp_path / "processed"
    with OutputSet(out) as first:
        with pytest.raises(OutputError) as err:
            with OutputSet(out):
                pass
        assert str(err.value) == (f"another countyfiscal run (process {os.getpid()}) is writing to {out}; "
                                  "wait for it to finish or choose another --out")
        (first.path / "documents.csv").write_text("first", encoding="utf-8")
        (first.path / "extract.log").write_text("", encoding="utf-8")
        first.publish()
    assert (out / "documents.csv").read_text(encoding="utf-8") == "first"
    with OutputSet(out):  # free again
        pass


def test_a_folder_countyfiscal_did_not_write_is_never_replaced(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.docx").write_text("years of work", encoding="utf-8")
    (home / "notes.txt").write_text("more", encoding="utf-8")
    with pytest.raises(OutputError) as err:
        with OutputSet(home):
            pass
    assert str(err.value) == (f"the output folder {home} holds files countyfiscal did not write (notes.txt, "
                              "thesis.docx); choose a new or empty folder")
    assert _tree(home) == {"notes.txt": b"more", "thesis.docx": b"years of work"}


def test_outputs_get_the_modes_the_umask_asks_for(tmp_path):
    out = tmp_path / "processed"
    for umask, file_mode, dir_mode in ((0o022, 0o644, 0o755), (0o027, 0o640, 0o750)):
        old = os.umask(umask)
        try:
            with OutputSet(out) as s:
                import tempfile

                fd, name = tempfile.mkstemp(dir=s.path)  # 0600, as mkstemp makes them
                os.close(fd)
                os.rename(name, s.path / "documents.csv")
                (s.path / "extract.log").write_text("", encoding="utf-8")
                (s.path / "figures").mkdir()
                s.publish()
        finally:
            os.umask(old)
        assert stat.S_IMODE(os.stat(out / "documents.csv").st_mode) == file_mode
        assert stat.S_IMODE(os.stat(out / "figures").st_mode) == dir_mode
        assert stat.S_IMODE(os.stat(out).st_mode) == dir_mode


def test_a_set_started_from_the_current_one_changes_none_of_its_files(tmp_path):
    out = tmp_path / "processed"
    _write_set(out, "old")
    with OutputSet(out, start_from_current=True) as s:
        assert _tree(s.path) == OLD  # hard links of the current files
        tmp = s.path / ".documents.csv.tmp"
        tmp.write_text("docs checked\n", encoding="utf-8")
        os.replace(tmp, s.path / "documents.csv")
        assert _tree(out) == OLD  # replacing a linked file leaves the published one alone
        s.publish()
    assert _tree(out) == {**OLD, "documents.csv": b"docs checked\n"}
