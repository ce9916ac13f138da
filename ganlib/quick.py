"""Quick mode: one switch (``GANLIB_QUICK=1``) that shrinks sizes for tests and CI.

Quick mode only makes things smaller (epochs, images, samples); the code path is the same.
"""

import os

QUICK_ENV = "GANLIB_QUICK"


def is_quick():
    """True when the environment asks for quick mode (``GANLIB_QUICK`` set to 1/true/yes)."""
    return os.environ.get(QUICK_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def quick(full, small):
    """Return ``small`` in quick mode and ``full`` otherwise.

    Notebooks write their Parameters cell as ``EPOCHS = quick(full=20, small=1)``: the committed value
    is the full-size one, and CI shrinks it by setting ``GANLIB_QUICK=1``.
    """
    return small if is_quick() else full
