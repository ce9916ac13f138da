"""Datasets: MNIST and Fashion-MNIST as uint8 arrays, found offline when possible, and the training batches of each epoch.

Where the images come from, in order:

1. the ``data_dir`` argument (only there: an explicit directory is never second-guessed);
2. ``$GANLIB_DATA_DIR``;
3. the repository's ``data/`` folder;
4. ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``), for Fashion-MNIST;
5. ``keras.datasets`` (downloads; needs the internet).

In each folder the files may sit directly or in a sub-folder named after the dataset (``mnist/``,
``fashion-mnist/``), as IDX files (``train-images-idx3-ubyte[.gz]`` ...) or as a Keras ``.npz``.
If only the 10,000-image test split is there (the offline MNIST copy), it is used and one line says so.
MNIST and Fashion-MNIST use the same file names; the official files' checksums tell them apart, so one is
never loaded as the other.

The batches of epoch e are in an order that depends only on (seed, e) (``step_indices``), so a run resumed
at any step sees exactly the batches an uninterrupted run would (``epoch_batches(..., start_step=k)``).
"""

import gzip
import hashlib
import os
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_DIR_ENV = "GANLIB_DATA_DIR"
REPO_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

DATASETS = {
    "mnist": {"folders": ("mnist",), "npz": ("mnist.npz",)},
    "fashion_mnist": {
        "folders": ("fashion-mnist", "fashion_mnist"),
        "npz": ("fashion-mnist.npz", "fashion_mnist.npz"),
    },
}
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# IDX magic numbers: two zero bytes, 0x08 (unsigned byte), then the number of dimensions.
IDX_MAGIC = {3: 0x00000803, 1: 0x00000801}
# MD5 of the arrays (the bytes after an IDX header, or a Keras .npz array) of the official files ...
KNOWN_ARRAYS = {
    "240610fa99e73bfa49df8e7fc24d3206": ("mnist", "test images"),
    "073c3904dfbd3e141ff8aa01cfde6b15": ("mnist", "test labels"),
    "f209073e486d5113ebe2cc431d4df862": ("fashion_mnist", "train images"),
    "3236f6424fc25388b2834cb19942cf7e": ("fashion_mnist", "train labels"),
    "b7656a891b218fc13e45205c48a92cae": ("fashion_mnist", "test images"),
    "8dea97a4e78c1bd1b5a6e8efbb870b6e": ("fashion_mnist", "test labels"),
}
# ... and of the gzipped files as their authors distribute them (yann.lecun.com, zalandoresearch).
KNOWN_FILES = {
    "f68b3c2dcbeaaa9fbdd348bbdeb94873": ("mnist", "train images"),
    "d53e105ee54ea40749a09fcbcd1e9432": ("mnist", "train labels"),
    "9fb629c4189551a2d022fa330f9573f3": ("mnist", "test images"),
    "ec29112dd5afa0611ce80d1b7f02629c": ("mnist", "test labels"),
    "8d4fb7e6c68d591d4c3dfef9ec88bf0d": ("fashion_mnist", "train images"),
    "25c81989df183df01b3e8a0aad5dffbe": ("fashion_mnist", "train labels"),
    "bef4ecab320f06d8554ea6380940ec79": ("fashion_mnist", "test images"),
    "bb300cfdad3c16e7a12a480ee83cd310": ("fashion_mnist", "test labels"),
}


class DataError(ValueError):
    """A dataset file exists but cannot be used (corrupt, truncated, wrong format or shape)."""


class DataNotFoundError(FileNotFoundError):
    """No copy of the dataset was found anywhere the loader looks."""


class OtherDatasetError(DataError):
    """The files are genuine copies of another dataset (their checksums say so)."""


def identify(array=None, file_bytes=None):
    """(dataset, what) when ``array`` or the file's bytes are those of an official MNIST or Fashion-MNIST
    file, else None (e.g. a file of your own)."""
    if array is not None:
        found = KNOWN_ARRAYS.get(hashlib.md5(np.ascontiguousarray(array, np.uint8).tobytes()).hexdigest())
        if found:
            return found
    if file_bytes is not None:
        return KNOWN_FILES.get(hashlib.md5(file_bytes).hexdigest())
    return None


