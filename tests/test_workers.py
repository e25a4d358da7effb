"""workers.imap: results in input order; a crash, a time limit, a memory limit or an exception costs one input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from countyfiscal.workers import Limits, imap, report_pages


def _failed(item, reason, log):
    return ("failed", item, reason, log.splitlines()[-1] if log else "")


def _work(item):
    if item == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    if item == "oom-killed":
        os.kill(os.getpid(), signal.SIGKILL)
    if item == "exit":
        os._exit(3)
    if item == "hang":
        time.sleep(60)
    if item == "slow-pdf":
        report_pages(10)  # 10 pages at 0.5 s each: 5.5 s allowed
        time.sleep(1.5)
    if item == "balloon":
        report_pages(20)  # time enough (11 s) to touch 400 MB on a loaded machine: the memory limit must be what ends it
        block = bytearray(400 * 2**20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(5)
    if item == "raise":
        raise ValueError("planted")
    return ("ok", item, os.getpid())


ITEMS = ["a", "segv", "b", "oom-killed", "c", "exit", "d", "hang", "e", "raise", "slow-pdf", "balloon", "f"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_each_failure_costs_only_its_input_and_order_is_kept(jobs):
    limits = Limits(seconds=1.0, seconds_per_page=0.5, memory_mb=300)
    # A parent larger than the limit (as one holding 100,000 documents' rows): its pages, shared with the forked
    # workers, do not count against them.
    ballast = bytearray(350 * 2**20)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    t0 = time.monotonic()
    out = list(imap(_work, ITEMS, jobs, limits=limits, on_failure=_failed))
    del ballast
    assert time.monotonic() - t0 < 40
    assert [r[1] for r in out] == ITEMS
    by_item = {r[1]: r for r in out}
    for item in ("a", "b", "c", "d", "e", "f", "slow-pdf"):
        assert by_item[item][0] == "ok", by_item[item]
    assert by_item["segv"][2] == "the reader crashed on it (its process was killed by SIGSEGV)"
    assert by_item["oom-killed"][2] == ("the reader crashed on it (its process was killed by SIGKILL, e.g. when the "
                                        "machine ran out of memory)")
    assert by_item["exit"][2] == "the reader crashed on it (its process exited with status 3)"
    assert by_item["hang"][2] == "reading it took longer than the limit of 1 s per document (--time-limit)"
    assert by_item["balloon"][2] == "reading it took more than the limit of 300 MB of memory (--memory-limit)"
    assert by_item["raise"][2:] == ("", "ValueError: planted")
    # the pool replaced the workers it lost and went on
    assert len({r[2] for r in out if r[0] == "ok"}) >= 4


def test_no_limits_and_no_items():
    assert list(imap(_work, [], 2, on_failure=_failed)) == []
    out = list(imap(_work, list("abcdefghij"), 2, limits=Limits(0, 0, 0, 0), on_failure=_failed))
    assert [r[1] for r in out] == list("abcdefghij")


def test_killing_the_parent_kills_its_workers(tmp_path):
    """SIGKILL of the process that runs the pool (it gets no chance to clean up): its workers die too."""
    pids = tmp_path / "pids"
    script = textwrap.dedent(f"""
        import os, time
        from countyfiscal.workers import imap

        def work(item):
            with open({str(pids)!r}, "a") as fh:
                fh.write(f"{{os.getpid()}}\\n")
            time.sleep(120)

        list(imap(work, range(4), 2, on_failure=lambda *a: None))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 30
    while not pids.exists() or len(pids.read_text().split()) < 2:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    workers = [int(p) for p in pids.read_text().split()]
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    alive = workers
    while alive and time.monotonic() < deadline:
        alive = [p for p in workers if _alive(p)]
        time.sleep(0.05)
    assert alive == []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("other_thread", [False, True])
def test_a_ctrl_c_that_lands_while_a_worker_is_forked_stops_the_caller(other_thread):
    # os.fork runs Python callbacks around the fork; a KeyboardInterrupt raised inside one is printed as "Exception
    # ignored" and dropped, and the run went on to its end. The signal is held back while a worker is forked, so it
    # reaches the caller afterwards, and the worker just started goes with it (nothing is left to print at exit).
    # Another thread that does not hold it back (numpy's BLAS threads, tqdm's monitor) takes it instead, and its
    # handler ran in the callback all the same ("finished": the render's test failed so when a BLAS thread was up).
    code = textwrap.dedent(f"""
        import os, signal, threading, time
        from countyfiscal.workers import imap

        if {other_thread}:
            threading.Thread(target=time.sleep, args=(30,), daemon=True).start()

        def hook():
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(20):  # Python would run the handler here, inside the fork's callback (the sleeps give
                time.sleep(0.001)  # the other thread time to take the signal)

        os.register_at_fork(after_in_parent=hook)
        try:
            results = list(imap(abs, [-1, -2, -3], 2, on_failure=lambda *a: None))
        except KeyboardInterrupt:
            print("stopped")
        else:
            print("finished", results)
    """)
    # As a command in the foreground of a terminal: a test run from a background job (`&`, nohup) has SIGINT ignored.
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert (done.stdout, done.stderr) == ("stopped\n", "")


def test_a_worker_has_its_callers_signal_mask_ignores_ctrl_c_and_ends_on_sigterm():
    # Forked with SIGINT and SIGTERM held back, a worker restores the caller's signal mask. It ignores Ctrl-C (its
    # caller stops it) and ends on SIGTERM, whatever handler the caller's command set (the CLI's raises to stop a run:
    # inherited, a worker terminated at the interpreter's exit printed that exception's traceback).
    def probe(_):
        return (signal.getsignal(signal.SIGINT) is signal.SIG_IGN, signal.getsignal(signal.SIGTERM) is signal.SIG_DFL,
                signal.pthread_sigmask(signal.SIG_BLOCK, set()))

    def stop(signum, frame):
        raise SystemExit("stopped")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        assert list(imap(probe, [0], 1, on_failure=_failed)) == [
            (True, True, signal.pthread_sigmask(signal.SIG_BLOCK, set()))]
    finally:
        signal.signal(signal.SIGTERM, previous)


def _sleep(seconds):
    time.sleep(seconds)
    return seconds


@pytest.mark.parametrize("seconds, most", [(0.001, 8), (0.1, 2)])
def test_a_worker_holds_more_short_inputs_than_long_ones(monkeypatch, seconds, most):
    # A caller that takes its time over each result (as the run writing a batch) must not leave a worker waiting: a
    # worker holds as many inputs as take ≈ PREFETCH_SECONDS by the time inputs have taken so far, 2 to 8.
    import countyfiscal.workers as workers

    held = []
    send = workers._Worker.send

    def spy(self, seq, item):
        send(self, seq, item)
        held.append(len(self.tasks))

    monkeypatch.setattr(workers._Worker, "send", spy)
    n = 60 if most == 8 else 8
    for _ in imap(_sleep, [seconds] * n, 2, on_failure=_failed):
        time.sleep(0.005)
    assert max(held) == most
