"""The output folder as one set: written under a lock into a fresh sibling folder, then swapped in whole.

A reader of ``data/processed`` sees the previous run or the new one, never a mix: a run writes every table into
``data/.processed.new-XXXX`` and, when all is written, exchanges that folder with ``data/processed`` in one step
(``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames, and a run killed between them is repaired by the
next). A killed run leaves only its hidden sibling folder, which the next run deletes. ``data/.processed.lock``
(an advisory ``flock``) keeps two runs from writing one folder at once: the second one is refused with a sentence.

The swap replaces the whole folder, so it only ever replaces a folder countyfiscal wrote (one holding its
``documents.csv`` and ``extract.log``) or an empty one; a ``.gitkeep`` is carried over.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import secrets
import shutil
import signal
import stat
import sys
import tempfile
from pathlib import Path

# A folder holding both was written by countyfiscal extract; carried into every new set when present.
OWN_FILES = ("documents.csv", "extract.log")
CARRIED = (".gitkeep",)
# Hidden temporary names an older version of the pipeline left inside the output folder.
_OLD_LEFTOVERS = (".figures.old.", ".probe.")


class OutputError(Exception):
    """The output folder cannot be written (busy, foreign, unwritable); str() is the sentence shown."""


class Stopped(BaseException):
    """The command was asked to stop by SIGTERM (``on_stop_signal``), or by any stop signal its run did not end on
    (``OutputSet.publish``)."""


# The stop signals this process received (``on_stop_signal``); ``publish`` refuses while one is noted.
_STOPS: list[int] = []


def on_stop_signal(signum: int, frame) -> None:
    """A command's handler of SIGTERM and SIGINT: notes the signal, then raises ``Stopped`` (SIGTERM) or
    ``KeyboardInterrupt`` (Ctrl-C, as Python's own handler), so the workers are stopped and the set is not published.

    The exception does not always end the run: Python runs a handler wherever the main thread is, and one raised
    inside a finaliser (an object's ``__del__``, a generator closed as it is collected) is printed as "Exception
    ignored" and dropped. The run would go on and swap in a set its user stopped; noted, the stop is raised again
    by ``publish``. ``forget_stop_signals`` clears them (a command starting or ending)."""
    _STOPS.append(signum)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Stopped


def forget_stop_signals() -> None:
    _STOPS.clear()


# Lock descriptors this process holds: a forked child (a worker) closes its copies, so the lock goes with this
# process even when it is killed while its workers are still running.
_HELD_LOCKS: set[int] = set()


def _close_held_locks() -> None:
    for fd in list(_HELD_LOCKS):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_locks)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class OutputSet:
    """``with OutputSet(out) as s:`` write into ``s.path``; ``s.publish()`` swaps it in. Leaving the block without
    publishing (an error, Ctrl-C) deletes what was written and leaves ``out`` as it was.

    ``start_from_current``: the new set starts as hard links of the current one (for a command that rewrites only
    some tables, such as ``countyfiscal check``; writers must replace files, never rewrite one in place).
    """

    def __init__(self, out_dir: str | Path, start_from_current: bool = False) -> None:
        self.given = Path(out_dir)
        self.start_from_current = start_from_current
        self.path: Path | None = None
        self.published = False
        self._lock_fd: int | None = None

    # -- the folder and its siblings

    def _resolve(self) -> None:
        # A symbolic link given as the output folder is written through: its target is swapped, not the link.
        target = Path(os.path.realpath(self.given))
        self.out = target
        self.parent = target.parent
        self.name = target.name
        if not self.name:
            raise OutputError(f"the output folder {self.given} cannot be the root folder")

    def _sibling(self, kind: str) -> str:
        return f".{self.name}.{kind}-"

    def __enter__(self) -> OutputSet:
        try:
            self._resolve()
            if self.parent.exists() and not self.parent.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
            self.parent.mkdir(parents=True, exist_ok=True)
            self._lock()
            if self.out.exists() and not self.out.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "it is a file, not a folder")
        except OSError as exc:
            self._unlock()
            raise OutputError(f"cannot write to the output folder {self.given}: {exc.strerror or exc}") from None
        try:
            self._recover()
            self._check_ours()
            self.path = Path(tempfile.mkdtemp(prefix=self._sibling("new"), dir=self.parent))
            if self.start_from_current and self.out.is_dir():
                _link_tree(self.out, self.path)
            else:
                for name in CARRIED:
                    if (self.out / name).is_file():
                        shutil.copy2(self.out / name, self.path / name)
        except OSError as exc:
            self._discard()
            self._unlock()
            raise OutputError(f"cannot write to the output folder {self.given}: {exc.strerror or exc}") from None
        except BaseException:
            self._discard()
            self._unlock()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if not self.published:
                self._discard()
        finally:
            self._unlock()

    def _discard(self) -> None:
        if self.path is not None and self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)

    # -- the lock

    def _lock(self) -> None:
        import fcntl

        path = self.parent / f".{self.name}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" (process {holder})" if holder.isdigit() else ""
            raise OutputError(f"another countyfiscal run{who} is writing to {self.given}; wait for it to finish "
                              "or choose another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd
        _HELD_LOCKS.add(fd)

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            # The lock file stays: deleting it would let a third run lock a new file while a second holds the old.
            _HELD_LOCKS.discard(self._lock_fd)
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- what a killed run left, and whose folder this is

    def _recover(self) -> None:
        """Put back a folder moved aside by an interrupted two-rename swap; delete every leftover sibling."""
        old = sorted(self.parent.glob(self._sibling("old") + "*"))
        if not self.out.exists() and old:
            os.rename(old[0], self.out)
            old = old[1:]
        for p in old + sorted(self.parent.glob(self._sibling("new") + "*")):
            _remove(p)

    def _check_ours(self) -> None:
        if not self.out.is_dir():
            return
        names = {p.name for p in self.out.iterdir()}
        foreign = sorted(n for n in names if n not in CARRIED and not n.startswith(_OLD_LEFTOVERS)
                         and not (n.startswith(".") and n.endswith(".tmp")))
        if foreign and not all(own in names for own in OWN_FILES):
            shown = ", ".join(foreign[:3]) + (", …" if len(foreign) > 3 else "")
            raise OutputError(f"the output folder {self.given} holds files countyfiscal did not write ({shown}); "
                              "choose a new or empty folder")

    # -- publishing

    def publish(self) -> None:
        """Give every file and folder the modes the umask asks for, then swap the new set in."""
        assert self.path is not None and not self.published
        if _STOPS:  # asked to stop, and its exception was lost on the way (``on_stop_signal``)
            raise Stopped
        _set_modes(self.path, _umask())
        if self.out.is_dir():
            if not _exchange(self.path, self.out):
                # Killed between these two renames, the folder is missing until the next run puts ``aside`` back.
                aside = self.parent / (self._sibling("old") + secrets.token_hex(4))
                os.rename(self.out, aside)
                os.rename(self.path, self.out)
                self.path = aside
        else:
            os.rename(self.path, self.out)
            self.path = None
        self.published = True
        if self.path is not None:  # now the previous set
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = None


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _link_tree(src: Path, dst: Path) -> None:
    for root, dirs, files in os.walk(src):
        rel = Path(root).relative_to(src)
        for d in dirs:
            (dst / rel / d).mkdir(exist_ok=True)
        for f in files:
            if f.startswith(".") and (f.endswith(".tmp") or f.startswith(_OLD_LEFTOVERS)):
                continue
            try:
                os.link(Path(root) / f, dst / rel / f)
            except OSError:
                shutil.copy2(Path(root) / f, dst / rel / f)


def _set_modes(folder: Path, umask: int) -> None:
    """Files 0666 and folders 0777 less the umask (mkstemp and mkdtemp make them 0600/0700)."""
    file_mode, dir_mode = 0o666 & ~umask, 0o777 & ~umask
    os.chmod(folder, dir_mode)
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            os.chmod(os.path.join(root, d), dir_mode)
        for f in files:
            p = os.path.join(root, f)
            if stat.S_ISREG(os.lstat(p).st_mode):
                os.chmod(p, file_mode)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2); False when the system cannot, so the caller renames twice."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err))
