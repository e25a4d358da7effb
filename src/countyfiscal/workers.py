"""One function over many inputs in worker processes, results in input order; a worker that crashes, runs past its
time limit or grows past its memory limit costs only the input it held (the pool replaces it and goes on).

Workers are forked, ignore Ctrl-C (the parent stops them) and die with the parent even when it is killed
(``PR_SET_PDEATHSIG`` on Linux; elsewhere a thread in each worker watches for the parent). The memory limit is
watched from the parent: a worker's anonymous memory grown since it was forked (Linux ``/proc``; not enforced
elsewhere).
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import math
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

# How often the parent looks at its workers' clocks and memory when no result arrives.
POLL_SECONDS = 0.2
# Inputs sent ahead to each worker, so it never waits for the parent between two of them: at least PREFETCH, and
# as many as take PREFETCH_SECONDS by the time inputs have taken so far (up to PREFETCH_MAX). The parent hands out
# inputs only between two of the results it yields, and its caller can take tens of milliseconds over one (a batch
# written to disk): two short inputs ahead were not enough (1,000 synthetic documents of ≈ 10 ms each: each worker
# waited ≈ 0.3 s in all with 2 ahead, ≈ 0.04 s with 8).
PREFETCH = 2
PREFETCH_MAX = 8
PREFETCH_SECONDS = 0.08


@dataclass(frozen=True)
class Limits:
    """Per-input limits of a worker. ``seconds`` + ``seconds_per_page`` × pages (pages as the worker reports them
    through ``report_pages``, at most ``max_pages`` counted: the pages OCR reads at most, ``ingest.limits``'
    MAX_OCR_PAGES): a scanned PDF read with OCR needs ~4 s a page.
    ``memory_mb``: memory the worker allocated since it was forked. 0 switches a limit off."""

    seconds: float = 300.0
    seconds_per_page: float = 8.0
    max_pages: int = 200
    memory_mb: int = 4096

    def seconds_for(self, pages: int | None) -> float:
        if not self.seconds:
            return float("inf")
        return self.seconds + self.seconds_per_page * min(pages or 0, self.max_pages)


NO_LIMITS = Limits(seconds=0, seconds_per_page=0, memory_mb=0)


class Raised:
    """What a worker sends back when the function raised (it should not): the traceback, for the log."""

    def __init__(self, tb: str) -> None:
        self.traceback = tb


# -- inside a worker

_CURRENT: dict[str, Any] = {}


def report_pages(n: int | None) -> None:
    """Called by the function inside a worker once it knows how many pages its input has (extends its time
    limit); a no-op outside a worker."""
    conn = _CURRENT.get("conn")
    if conn is not None and n:
        with contextlib.suppress(OSError, ValueError):
            conn.send(("pages", _CURRENT["seq"], int(n), 0.0))


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
            if os.getppid() != parent:  # the parent died before prctl
                os._exit(1)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _worker_main(conn, fn: Callable, initializer: Callable | None, parent: int, mask: set | None = None) -> None:
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Not the handler inherited from the parent's command (which raises to stop a run): a worker the parent or the
    # interpreter's exit terminates just ends.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if mask is not None:  # the parent held SIGINT and SIGTERM back while it forked (``signals_held``)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    faulthandler.disable()  # a crash is the parent's to report, in one sentence: no stack dump on the screen
    if initializer is not None:
        initializer()
    _CURRENT["conn"] = conn
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            break
        if msg is None:
            break
        seq, item = msg
        _CURRENT["seq"] = seq
        started = time.perf_counter()
        try:
            result = fn(item)
        except BaseException:  # noqa: BLE001 - reported to the parent, which decides
            result = Raised(traceback.format_exc())
        try:
            conn.send(("done", seq, result, time.perf_counter() - started))
        except (OSError, ValueError):
            break
    os._exit(0)  # no atexit handlers or flushing of state inherited from the parent


# -- in the parent


def _anon_mb(pid: int) -> float:
    """Anonymous resident memory (and swap) of a process, in MB, from /proc/PID/status (Linux; 0 elsewhere).

    Cheap (no walk of the page tables, unlike smaps). A worker's own memory is its growth since it was forked: the
    pages it shares with its parent are in the baseline, so a large parent does not count against it."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            kb = 0
            for line in fh:
                if line.startswith((b"RssAnon:", b"VmSwap:")):
                    kb += int(line.split()[1])
            return kb / 1024
    except (OSError, ValueError, IndexError):
        return 0.0


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


