"""raw_folder: every entry listed with why it is (not) read; links never followed; names escaped; reads stay inside."""

from __future__ import annotations

import os
import socket

import pytest

from countyfiscal.raw_folder import NotAFile, csv_cell, display_name, is_within, read_inside, scan


@pytest.fixture
def folder(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("outside the raw folder", encoding="utf-8")
    (raw / "a.txt").write_text("A", encoding="utf-8")
    (raw / ".hidden_budget.txt").write_text("H", encoding="utf-8")
    (raw / "README.txt").write_text("R", encoding="utf-8")
    (raw / "MANIFEST.csv").write_text("file,sha256,source,retrieved\n", encoding="utf-8")
    (raw / ".gitkeep").write_bytes(b"")
    (raw / "county").mkdir()
    (raw / "county" / "b.txt").write_text("B", encoding="utf-8")
    (raw / "county" / "deeper").mkdir()
    (raw / "county" / "deeper" / "c.txt").write_text("C", encoding="utf-8")
    (raw / "empty").mkdir()
    (raw / ".git").mkdir()
    (raw / ".git" / "HEAD").write_text("ref", encoding="utf-8")
    (raw / "out.txt").symlink_to(outside)
    (raw / "passwd").symlink_to("/etc/passwd")
    (raw / "environ").symlink_to("/proc/self/environ")
    (raw / "in.txt").symlink_to(raw / "a.txt")
    (raw / "county_link").symlink_to(raw / "county")
    (raw / "dangling.txt").symlink_to(tmp_path / "nothing")
    (raw / "loop1").symlink_to(raw / "loop2")
    (raw / "loop2").symlink_to(raw / "loop1")
    os.mkfifo(raw / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(raw / "sock"))
    (raw / os.fsdecode(b"bad\xffname.txt")).write_text("X", encoding="utf-8")
    (raw / "tab\tand\nnewline.txt").write_text("T", encoding="utf-8")
    yield raw
    sock.close()


def test_every_entry_is_listed_with_why_it_is_not_read(folder):
    entries = {e.name: e.reason for e in scan(folder)}
    read = sorted(n for n, r in entries.items() if not r)
    assert read == [".hidden_budget.txt", "README.txt", "a.txt", "bad\\xffname.txt", "county/b.txt",
                    "county/deeper/c.txt", "tab\\tand\\nnewline.txt"]
    reasons = {n: r for n, r in entries.items() if r}
    assert reasons == {
        ".git": "not read: a hidden folder (such folders hold tools' data, like .git)",
        "county_link": "not read: a symbolic link to the folder county in the raw folder; links are never followed",
        "dangling.txt": "not read: a symbolic link to nothing (its target does not exist); links are never followed",
        "empty": "not read: an empty folder",
        "environ": "not read: a symbolic link to something outside the raw folder; links are never followed",
        "in.txt": "not read: a symbolic link to the file a.txt in the raw folder; links are never followed",
        "loop1": "not read: a symbolic link that loops; links are never followed",
        "loop2": "not read: a symbolic link that loops; links are never followed",
        "out.txt": "not read: a symbolic link to something outside the raw folder; links are never followed",
        "passwd": "not read: a symbolic link to something outside the raw folder; links are never followed",
        "pipe": "not read: a named pipe (FIFO), not a file; never opened",
        "sock": "not read: a socket, not a file; never opened",
    }
    # the folder's own bookkeeping is not an input; a MANIFEST.csv that is something else would be
    assert "MANIFEST.csv" not in entries and ".gitkeep" not in entries
    assert [e.name for e in scan(folder)] == sorted(entries)


def test_a_manifest_or_gitkeep_that_is_not_bookkeeping_is_an_input(tmp_path):
    (tmp_path / "MANIFEST.csv").write_text("部门预算\n", encoding="utf-8")
    (tmp_path / ".gitkeep").write_text("not empty", encoding="utf-8")
    assert [(e.name, e.reason) for e in scan(tmp_path)] == [(".gitkeep", ""), ("MANIFEST.csv", "")]


def test_reads_never_follow_a_link_swapped_in_after_the_scan(folder, tmp_path):
    entry = {e.name: e for e in scan(folder)}["county/b.txt"]
    assert read_inside(folder, entry.rel) == b"B"
    # the file, then its folder, replaced by links to elsewhere between the scan and the read
    (folder / "county" / "b.txt").unlink()
    (folder / "county" / "b.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(NotAFile, match="replaced by a symbolic link"):
        read_inside(folder, entry.rel)
    os.rename(folder / "county", tmp_path / "moved")
    (folder / "county").symlink_to(tmp_path / "moved")
    with pytest.raises(NotAFile, match="folders was replaced"):
        read_inside(folder, entry.rel)
    # a pipe put where a file was is not opened for reading (it would block)
    (folder / "a.txt").unlink()
    os.mkfifo(folder / "a.txt")
    with pytest.raises(NotAFile, match="no longer a regular file"):
        read_inside(folder, b"a.txt")


def test_names_are_escaped_for_naive_readers_and_neutralised_for_spreadsheets():
    assert display_name("预算/2023年 部门.pdf".encode()) == "预算/2023年 部门.pdf"
    assert display_name(b"a\rb\x1bc\xe9.txt") == "a\\rb\\x1bc\\xe9.txt"
    assert display_name("x\u2028y".encode()) == "x\\u2028y"
    assert [csv_cell(n) for n in ("=1+1.txt", "+a", "-b", "@c", "a=b")] == ["'=1+1.txt", "'+a", "'-b", "'@c", "a=b"]


def test_is_within_resolves_links(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "raw")
    assert is_within(tmp_path / "link" / "out", tmp_path / "raw")
    assert is_within(tmp_path / "raw", tmp_path)
    assert not is_within(tmp_path / "rawer", tmp_path / "raw")
