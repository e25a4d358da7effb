"""The entries of a raw folder: which are read and which are not (and why), named safely, opened without leaving it.

Every entry of the folder is accounted for (``scan``): a regular file is an input; anything else gets a one-sentence
reason why it is not read. Sub-folders are read recursively (their files are named by their path below the raw
folder, ``county/budget.pdf``); hidden sub-folders (``.git``, ``.ipynb_checkpoints``) are listed and not read.
Symbolic links are never followed, named pipes, sockets and devices never opened. The folder's own bookkeeping
(``MANIFEST.csv`` with its ``file,…`` header and an empty ``.gitkeep`` at the top) is not an input.

A file's name in every output (``file``) is its path below the raw folder as text; a name that is not valid UTF-8,
or holds a control character (tab, CR, LF, …), is written with backslash escapes (``\\xff``, ``\\t``, ``\\n``), so
every table stays one line per row for any reader. ``csv_cell`` additionally neutralises a name a spreadsheet would
run as a formula (leading ``=``, ``+``, ``-``, ``@``) in the CSV outputs; Parquet keeps the name as is.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

# Folders nested deeper than this below the raw folder are listed, not read.
MAX_DEPTH = 16
_MANIFEST_HEADER = b"file,"
# Characters that end a line for some reader (str.splitlines, spreadsheets, cut/awk) or are invisible controls.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
# A cell a spreadsheet would evaluate (OWASP "CSV injection"): prefixed with ' in the CSV outputs.
FORMULA_START = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Entry:
    """One entry of the raw folder: ``name`` is its ``file`` in the outputs, ``rel`` its path below the folder
    (bytes, as the file system has it); ``reason`` is empty for a file to read, else why it is not read."""

    name: str
    rel: bytes
    reason: str = ""

    @property
    def is_input(self) -> bool:
        return not self.reason


def display_name(rel: bytes) -> str:
    r"""The ``file`` of an entry: its path as text, bytes that are not UTF-8 and control characters escaped.

    >>> display_name("预算/2023年.pdf".encode())
    '预算/2023年.pdf'
    >>> display_name(b"bad\xff\xfename\t.txt")
    'bad\\xff\\xfename\\t.txt'
    """
    text = rel.decode("utf-8", "backslashreplace")
    return _CONTROL.sub(_escape, text)


def _escape(m: re.Match) -> str:
    ch = m.group()
    return _NAMED.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")


def csv_cell(value: str) -> str:
    """A file name as written into a CSV output: a leading ``=``, ``+``, ``-`` or ``@`` gets a ``'`` before it, so
    a spreadsheet shows the name instead of running it as a formula.

    >>> csv_cell("=HYPERLINK(1).txt"), csv_cell("budget.txt")
    ("'=HYPERLINK(1).txt", 'budget.txt')
    """
    return "'" + value if value.startswith(FORMULA_START) else value


def scan(raw_dir: str | Path) -> list[Entry]:
    """Every entry below ``raw_dir``, sorted by name: the files to read and, with a reason, what is not read.

    Raises OSError when ``raw_dir`` itself cannot be listed.
    """
    root = os.open(raw_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        real_root = os.path.realpath(raw_dir)
        entries: list[Entry] = []
        _scan_folder(root, b"", real_root, Path(raw_dir), 0, entries)
    finally:
        os.close(root)
    return sorted(entries, key=lambda e: e.name)


def _scan_folder(fd: int, prefix: bytes, real_root: str, raw_dir: Path, depth: int, out: list[Entry]) -> None:
    with os.scandir(fd) as it:
        names = sorted(os.fsencode(e.name) for e in it)
    for raw_name in names:
        rel = prefix + raw_name
        name = display_name(rel)
        try:
            st = os.stat(raw_name, dir_fd=fd, follow_symlinks=False)
        except OSError as exc:
            out.append(Entry(name, rel, f"not read: it could not be examined ({exc.strerror or exc})"))
            continue
        mode = st.st_mode
        if stat.S_ISREG(mode):
            if depth == 0 and _is_bookkeeping(fd, raw_name, st):
                continue
            out.append(Entry(name, rel))
        elif stat.S_ISLNK(mode):
            out.append(Entry(name, rel, _link_reason(raw_dir, rel, real_root)))
        elif stat.S_ISDIR(mode):
            if raw_name.startswith(b"."):
                out.append(Entry(name, rel, "not read: a hidden folder (such folders hold tools' data, like .git)"))
            elif depth + 1 > MAX_DEPTH:
                out.append(Entry(name, rel, f"not read: a folder nested more than {MAX_DEPTH} levels deep"))
            else:
                before = len(out)
                try:
                    sub = os.open(raw_name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                except OSError as exc:
                    out.append(Entry(name, rel, f"not read: a folder that cannot be opened ({exc.strerror or exc})"))
                    continue
                try:
                    _scan_folder(sub, rel + b"/", real_root, raw_dir, depth + 1, out)
                except OSError as exc:
                    del out[before:]
                    out.append(Entry(name, rel, f"not read: a folder that cannot be listed ({exc.strerror or exc})"))
                    continue
                finally:
                    os.close(sub)
                if len(out) == before:
                    out.append(Entry(name, rel, "not read: an empty folder"))
        elif stat.S_ISFIFO(mode):
            out.append(Entry(name, rel, "not read: a named pipe (FIFO), not a file; never opened"))
        elif stat.S_ISSOCK(mode):
            out.append(Entry(name, rel, "not read: a socket, not a file; never opened"))
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            out.append(Entry(name, rel, "not read: a device, not a file; never opened"))
        else:
            out.append(Entry(name, rel, "not read: not a regular file"))


def _is_bookkeeping(fd: int, raw_name: bytes, st: os.stat_result) -> bool:
    """The folder's own MANIFEST.csv (a ``file,…`` header) or an empty .gitkeep: they describe the inputs."""
    if raw_name == b".gitkeep":
        return st.st_size == 0
    if raw_name != b"MANIFEST.csv":
        return False
    try:
        head = _read_at(fd, raw_name, len(_MANIFEST_HEADER) + 3)
    except OSError:
        return False
    return head.removeprefix(b"\xef\xbb\xbf").startswith(_MANIFEST_HEADER)


