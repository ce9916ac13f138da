"""Helpers shared by the unit tests: small IDX datasets, the command line in a fresh Python, its error lines, a
linear critic and a generator that draws zeros."""

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def write_idx(path, array, magic=None, compress=True, truncate=0):
    """An IDX file (gzipped by default) holding ``array``; ``truncate`` cuts bytes off its end."""
    array = np.asarray(array, np.uint8)
    magic = magic if magic is not None else 0x800 + array.ndim
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    raw = (header + array.tobytes())[: len(header) + array.size - truncate]
    path.parent.mkdir(parents=True, exist_ok=True)
    with (gzip.open if compress else open)(path, "wb") as f:  # closed: Python 3.12 buffers GzipFile writes
        f.write(raw)
    return path


def write_split(folder, split, n=6, compress=True, seed=0):
    """A random MNIST-shaped split of n images and labels in ``folder``; returns (images, labels)."""
    from ganlib import data

    rng = np.random.default_rng(seed)
    images, labels = rng.integers(0, 256, (n, 28, 28)), rng.integers(0, 10, n)
    image_stem, label_stem = data.IDX_FILES[split]
    ext = ".gz" if compress else ""
    write_idx(folder / f"{image_stem}{ext}", images, compress=compress)
    write_idx(folder / f"{label_stem}{ext}", labels, compress=compress)
    return images.astype(np.uint8), labels.astype(np.uint8)

def run_in_new_python(*args, env=None, timeout=600):
    """Run ``python -m ganlib ARGS`` in a fresh process, as a learner's shell would: (status, stdout, stderr).
    For what a process adds: exit statuses, start-up output, state that must survive the process."""
    done = subprocess.run([sys.executable, "-m", "ganlib", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=REPO)
    return done.returncode, done.stdout, done.stderr


def one_error_line(stderr):
    """The single ``ganlib: error:`` line of stderr (fails when there is not exactly one line)."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("ganlib: error:"), stderr
    return lines[0]


def linear_score(w):
    """f(x) = w·x on 28×28×1 images — a critic's score, or a discriminator's logit: its gradient is w everywhere."""
    import keras

    x = keras.Input((28, 28, 1))
    dense = keras.layers.Dense(1, use_bias=False)
    model = keras.Model(x, dense(keras.layers.Flatten()(x)))
    dense.kernel.assign(np.reshape(w, (-1, 1)).astype(np.float32))
    return model


def zero_generator(latent_dim=2):
    """G(z) = 0: a 28×28×1 image of zeros for every z (a Dense layer of zero weights: it has weights to train)."""
    import keras

    z = keras.Input((latent_dim,))
    zeros = keras.layers.Dense(784, kernel_initializer="zeros")(z)
    return keras.Model(z, keras.layers.Reshape((28, 28, 1))(zeros))
