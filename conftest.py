"""pytest configuration shared by the unit tests and the notebooks run by nbval."""

import os
import shutil
import tempfile

from ganlib._nbval_exercises import SOLUTIONS_ENV, use_solution

# Notebook kernels inherit this process's environment: keep TensorFlow quiet, and keep the runs the
# notebooks train during tests out of the learner's own runs/ folder.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_TEST_RUNS_DIR = None
if "GANLIB_RUNS_DIR" not in os.environ:
    _TEST_RUNS_DIR = os.environ["GANLIB_RUNS_DIR"] = tempfile.mkdtemp(prefix="ganlib-test-runs-")
# Notebook kernels start in notebooks/, so a relative GANLIB_DATA_DIR (e.g. ../shared/data, given from the
# repository root) would point elsewhere there: make it absolute first.
if os.environ.get("GANLIB_DATA_DIR"):
    os.environ["GANLIB_DATA_DIR"] = os.path.abspath(os.environ["GANLIB_DATA_DIR"])
# The test run checks the exercises' reference solutions: each stub cell runs its solution and a failing check
# raises. GANLIB_EXERCISE_SOLUTIONS=0 runs the notebooks with the stubs, as a learner first sees them.
os.environ.setdefault(SOLUTIONS_ENV, "1")


def pytest_unconfigure(config):
    # The runs trained during a test session are ~100 MB; left in /tmp they fill a CI machine's disk in a day.
    if _TEST_RUNS_DIR:
        shutil.rmtree(_TEST_RUNS_DIR, ignore_errors=True)


def pytest_collectstart(collector):
    # TensorFlow's C++ log lines reach a notebook's stderr whatever the log level (nbval issue #88):
    # never compare stderr, only the outputs a cell is marked to check.
    path = getattr(collector, "path", None)
    if path is not None and path.suffix == ".ipynb":
        collector.skip_compare += ("stderr", "application/javascript")


def pytest_itemcollected(item):
    # A notebook cell tagged as an exercise stub runs its reference solution instead (ganlib/_nbval_exercises.py)
    use_solution(item)