def _check_identity(name, path, array, file_bytes=None):
    found = identify(array, file_bytes)
    if found and found[0] != name:
        raise OtherDatasetError(f"{path} holds {found[0]}'s {found[1]} (by its checksum), not {name}")


@dataclass
class Dataset:
    """Images (N, 28, 28) uint8, labels (N,) uint8, which split and where they came from (``source``: a
    description without the machine's absolute paths, such as "$GANLIB_DATA_DIR/mnist")."""

    images: np.ndarray
    labels: np.ndarray
    name: str
    split: str
    source: str

    def describe(self):
        """One line for notebooks and logs: what data this is and where it came from."""
        return f"{self.name} {self.split} split: {len(self.images):,} images from {self.source}"


def dataset_names():
    return sorted(DATASETS)


def read_idx(path, expected_ndim, dataset=None):
    """Read an IDX file (raw or ``.gz``) into a uint8 array, checking magic number and size.

    Raises :class:`DataError` naming the file when it is corrupt, truncated or not IDX, and
    :class:`OtherDatasetError` when ``dataset`` is given and the file is an official file of another dataset.
    """
    path = Path(path)
    try:
        file_bytes = path.read_bytes()
        raw = gzip.decompress(file_bytes) if path.suffix == ".gz" else file_bytes
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise DataError(f"{path}: cannot be read ({err}); the file is corrupt or truncated, download it again") from err
    if len(raw) < 4:
        raise DataError(f"{path}: only {len(raw)} bytes, too short to be an IDX file; download it again")
    magic = int.from_bytes(raw[:4], "big")
    if magic != IDX_MAGIC[expected_ndim]:
        raise DataError(
            f"{path}: magic number 0x{magic:08x}, expected 0x{IDX_MAGIC[expected_ndim]:08x} "
            f"(an IDX file of {expected_ndim}-D unsigned bytes); is this the right file?"
        )
    header_end = 4 + 4 * expected_ndim
    if len(raw) < header_end:
        raise DataError(f"{path}: header is truncated; download the file again")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(expected_ndim))
    expected = int(np.prod(shape))
    body = np.frombuffer(raw, dtype=np.uint8, offset=header_end)
    if body.size != expected:
        raise DataError(f"{path}: header says shape {shape} ({expected:,} bytes) but the file holds {body.size:,}; "
                        "it is truncated or corrupt, download it again")
    if dataset is not None:
        _check_identity(dataset, path, body, file_bytes)
    return body.reshape(shape)


def _find_file(folder, stem):
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _check_pair(images, labels, images_path, labels_path):
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{images_path}: images have shape {images.shape}, expected (N, 28, 28)")
    if labels.shape != (images.shape[0],):
        raise DataError(f"{labels_path}: {labels.shape[0]:,} labels for {images.shape[0]:,} images in {images_path}")
    return images, labels


def _read_idx_split(folder, split, name):
    """(images, labels) for one split of dataset ``name`` in ``folder``, or None when the files are not there."""
    image_stem, label_stem = IDX_FILES[split]
    images_path, labels_path = _find_file(folder, image_stem), _find_file(folder, label_stem)
    if images_path is None and labels_path is None:
        return None
    if images_path is None or labels_path is None:
        present, missing = (images_path, label_stem) if labels_path is None else (labels_path, image_stem)
        raise DataError(f"{present}: found, but its partner {missing}[.gz] is missing from {folder}")
    images = read_idx(images_path, expected_ndim=3, dataset=name)
    labels = read_idx(labels_path, expected_ndim=1, dataset=name)
    return _check_pair(images, labels, images_path, labels_path)


def _read_npz_split(path, split, name):
    try:
        with np.load(path) as arrays:
            x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
    except KeyError as err:
        raise DataError(f"{path}: no {err} array; a Keras dataset .npz has x_train, y_train, x_test, y_test") from err
    except (OSError, ValueError, zlib.error, EOFError) as err:
        raise DataError(f"{path}: cannot be read as .npz ({err}); the file is corrupt, download it again") from err
    images, labels = np.asarray(x, np.uint8), np.asarray(y, np.uint8).reshape(-1)
    _check_identity(name, path, images)
    return _check_pair(images, labels, path, path)


