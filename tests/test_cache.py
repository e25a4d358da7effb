"""The per-user cache folder is private, and a folder others may write to is refused."""

import os

import pytest

from countyfiscal.cache import CacheError, cache_dir


def test_cache_dir_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("COUNTYFISCAL_CACHE", str(tmp_path / "c"))
    folder = cache_dir("ocr")
    assert folder == tmp_path / "c" / "ocr"
    assert oct(folder.stat().st_mode & 0o777) == "0o700"


def test_cache_dir_others_may_write_is_refused(tmp_path, monkeypatch):
    root = tmp_path / "c"
    (root / "jieba").mkdir(parents=True)
    os.chmod(root / "jieba", 0o777)  # as another user could have prepared it
    monkeypatch.setenv("COUNTYFISCAL_CACHE", str(root))
    with pytest.raises(CacheError, match="written by other users"):
        cache_dir("jieba")


def test_cache_dir_symlink_is_refused(tmp_path, monkeypatch):
    root = tmp_path / "c"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    (root / "ocr").symlink_to(tmp_path / "elsewhere")
    monkeypatch.setenv("COUNTYFISCAL_CACHE", str(root))
    with pytest.raises(CacheError, match="not a plain folder"):
        cache_dir("ocr")


def test_jieba_builds_its_prefix_cache_in_the_private_folder(tmp_path, monkeypatch):
    from countyfiscal.text.tokenizer import Tokenizer

    monkeypatch.setenv("COUNTYFISCAL_CACHE", str(tmp_path / "c"))
    tok = Tokenizer(backend="jieba")
    assert tok.cut("信访局的预算") == ["信访局", "的", "预算"]
    assert tok.cache_dir == tmp_path / "c" / "jieba"
    assert oct(tok.cache_dir.stat().st_mode & 0o777) == "0o700"
    assert [p.suffix for p in tok.cache_dir.iterdir()] == [".cache"]  # jieba's pickled prefix dictionary


def test_jieba_refuses_a_cache_folder_another_user_could_have_planted(tmp_path, monkeypatch):
    from countyfiscal.text.tokenizer import Tokenizer

    root = tmp_path / "c"
    (root / "jieba").mkdir(parents=True)
    os.chmod(root / "jieba", 0o777)
    monkeypatch.setenv("COUNTYFISCAL_CACHE", str(root))
    with pytest.raises(CacheError, match="written by other users"):
        Tokenizer(backend="jieba").cut("信访局")


def test_a_cache_file_is_written_whole_or_skipped(tmp_path):
    from countyfiscal.cache import write_atomic

    target = tmp_path / "entry.bin"
    write_atomic(target, b"first")
    write_atomic(target, b"second, longer")
    assert target.read_bytes() == b"second, longer"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.bin"]  # no temporary file left
    write_atomic(tmp_path / "no-such-folder" / "entry.bin", b"x")  # cannot be written: skipped, no error
    assert not (tmp_path / "no-such-folder").exists()
