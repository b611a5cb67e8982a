"""Every benchmark runs, at a tiny size, as the Makefile runs it (from the repository's root, by its
path): a bench that no longer runs is found here, not on the day its figure is needed (issue 42)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT

TINY = {
    "attendance.py": ["--children", "200", "--repeat", "1", "--marks", "2000"],
    "calendar.py": ["--dates", "1000"],
    "children.py": ["--children", "500", "--repeat", "1"],
    "dispatch.py": ["--rounds", "1", "--children", "300", "--due", "50"],
    "faults.py": ["--kills", "1", "--sweeps", "1"],
    "fuzz.py": ["--cases", "50"],
    "history_writers.py": ["--writers", "2", "--rows", "5", "--rounds", "1"],
    "import.py": ["--schools", "50", "--children", "50"],
    "pep_machine.py": ["--children", "200", "--rounds", "1"],
    "pep_page.py": ["--children", "500", "--repeat", "1"],
    "records.py": ["--children", "1200", "--repeat", "1"],
    "replay.py": ["--children", "200", "--rounds", "1"],
    "report.py": ["--children", "500", "--rounds", "1"],
    "startup.py": ["--runs", "1"],
    "sweep.py": ["--children", "500", "--per-child", "2", "--due", "50", "--days", "1", "--workers", "20"],
    "tamper.py": ["--children", "20"],
    "web.py": ["--children", "500", "--repeat", "1"],
    "web_load.py": ["--children", "500", "--seconds", "2"],
    "load.py": ["--children", "500", "--users", "2", "--seconds", "2"],
}
NEEDS = {"web_load.py": "wrk", "load.py": "wrk"}  # programs a bench drives that pepflow does not install


def test_every_bench_has_a_tiny_size():
    assert sorted(TINY) == sorted(p.name for p in (ROOT / "bench").glob("*.py"))


@pytest.mark.parametrize("bench", sorted(TINY))
def test_a_bench_runs_at_a_tiny_size(bench):
    program = NEEDS.get(bench)
    if program and shutil.which(program) is None:
        if os.environ.get("PEPFLOW_REQUIRE_POSTGRES") == "1":  # in CI, as the other tools: fail, never skip
            pytest.fail(f"{bench} drives {program}, which is not installed: apt-get install {program}")
        pytest.skip(f"{bench} drives {program}, which is not installed here (apt-get install {program})")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEPFLOW_")}  # each bench keeps its own files
    done = subprocess.run([sys.executable, f"bench/{bench}", *TINY[bench]], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
