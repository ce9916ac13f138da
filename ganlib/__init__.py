"""ganlib: the reusable parts of the GAN course (data, models, losses, train steps, pictures).

Every chapter notebook imports this package, so the code a chapter teaches is the code that runs.
"""

import os

# Before any ganlib module imports TensorFlow: its C++ logging reads this once, when TensorFlow loads, so a
# notebook's `from ganlib import models` would otherwise print every C++ warning of the session (among them a
# multi-line "Type inference failed" per traced graph with a tf.switch_case, harmless). Errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ganlib.quick import is_quick, quick  # noqa: E402

__version__ = "0.1.0"

__all__ = ["__version__", "is_quick", "quick"]
