"""ganlib: the reusable parts of the GAN course (data, models, losses, train steps, pictures).

Every chapter notebook imports this package, so the code a chapter teaches is the code that runs.
"""

from ganlib.quick import is_quick, quick

__version__ = "0.1.0"

__all__ = ["__version__", "is_quick", "quick"]
