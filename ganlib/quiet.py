"""Quiet TensorFlow: keep its start-up chatter and known-harmless warnings out of what a learner sees.

Importing TensorFlow and touching a device print C++ log lines before its logging is configured — among them
``E0000 … failed call to cuInit: CUDA error`` on every machine without a GPU, which reads as a failure.
``TF_CPP_MIN_LOG_LEVEL`` silences only part of it, so ``import_tensorflow`` also runs the import and device
discovery with the process's stderr sent to a temporary file, then passes on every line that is not known
chatter. A ``tf.function`` retracing warning about ganlib's own per-GAN functions (each new GAN compiles its
own step) is dropped too; warnings about the learner's code are not.
"""

import logging
import os
import re
import sys
import tempfile

# C++ log lines — absl's format (severity, date, time, thread, file:line]) and the one TensorFlow 2.20 and older
# print (date, time: severity file:line]) — the absl preamble, and cpu_feature_guard's second line.
CHATTER = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
                     r"|[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] "
                     r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] \S+:\d+\] "
                     r"|To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags)")
OWN_FUNCTIONS = ("StepRunner.__init__", "GAN.train_step")


class _OwnRetracing(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        return not ("triggered tf.function retracing" in message and any(f in message for f in OWN_FUNCTIONS))


def import_tensorflow():
    """``import tensorflow`` with its start-up chatter filtered out; returns the module."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real stderr (some IDEs): nothing to filter
        return _configure(__import__("tensorflow"))
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_physical_devices()  # device discovery prints the cuInit line
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        kept = [line for line in captured.read().decode(errors="replace").splitlines(keepends=True)
                if line.strip() and not CHATTER.match(line)]
    sys.stderr.write("".join(kept))
    return _configure(tf)


def _configure(tf):
    logging.getLogger("tensorflow").addFilter(_OwnRetracing())
    return tf