def _link_reason(raw_dir: Path, rel: bytes, real_root: str) -> str:
    """Why a symbolic link is not followed, saying where it points only when that is inside the folder."""
    path = os.path.join(os.fsencode(raw_dir), rel)
    try:
        target = os.path.realpath(path, strict=True)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "not read: a symbolic link that loops; links are never followed"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "not read: a symbolic link to nothing (its target does not exist); links are never followed"
        return f"not read: a symbolic link that cannot be resolved ({exc.strerror or exc}); links are never followed"
    root = os.fsencode(real_root)
    if target != root and not target.startswith(root.rstrip(b"/") + b"/"):
        return "not read: a symbolic link to something outside the raw folder; links are never followed"
    inside = display_name(os.path.relpath(target, root)) if target != root else "."
    what = "the folder" if os.path.isdir(target) else "the file"
    return f"not read: a symbolic link to {what} {inside} in the raw folder; links are never followed"


def _read_at(fd: int, raw_name: bytes, size: int | None = None) -> bytes:
    f = os.open(raw_name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0), dir_fd=fd)
    try:
        if not stat.S_ISREG(os.fstat(f).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return os.read(f, size) if size is not None else _read_all(f)
    finally:
        os.close(f)


def _read_all(f: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(f, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


class NotAFile(OSError):
    """The entry is (no longer) a regular file inside the raw folder; str() is the sentence."""


def open_inside(raw_dir: str | Path, rel: bytes) -> int:
    """A read-only descriptor of the regular file ``rel`` below ``raw_dir``, never following a symbolic link on the
    way (a folder or the file replaced by a link after ``scan`` is refused) and never blocking on a pipe.

    Raises NotAFile (one sentence) or OSError."""
    parts = rel.split(b"/")
    fd = os.open(raw_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts[:-1]:
            try:
                nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise NotAFile(exc.errno, "one of its folders was replaced by a symbolic link or a file") from None
                raise
            os.close(fd)
            fd = nxt
        try:
            f = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0),
                        dir_fd=fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise NotAFile(exc.errno, "it was replaced by a symbolic link (links are never followed)") from None
            raise
    finally:
        os.close(fd)
    if not stat.S_ISREG(os.fstat(f).st_mode):
        os.close(f)
        raise NotAFile(errno.EINVAL, "it is no longer a regular file")
    return f


def read_inside(raw_dir: str | Path, rel: bytes) -> bytes:
    """The bytes of the regular file ``rel`` below ``raw_dir`` (see ``open_inside``)."""
    f = open_inside(raw_dir, rel)
    try:
        return _read_all(f)
    finally:
        os.close(f)


def entries_by_name(raw_dir: str | Path) -> dict[str, Entry]:
    """``scan`` as a mapping from ``file`` to entry (to find the file behind a row of documents.csv)."""
    return {e.name: e for e in scan(raw_dir)}


def is_within(inner: str | Path, outer: str | Path) -> bool:
    """Whether ``inner`` is ``outer`` or below it, once both are resolved (symbolic links, ``..``).

    >>> is_within("/data/raw/out", "/data/raw"), is_within("/data/processed", "/data/raw")
    (True, False)
    """
    a, b = os.path.realpath(inner), os.path.realpath(outer)
    return a == b or a.startswith(b.rstrip(os.sep) + os.sep)
