"""Devices: the ``tf.distribute`` strategy, compute precision and XLA setting a run uses on the machine at hand.

- **Strategy.** ``"default"``: one device. ``"mirrored"``: ``tf.distribute.MirroredStrategy``, every GPU of one
  machine (Kaggle's 2×T4, a workstation) holding a copy of the variables, each taking a share of the global
  batch. ``"multi_worker"``: ``MultiWorkerMirroredStrategy``, the same across machines that ``TF_CONFIG``
  describes (README: "GPUs and several devices"). ``"auto"``: mirrored when there are several GPUs.
- **Precision.** ``"float32"``, or Keras' ``"mixed_float16"`` / ``"mixed_bfloat16"`` policies: layers compute
  in 16 bits and keep float32 variables; float16 needs loss scaling (``LossScaleOptimizer``), bfloat16 not.
- **XLA** (``jit_compile``): compiles each train step into fused kernels.

Defaults come from measurements (``bench/throughput.py``, results in bench/README.md): on a CPU, float32 graph
mode without XLA is fastest for these models (XLA measured slower).
"""

from contextlib import contextmanager

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
STRATEGIES = ("auto", "default", "mirrored", "multi_worker")


def gpus():
    import tensorflow as tf

    return tf.config.list_physical_devices("GPU")


def make_strategy(name="auto"):
    """The ``tf.distribute`` strategy called ``name`` (see the module docstring)."""
    import tensorflow as tf

    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")
    if name == "auto":
        name = "mirrored" if len(gpus()) > 1 else "default"
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def check_precision(precision):
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    return precision


@contextmanager
def precision_policy(precision):
    """Build the layers created inside with the Keras dtype policy ``precision``, then restore the old one."""
    import keras

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(check_precision(precision))
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def describe(strategy):
    """One line: how many replicas on which devices."""
    replicas = strategy.num_replicas_in_sync
    kind = type(strategy).__name__
    names = sorted({d.device_type for d in _logical_devices()})
    return f"{kind} with {replicas} replica{'s' if replicas > 1 else ''} ({', '.join(names)})"


def _logical_devices():
    import tensorflow as tf

    return tf.config.list_logical_devices()