def crash_reason(exitcode: int | None) -> str:
    """The sentence for a worker that died while reading an input.

    >>> crash_reason(-11)
    'the reader crashed on it (its process was killed by SIGSEGV)'
    """
    if exitcode is not None and exitcode < 0:
        name = _signal_name(-exitcode)
        if name == "SIGKILL":
            return "the reader crashed on it (its process was killed by SIGKILL, e.g. when the machine ran out of memory)"
        return f"the reader crashed on it (its process was killed by {name})"
    return f"the reader crashed on it (its process exited with status {exitcode})"


# Held back while the parent forks a worker (``signals_held``).
_HELD = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def signals_held() -> Iterator[set | None]:
    """SIGINT and SIGTERM held back in this thread while it forks; yields the signal mask to restore (None where
    masks are not available).

    ``os.fork`` runs Python callbacks around the fork (logging's, for one). A Ctrl-C or SIGTERM whose handler ran
    inside one of them raised there, where Python prints "Exception ignored" and drops the exception: the run went
    on to the end as if it had not been stopped. Held back, the signal arrives when the fork is over, in ordinary
    code. The child starts with the signals held as well; ``_worker_main`` restores its mask.

    The mask holds them back from this thread only: another thread that does not hold them (numpy's BLAS threads,
    tqdm's monitor) takes the signal, and Python then runs the handler in the main thread, inside a callback again.
    So, in the main thread, the Python handlers are swapped for one that notes the signal, and a signal noted is
    raised again once the fork is over and the handlers are back. A child inherits the noting handler: it must set
    its own (``_worker_main`` and the render's workers do)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield None
        return
    noted: list[int] = []
    handlers = {}
    if threading.current_thread() is threading.main_thread():
        for signum in _HELD:
            if signal.getsignal(signum) is not None:  # (None: a handler not set from Python, left alone)
                handlers[signum] = signal.signal(signum, lambda n, frame: noted.append(n))
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield old
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
        for signum in dict.fromkeys(noted):
            signal.raise_signal(signum)


class _Worker:
    def __init__(self, ctx, fn: Callable, initializer: Callable | None) -> None:
        parent_conn, child_conn = ctx.Pipe(duplex=True)
        self.proc = None
        try:
            with signals_held() as mask:
                self.proc = ctx.Process(target=_worker_main, args=(child_conn, fn, initializer, os.getpid(), mask),
                                        daemon=True)
                self.proc.start()
        except BaseException:  # a Ctrl-C held back during the fork lands here: the new process goes with it
            if self.proc is not None and self.proc.pid is not None:
                with contextlib.suppress(OSError):
                    self.proc.kill()
                self.proc.join()
            for conn in (parent_conn, child_conn):
                with contextlib.suppress(OSError):
                    conn.close()
            raise
        self.baseline_mb = _anon_mb(self.proc.pid)  # what it shares with the parent, copied at fork
        child_conn.close()
        self.conn = parent_conn
        self.tasks: deque[int] = deque()
        self.since = time.monotonic()
        self.pages: int | None = None
        self.results = 0  # results received from this worker (its first input also paid for its imports)

    def send(self, seq: int, item: Any) -> None:
        self.conn.send((seq, item))
        if not self.tasks:
            self.since, self.pages = time.monotonic(), None
        self.tasks.append(seq)

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        self.proc.join()
        with contextlib.suppress(OSError):
            self.conn.close()

    def ask_to_stop(self) -> None:
        """Tell it to end once idle (``stop`` waits for it)."""
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)

    def stop(self) -> None:
        """Wait up to 2 s for it to end after ``ask_to_stop``, else kill it."""
        self.proc.join(timeout=2)
        if self.proc.is_alive():
            self.kill()
        with contextlib.suppress(OSError):
            self.conn.close()


def prefetch(per_input: float) -> int:
    """How many inputs each worker holds when an input takes it ``per_input`` seconds (0: not known yet).

    >>> [prefetch(s) for s in (0, 0.001, 0.01, 0.03, 0.05, 2.0)]
    [2, 8, 8, 3, 2, 2]
    """
    if per_input <= 0:
        return PREFETCH
    return max(PREFETCH, min(PREFETCH_MAX, math.ceil(PREFETCH_SECONDS / per_input)))


def imap(fn: Callable[[Any], Any], items: Iterable[Any], jobs: int, *, limits: Limits = Limits(),
         on_failure: Callable[[Any, str, str], Any], initializer: Callable | None = None,
         ahead: int | None = None) -> Iterator[Any]:
    """``fn(item)`` for every item, on ``jobs`` forked worker processes, yielded in input order.

    An input whose worker crashed, ran past ``limits`` or raised gives ``on_failure(item, reason, log)`` instead
    (``reason`` one sentence; ``log`` a traceback or ""). At most ``ahead`` results wait for an earlier one, so
    memory stays bounded whatever the corpus size. The workers are forked and given their first inputs before this
    returns, so they work while the caller gets ready for the results; ``close()`` the iterator to stop them early.
    """
    items = list(items)
    if not items:
        return iter(())
    gen = _imap(fn, items, jobs, limits, on_failure, initializer, ahead)
    next(gen)  # up to the first dispatch
    return gen


def _imap(fn: Callable[[Any], Any], items: list[Any], jobs: int, limits: Limits,
          on_failure: Callable[[Any, str, str], Any], initializer: Callable | None,
          ahead: int | None) -> Iterator[Any]:
    """``imap``'s generator; it first yields None once its workers hold their first inputs."""
    n = len(items)
    ctx = mp.get_context("fork")
    ahead = ahead or max(16, 16 * jobs)
    todo: deque[int] = deque(range(n))
    done: dict[int, Any] = {}
    next_out = 0
    workers: list[_Worker] = []  # started inside the try below, so an interrupt while starting them stops them too
    last_memory_check = 0.0
    per_input = 0.0  # seconds an input takes a worker, a moving average over the results (0: none yet)

    def fail_head(w: _Worker, reason: str) -> None:
        if w.tasks:
            seq = w.tasks.popleft()
            done[seq] = on_failure(items[seq], reason, "")
        if w.tasks:  # sent ahead but never started: they go to another worker
            todo.extend(w.tasks)
            todo_sorted = sorted(todo)
            todo.clear()
            todo.extend(todo_sorted)
            w.tasks.clear()

    def replace(w: _Worker) -> None:
        workers[workers.index(w)] = _Worker(ctx, fn, initializer)

    started = False
    try:
        for _ in range(max(1, min(jobs, n))):
            workers.append(_Worker(ctx, fn, initializer))
        while next_out < n:
            hold = prefetch(per_input)
            for w in workers:
                while len(w.tasks) < hold and todo and todo[0] < next_out + ahead:
                    seq = todo.popleft()
                    try:
                        w.send(seq, items[seq])
                    except (OSError, ValueError):  # it died since the last look: replaced below, seq sent again
                        todo.appendleft(seq)
                        break
            if not started:
                started = True
                yield None
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1
            if next_out >= n:
                break
            wait([w.conn for w in workers] + [w.proc.sentinel for w in workers], timeout=POLL_SECONDS)
            now = time.monotonic()
            check_memory = limits.memory_mb and now - last_memory_check >= POLL_SECONDS / 2
            if check_memory:
                last_memory_check = now
            for w in list(workers):
                alive = True
                try:
                    while w.conn.poll():
                        kind, seq, payload, took = w.conn.recv()
                        if kind == "pages":
                            if w.tasks and w.tasks[0] == seq:
                                w.pages = payload
                            continue
                        w.tasks.popleft()
                        w.since, w.pages = time.monotonic(), None
                        if w.results:  # (not a worker's first input, which also paid for its imports)
                            per_input = took if per_input <= 0 else 0.8 * per_input + 0.2 * took
                        w.results += 1
                        if isinstance(payload, Raised):
                            done[seq] = on_failure(items[seq], "", payload.traceback)
                        else:
                            done[seq] = payload
                except (EOFError, OSError):
                    alive = False
                if not alive or not w.proc.is_alive():
                    w.proc.join()
                    fail_head(w, crash_reason(w.proc.exitcode))
                    w.kill()
                    replace(w)
                    continue
                if not w.tasks:
                    continue
                allowed = limits.seconds_for(w.pages)
                if now - w.since > allowed:
                    w.kill()
                    fail_head(w, f"reading it took longer than the limit of {allowed:.0f} s per document "
                                 "(--time-limit)")
                    replace(w)
                elif check_memory and _anon_mb(w.proc.pid) - w.baseline_mb > limits.memory_mb:
                    w.kill()
                    fail_head(w, f"reading it took more than the limit of {limits.memory_mb} MB of memory "
                                 "(--memory-limit)")
                    replace(w)
    finally:
        # All are told first, then waited for: they end side by side (≈ 8 ms each on 1,000 synthetic documents).
        idle = [w for w in workers if not w.tasks]
        for w in workers:
            if w.tasks:
                w.kill()
            else:
                w.ask_to_stop()
        for w in idle:
            w.stop()
