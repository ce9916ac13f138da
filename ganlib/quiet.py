"""Quiet TensorFlow: keep its start-up chatter and known-harmless warnings out of what a learner sees.

Importing TensorFlow and touching a device print C++ log lines before its logging is configured — among them
``E0000 … failed call to cuInit: CUDA error`` on every machine without a GPU, which reads as a failure.
``TF_CPP_MIN_LOG_LEVEL`` silences only part of it, so ``import_tensorflow`` also runs the import and device
discovery with the process's stderr sent to a temporary file, then passes on every line that is not known
chatter; ``filtered_stderr`` does the same around the first call of a train step, where the graph optimiser logs
one known-harmless error for the deeper DCGAN and the style generator. A ``tf.function`` retracing warning about
ganlib's own per-GAN functions (each new GAN compiles its own step) is dropped too; warnings about the learner's
code are not.
"""

import contextlib
import logging
import os
import re
import sys
import tempfile

# C++ log lines — absl's format (severity, date, time, thread, file:line]) and the one TensorFlow 2.20 and older
# print (date, time: severity file:line]) — the absl preamble, and cpu_feature_guard's second line.
ABSL_PREAMBLE = r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
ABSL_TIME_THREAD = r"\d{4} \d\d:\d\d:\d+\.\d+ +\d+ "  # after the severity letter: MMDD hh:mm:ss.us thread
CHATTER = re.compile(r"^(" + ABSL_PREAMBLE +
                     r"|[IWEF]" + ABSL_TIME_THREAD + r"\S+:\d+\] "
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
    with filtered_stderr(CHATTER):
        import tensorflow as tf

        tf.config.list_physical_devices()  # device discovery prints the cuInit line
    return _configure(tf)


# Grappler's remapper fails on a LeakyReLU whose gradient is taken after a stride-1 Conv2D → BiasAdd (the deeper
# DCGAN discriminator's 3×3 convolutions) or after the style generator's noise injection (an Add), and logs it as
# an error; it only leaves that graph unfused, and TensorFlow runs it as written (tensorflow/tensorflow#57515 and
# its kin; seen on TF 2.20–2.21, CPU). Where it is the process's first C++ log line (TF 2.20), absl's preamble
# comes with it.
REMAPPER_LEAKY_RELU = re.compile(r"^(" + ABSL_PREAMBLE + r"|E" + ABSL_TIME_THREAD + r"meta_optimizer\.cc:\d+\] "
                                 r"remapper failed: INVALID_ARGUMENT: Mutation::Apply error: fanout "
                                 r"'\S*LeakyReluGrad\S*' exist for missing node '\S+')")


@contextlib.contextmanager
def filtered_stderr(drop):
    """Run the block with the process's stderr (file descriptor 2, where TensorFlow's C++ code logs) sent to a
    temporary file; afterwards pass on every line that ``drop`` (a compiled pattern) does not match."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real stderr (some IDEs): nothing to filter
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode(errors="replace").splitlines(keepends=True)
                    if line.strip() and not drop.match(line)]
            sys.stderr.write("".join(kept))


def _configure(tf):
    logging.getLogger("tensorflow").addFilter(_OwnRetracing())
    return tf
