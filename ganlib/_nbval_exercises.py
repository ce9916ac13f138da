"""Where the exercises' reference solutions live, and the switch that runs them in place of the stubs under nbval.

A notebook's exercise is a stub cell (tagged ``exercise``, with cell metadata ``{"exercise": "ch03.gradient_penalty"}``)
followed by a check cell. The reference solution is written once, in ``solutions/ch03_gradient_penalty.py`` at
the repository root. With ``GANLIB_EXERCISE_SOLUTIONS=1`` the test run executes that file's text in place of
the stub (``use_solution``, called from ``conftest.py``), and a failing check raises instead of printing, so a
broken reference solution fails the notebook.

Kept free of TensorFlow so that conftest.py can import it cheaply; ``ganlib.exercises`` imports it, not the
other way round.
"""

import os
from pathlib import Path

SOLUTIONS_ENV = "GANLIB_EXERCISE_SOLUTIONS"
SOLUTIONS_DIR = Path(__file__).resolve().parent.parent / "solutions"
SOLUTIONS_URL = "https://github.com/gan-course/gan-course/blob/main/solutions"
CELL_METADATA_KEY = "exercise"


def solutions_enabled():
    """True when the environment asks for the reference solutions (``GANLIB_EXERCISE_SOLUTIONS`` 1/true/yes)."""
    return os.environ.get(SOLUTIONS_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def solution_filename(name):
    """``"ch03.gradient_penalty"`` → ``"ch03_gradient_penalty.py"``."""
    return name.replace(".", "_", 1) + ".py"


def solution_path(name):
    """The path of exercise ``name``'s reference solution (it exists only in a clone of the repository)."""
    return SOLUTIONS_DIR / solution_filename(name)


def use_solution(item):
    """Body of the ``pytest_itemcollected`` hook: if ``item`` is a notebook cell collected by nbval whose metadata
    names an exercise, and the switch is on, run the reference solution's text instead of the cell's stub.

    nbval executes ``item.cell.source`` when the item runs, so replacing it after collection is enough; the
    notebook file is not touched. A missing solution file becomes a cell that fails with one clear line.
    """
    cell = getattr(item, "cell", None)
    if cell is None or not solutions_enabled():
        return
    name = cell.get("metadata", {}).get(CELL_METADATA_KEY)
    if not name:
        return
    path = solution_path(name)
    if path.is_file():
        cell["source"] = path.read_text(encoding="utf-8")
    else:
        cell["source"] = f"raise FileNotFoundError({f'exercise {name!r}: no reference solution at {path}'!r})"