def _load_from_folder(root, name, split):
    """Look for ``name`` in ``root`` and its dataset sub-folders; return (images, labels, sub-folder) or None."""
    spec = DATASETS[name]
    for sub in list(spec["folders"]) + [""]:
        folder = root / sub if sub else root
        if not folder.is_dir():
            continue
        found = _read_idx_split(folder, split, name)
        if found is None:
            npz = next((f for f in spec["npz"] if (folder / f).is_file()), None)
            found = _read_npz_split(folder / npz, split, name) if npz else None
        if found is not None:
            return (*found, sub)
    return None


def _candidate_roots(name, data_dir):
    """The folders to search, in order, as (path, how to name it in messages, why) triples."""
    if data_dir is not None:
        return [(Path(data_dir).expanduser(), str(data_dir), "data_dir argument")]
    roots = []
    if os.environ.get(DATA_DIR_ENV):
        roots.append((Path(os.environ[DATA_DIR_ENV]).expanduser(), f"${DATA_DIR_ENV}", f"${DATA_DIR_ENV}"))
    roots.append((REPO_DATA_DIR, "data", "the repository's data/ folder"))
    if name == "fashion_mnist":
        roots.append((DEBIAN_FASHION_DIR, "Debian's dataset-fashion-mnist package", "Debian's dataset-fashion-mnist"))
    return roots


def _download_with_keras(name):
    import keras

    module = {"mnist": keras.datasets.mnist, "fashion_mnist": keras.datasets.fashion_mnist}[name]
    return module.load_data()


def load(name="mnist", split="train", data_dir=None, download=True, verbose=True):
    """Load a dataset as uint8 arrays: ``Dataset(images (N, 28, 28), labels (N,), ...)``.

    ``split`` is "train" or "test". When the training split is asked for but only the test split is
    found (as with the offline MNIST copy), the test split is used and one line says so. When nothing is
    found, :class:`DataNotFoundError` lists every place tried and how to fix it.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(dataset_names())}")
    if split not in IDX_FILES:
        raise ValueError(f"unknown split {split!r}; choose 'train' or 'test'")
    if data_dir is not None and not Path(data_dir).expanduser().is_dir():
        raise DataNotFoundError(f"data_dir {data_dir} does not exist; pass the folder that holds {name} "
                                "(IDX or .npz files), or leave data_dir unset to search the usual places")

    tried = []
    for root, label, why in _candidate_roots(name, data_dir):
        if not root.is_dir():
            tried.append(f"{root} ({why}: no such folder)")
            continue
        try:
            for wanted in (split, "test") if split == "train" else (split,):
                found = _load_from_folder(root, name, wanted)
                if found is not None:
                    images, labels, sub = found
                    source = f"{label}/{sub}" if sub and not label.startswith("Debian") else label
                    if wanted != split and verbose:
                        print(f"ganlib.data: only the {wanted} split of {name} is at {source}; "
                              f"using its {len(images):,} images for training.", file=sys.stderr)
                    return Dataset(images, labels, name, wanted, source)
        except OtherDatasetError as err:  # never load one dataset as another: look further
            tried.append(f"{root} ({why}: {err})")
            continue
        tried.append(f"{root} ({why}: no {name} IDX or .npz files)")

    if data_dir is None and download:
        try:
            (x_train, y_train), (x_test, y_test) = _download_with_keras(name)
        except Exception as err:  # keras raises many kinds of error when offline
            tried.append(f"keras.datasets.{name} (download failed: {type(err).__name__}: {str(err)[:120]})")
        else:
            x, y = (x_train, y_train) if split == "train" else (x_test, y_test)
            return Dataset(np.asarray(x, np.uint8), np.asarray(y, np.uint8), name, split, f"keras.datasets.{name}")
    elif data_dir is None:
        tried.append(f"keras.datasets.{name} (not tried: download=False)")

    fix = (f"point {DATA_DIR_ENV} at a folder holding {name}/ with the IDX files (offline), "
           "or connect to the internet so keras.datasets can download it")
    if name == "fashion_mnist":
        fix += ", or `apt-get install dataset-fashion-mnist`"
    raise DataNotFoundError(f"{name} not found. Tried: " + "; ".join(tried) + f". To fix: {fix}.")


def to_float(images):
    """uint8 pixels in [0, 255] to float32 in [-1, 1] with a channel axis: x / 127.5 − 1."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    return images.astype(np.float32) / 127.5 - 1.0


