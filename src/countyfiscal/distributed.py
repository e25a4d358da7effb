"""Run the per-document function on a dask.distributed cluster (extra ``countyfiscal[dask]``), results in input order."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

# Documents per task: a document costs milliseconds, so a task carries hundreds (scheduler overhead is ~1 ms a task).
CHUNK = 250
# Tasks in flight per worker thread: enough to keep every thread busy, few enough that results do not pile up.
IN_FLIGHT_PER_THREAD = 2


def _run_chunk(fn: Callable[[Any], Any], items: list) -> list:
    return [fn(x) for x in items]


def map_ordered(fn: Callable[[Any], Any], items: list, address: Any, chunk: int | None = None,
                on_failure: Callable[[Any, str, str], Any] | None = None) -> Iterator[Any]:
    """``fn(item)`` for every item, computed on the dask scheduler at ``address`` (or a ``distributed.Client``).

    Items travel in tasks of ``chunk``; results are yielded in the order of ``items``, with a bounded number of
    tasks in flight, so the caller can stream them to disk. A task that fails (a worker died on one of its
    documents: dask gives up on it after its retries) is run again one document per task, and a document that
    still fails gives ``on_failure(item, sentence, traceback)``. The workers must import the same ``countyfiscal``
    and see the raw folder at the same place (a shared file system).
    """
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - depends on the optional extra
        raise RuntimeError("--dask needs dask.distributed: pip install 'countyfiscal[dask]'") from None
    chunk = chunk or CHUNK
    own = not isinstance(address, Client)
    client = Client(address) if own else address
    pending: deque = deque()
    try:
        threads = sum(client.nthreads().values()) or 1
        window = max(2, threads * IN_FLIGHT_PER_THREAD)
        chunks = [list(items[i:i + chunk]) for i in range(0, len(items), chunk)]
        nxt = 0
        while nxt < len(chunks) or pending:
            while nxt < len(chunks) and len(pending) < window:
                # pure=False: the same file list may be submitted twice (two runs) and must be recomputed.
                pending.append((client.submit(_run_chunk, fn, chunks[nxt], pure=False), chunks[nxt]))
                nxt += 1
            future, part = pending.popleft()
            try:
                results = future.result()
            except Exception:  # noqa: BLE001 - a worker died or the task raised: find the document, go on
                if on_failure is None:
                    raise
                results = [_one(client, fn, item, on_failure) for item in part]
            future.release()
            yield from results
    finally:
        for f, _ in pending:
            f.cancel()
        if own:
            client.close()


def _one(client, fn: Callable, item: Any, on_failure: Callable[[Any, str, str], Any]) -> Any:
    import traceback

    future = client.submit(fn, item, pure=False)
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001
        if type(exc).__name__ == "KilledWorker":
            return on_failure(item, "the reader crashed on it (the dask workers running it died)", "")
        return on_failure(item, "", "".join(traceback.format_exception(exc)))
    finally:
        future.release()
