"""Test-suite wiring: the fast profile for notebooks, stable nbval comparisons, timings.

- Notebooks always run in the ``fast`` profile under the tests unless COURSE_PROFILE
  says otherwise explicitly.
- nbval compares ``# NBVAL_CHECK_OUTPUT`` cells output by output. Two things make that
  flaky for reasons unrelated to the code under test, so they are normalized here:
  stdout arriving in several chunks (ipykernel flushes on a timer) is merged, and
  stderr (TensorFlow's C++ log lines, which depend on the CPU and driver) is left out.
- Under pytest-xdist, notebooks are handed out before the unit tests, and each test process's
  TensorFlow gets its share of the cores.
- At the end, the wall time of each notebook is printed against its budget.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("COURSE_PROFILE", "fast")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Under pytest-xdist several test processes share the CPU, each starting TensorFlow processes of
# its own (itself, a notebook's kernel, the workers notebook 15 starts), and TensorFlow sizes its
# thread pools to the whole machine. Each gets its share of the cores instead: 1 for two
# processes on 2 cores, where four notebooks ran 3% faster on an idle machine and 12-13% faster
# on a busy one. Inherited by every kernel and subprocess; a value already set is kept.
_test_processes = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _test_processes > 1:
    _threads = str(max(1, (os.cpu_count() or 1) // _test_processes))
    for _variable in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(_variable, _threads)

try:
    import nbval.plugin as _nbval
except ImportError:  # the unit tests run without nbval too
    _nbval = None

# The fast profile's budgets on a 2-core CPU: the whole `make test` within 10 minutes, which
# leaves each of 21 notebooks about 25 s; a solutions notebook (make test-solutions) 15 s.
SUITE_BUDGET_SECONDS = 600
FAST_BUDGET_SECONDS = 25
SOLUTIONS_BUDGET_SECONDS = 15


def _comparable_outputs(outputs):
    comparable = []
    for output in outputs:
        if output.output_type != "stream":
            comparable.append(output)
        elif output.name == "stdout":
            if comparable and comparable[-1].get("output_type") == "stream":
                comparable[-1]["stdout"] += output.text
            else:
                comparable.append({"output_type": "stream", "stdout": output.text})
    return comparable


if _nbval is not None:
    _nbval.transform_streams_for_comparison = _comparable_outputs

_session_start = time.perf_counter()
_notebook_seconds: dict[str, float] = defaultdict(float)
_notebook_failures: dict[str, int] = defaultdict(int)


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``make test`` runs two processes), hand out the notebooks first and the
    many short unit-test files last, so that one process does not sit idle while the other
    runs a long notebook at the end. A stable sort: each notebook's cells keep their order."""
    if hasattr(config, "workerinput"):
        items.sort(key=lambda item: not item.nodeid.split("::", 1)[0].endswith(".ipynb"))


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        _notebook_seconds[path] += report.duration
        _notebook_failures[path] += int(report.failed)


def _device() -> str:
    from helpers import device

    return device.describe(device.detect_hardware())


def pytest_terminal_summary(terminalreporter):
    if not _notebook_seconds:
        return
    write = terminalreporter.write_line
    terminalreporter.section(
        f"notebooks ({os.environ.get('COURSE_PROFILE')} profile, device: {_device()})"
    )
    for path, seconds in sorted(_notebook_seconds.items()):
        name = Path(path).name
        failed = _notebook_failures[path]
        status = f"FAILED ({failed} cell{'s' if failed > 1 else ''})" if failed else "ok"
        budget = SOLUTIONS_BUDGET_SECONDS if name.endswith("_solutions.ipynb") else FAST_BUDGET_SECONDS
        flag = "" if seconds <= budget else f"  OVER the {budget} s budget"
        write(f"{name:<52} {status:<18} {seconds:7.1f} s{flag}")
    write(f"{'all notebooks':<52} {'':<18} {sum(_notebook_seconds.values()):7.1f} s")
    session = time.perf_counter() - _session_start
    flag = "" if session <= SUITE_BUDGET_SECONDS else f"  OVER the {SUITE_BUDGET_SECONDS} s budget"
    write(f"{'whole session (wall time)':<52} {'':<18} {session:7.1f} s{flag}")
