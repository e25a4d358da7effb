"""The per-user cache folder (jieba's prefix dictionary, OCR results): private to the user who runs countyfiscal."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


class CacheError(OSError):
    """The cache folder exists but may not be trusted (another user owns it, or others may write to it)."""


def cache_root() -> Path:
    """``$COUNTYFISCAL_CACHE``, else ``$XDG_CACHE_HOME/countyfiscal``, else ``~/.cache/countyfiscal``.

    >>> os.environ["COUNTYFISCAL_CACHE"] = "/tmp/x"; str(cache_root()); del os.environ["COUNTYFISCAL_CACHE"]
    '/tmp/x'
    """
    if os.environ.get("COUNTYFISCAL_CACHE"):
        return Path(os.environ["COUNTYFISCAL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "countyfiscal"


def cache_dir(name: str) -> Path:
    """``cache_root()/name``, created with mode 0700; refused (CacheError) when it is not ours or others may write
    to it: a folder another local user prepared could feed us planted files (a predictable /tmp path could)."""
    folder = cache_root() / name
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for p in (folder, folder.parent):
        st = p.lstat()
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
            raise CacheError(f"the cache folder {p} is not a plain folder")
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            raise CacheError(f"the cache folder {p} belongs to another user")
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise CacheError(f"the cache folder {p} may be written by other users")
    return folder


def write_atomic(path: Path, data: bytes) -> None:
    """Write a cache file whole or not at all (a reader never sees half of it); one that cannot be written is skipped:
    a missing cache entry only costs time on the next run."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
