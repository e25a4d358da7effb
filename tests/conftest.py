"""Tests that read ../shared (the real dev and wide corpora beside the clone) never skip silently.

Everything the tests need to check the seeds lives in the repository (tests/data/, docs/). The real-corpus tests read
../shared in place; without it they cannot run. Then: on a CI machine (``CI`` set, as CI services do, or
``COUNTYFISCAL_REQUIRE_SHARED=1``) each such skip is a failure, since CI puts ../shared beside the clone; anywhere
else the run ends with a section naming every test that did not run for want of ../shared.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
# How the real-corpus tests word their skip reasons.
NEEDS_SHARED = re.compile(r"shared|dev.corpus|wide.corpus", re.I)
_SKIPPED: list[str] = []


def _required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("COUNTYFISCAL_REQUIRE_SHARED") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or not isinstance(report.longrepr, tuple):
        return
    reason = str(report.longrepr[2])
    if not NEEDS_SHARED.search(reason):
        return
    _SKIPPED.append(f"{item.nodeid} ({reason.removeprefix('Skipped: ')})")
    if _required():
        report.outcome = "failed"
        report.longrepr = f"{SHARED} is absent on a CI machine, so this test could not run: {reason}"


def pytest_terminal_summary(terminalreporter):
    if _SKIPPED and not _required():
        terminalreporter.section(f"{len(_SKIPPED)} tests did not run: they read {SHARED}, which is absent", yellow=True)
        for line in _SKIPPED:
            terminalreporter.line(line)
