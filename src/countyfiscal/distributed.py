"""Run the per-document function on a dask.distributed cluster (extra ``countyfiscal[dask]``), results in input order."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Documents per task: a few ms of work each, so single-document tasks would drown in scheduler overhead.
CHUNK = 32
# Tasks in flight per worker thread: enough to keep every thread busy, few enough that results do not pile up.
IN_FLIGHT_PER_THREAD = 4


def _run_chunk(fn: Callable[[Any], Any], items: list) -> list:
    return [fn(x) for x in items]


def map_ordered(fn: Callable[[Path], Any], paths: list[Path], address: Any, chunk: int = CHUNK) -> Iterator[Any]:
    """``fn(p)`` for every path, computed on the dask scheduler at ``address`` (or a ``distributed.Client``).

    Results are yielded in the order of ``paths``, with a bounded number of tasks in flight, so the caller can
    stream them to disk. The workers must import the same ``countyfiscal`` and see ``paths`` at the same place
    (a shared file system).
    """
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - depends on the optional extra
        raise RuntimeError("--dask needs dask.distributed: pip install 'countyfiscal[dask]'") from None
    own = not isinstance(address, Client)
    client = Client(address) if own else address
    pending: deque = deque()
    try:
        threads = sum(client.nthreads().values()) or 1
        window = max(2, threads * IN_FLIGHT_PER_THREAD)
        chunks = [list(paths[i:i + chunk]) for i in range(0, len(paths), chunk)]
        nxt = 0
        while nxt < len(chunks) or pending:
            while nxt < len(chunks) and len(pending) < window:
                # pure=False: the same file list may be submitted twice (two runs) and must be recomputed.
                pending.append(client.submit(_run_chunk, fn, chunks[nxt], pure=False))
                nxt += 1
            future = pending.popleft()
            results = future.result()
            future.release()
            yield from results
    finally:
        for f in pending:
            f.cancel()
        if own:
            client.close()