FOLDER_EPOCH_IMAGES = 10_000  # an epoch of a picture folder shows at least this many pictures (as the digits')


def repeat_for_epochs(images, at_least=FOLDER_EPOCH_IMAGES):
    """``images`` repeated k = ⌈at_least / n⌉ times, so that an epoch shows at least ``at_least`` pictures.

    A folder of 150 pictures is 2 steps of 64: one epoch per 2 steps would mean a sample grid and a checkpoint
    every second, and "30 epochs" a few seconds of training. Repeated, an epoch is k shuffled passes (each
    epoch's order still depends only on the seed and the epoch), about as long as an epoch of the 10,000 digits.
    """
    images = np.asarray(images)
    if len(images) == 0:
        raise ValueError("no images to repeat")
    return np.concatenate([images] * max(1, -(-int(at_least) // len(images))))


def epoch_order(n, seed, epoch):
    """The order in which epoch ``epoch`` (1, 2, …) visits n training images: a permutation that depends only
    on (seed, epoch), never on how many times the process was restarted."""
    return np.random.default_rng([int(seed), int(epoch)]).permutation(n)


def step_indices(n, batch_size, seed, epoch, batches_per_step=1):
    """Image indices for every train step of an epoch, shaped (steps, batch_size, batches_per_step).

    The epoch's order (``epoch_order``) is cut into steps of ``batches_per_step`` batches — a WGAN critic takes
    several real batches per generator update — stored batch-major so that sample b of batch i of step s is
    ``[s, b, i]``: a ``tf.distribute`` strategy then splits the samples of a step among replicas, never its
    batches. The images that do not fill a last step wait for the next epoch's order.
    """
    per_step = batch_size * batches_per_step
    if n < per_step:
        raise ValueError(f"{n} images cannot fill {batches_per_step} batch(es) of {batch_size}; "
                         "lower the batch size")
    steps = n // per_step
    order = epoch_order(n, seed, epoch)[: steps * per_step]
    return order.reshape(steps, batches_per_step, batch_size).transpose(0, 2, 1)


def images_tensor(images):
    """uint8 images (N, H, W) or (N, H, W, C) as a uint8 tf constant with a channel axis, to gather batches from."""
    import tensorflow as tf

    images = np.asarray(images, np.uint8)
    return tf.constant(images[..., None] if images.ndim == 3 else images)


def epoch_batches(images, indices, labels=None, stacked=False, rows=None, replica_batch=None):
    """A ``tf.data`` pipeline of one epoch's steps from ``step_indices``: float images in [-1, 1] (and labels
    if given), each element shaped (batch, H, W, C), or (batch, batches_per_step, H, W, C) when ``stacked``.

    ``images``: uint8 (``images_tensor``). ``rows``: the slice of each step's samples this input pipeline
    feeds (a worker's share under multi-worker training), cut into per-replica batches of ``replica_batch``
    (consecutive replicas take consecutive rows, the order ``steps.StepNoise`` assumes). Skip steps by
    slicing ``indices``.
    """
    import tensorflow as tf

    indices = np.asarray(indices)
    if rows is not None:
        indices = indices[:, rows]
    per_batch = replica_batch or indices.shape[1]
    flat = indices.reshape(-1, indices.shape[2]).astype(np.int32)  # one row per sample, in step order
    label_table = None if labels is None else tf.constant(np.asarray(labels, np.int32))

    def gather(batch_rows):
        x = tf.cast(tf.gather(images, batch_rows), tf.float32) / 127.5 - 1.0
        x = x if stacked else x[:, 0]
        if label_table is None:
            return x
        y = tf.gather(label_table, batch_rows)
        return x, (y if stacked else y[:, 0])

    dataset = tf.data.Dataset.from_tensor_slices(flat).batch(per_batch, drop_remainder=True)
    return dataset.map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)


def held_out_split(n, seed, fraction=0.1, minimum=8):
    """(train indices, held-out indices) of n images: a seeded ``fraction`` kept out of training (at least
    ``minimum`` when n allows it), to check what a trained model does on images it never saw."""
    order = np.random.default_rng([int(seed), 7]).permutation(n)
    held = min(max(minimum, round(fraction * n)), n // 4) if n >= 4 * minimum else 0
    return np.sort(order[held:]), np.sort(order[:held])
