"""Datasets: MNIST and Fashion-MNIST as uint8 arrays, found offline when possible, and a ``tf.data`` pipeline.

Where the images come from, in order:

1. the ``data_dir`` argument (only there: an explicit directory is never second-guessed);
2. ``$GANLIB_DATA_DIR``;
3. the repository's ``data/`` folder;
4. ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``), for Fashion-MNIST;
5. ``keras.datasets`` (downloads; needs the internet).

In each folder the files may sit directly or in a sub-folder named after the dataset (``mnist/``,
``fashion-mnist/``), as IDX files (``train-images-idx3-ubyte[.gz]`` ...) or as a Keras ``.npz``.
If only the 10,000-image test split is there (the offline MNIST copy), it is used and one line says so.
"""

import gzip
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


class DataError(ValueError):
    """A dataset file exists but cannot be used (corrupt, truncated, wrong format or shape)."""


class DataNotFoundError(FileNotFoundError):
    """No copy of the dataset was found anywhere the loader looks."""


@dataclass
class Dataset:
    """Images (N, 28, 28) uint8, labels (N,) uint8, which split and where they came from."""

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


def read_idx(path, expected_ndim):
    """Read an IDX file (raw or ``.gz``) into a uint8 array, checking magic number and size.

    Raises :class:`DataError` naming the file when it is corrupt, truncated or not IDX.
    """
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as err:
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


def _read_idx_split(folder, split):
    """(images, labels, description) for one split in ``folder``, or None when the files are not there."""
    image_stem, label_stem = IDX_FILES[split]
    images_path, labels_path = _find_file(folder, image_stem), _find_file(folder, label_stem)
    if images_path is None and labels_path is None:
        return None
    if images_path is None or labels_path is None:
        present, missing = (images_path, label_stem) if labels_path is None else (labels_path, image_stem)
        raise DataError(f"{present}: found, but its partner {missing}[.gz] is missing from {folder}")
    images = read_idx(images_path, expected_ndim=3)
    labels = read_idx(labels_path, expected_ndim=1)
    return (*_check_pair(images, labels, images_path, labels_path), str(folder))


def _read_npz_split(path, split):
    try:
        with np.load(path) as arrays:
            x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
    except KeyError as err:
        raise DataError(f"{path}: no {err} array; a Keras dataset .npz has x_train, y_train, x_test, y_test") from err
    except (OSError, ValueError, zlib.error, EOFError) as err:
        raise DataError(f"{path}: cannot be read as .npz ({err}); the file is corrupt, download it again") from err
    return (*_check_pair(np.asarray(x, np.uint8), np.asarray(y, np.uint8).reshape(-1), path, path), str(path))


def _load_from_folder(root, name, split):
    """Look for ``name`` in ``root`` and its dataset sub-folders; return a Dataset or None."""
    spec = DATASETS[name]
    for folder in [root / sub for sub in spec["folders"]] + [root]:
        if not folder.is_dir():
            continue
        found = _read_idx_split(folder, split)
        if found is None:
            npz = next((folder / f for f in spec["npz"] if (folder / f).is_file()), None)
            found = _read_npz_split(npz, split) if npz else None
        if found is not None:
            images, labels, source = found
            return Dataset(images, labels, name, split, source)
    return None


def _candidate_roots(name, data_dir):
    """The folders to search, in order, as (path, why) pairs."""
    if data_dir is not None:
        return [(Path(data_dir).expanduser(), "data_dir argument")]
    roots = []
    if os.environ.get(DATA_DIR_ENV):
        roots.append((Path(os.environ[DATA_DIR_ENV]).expanduser(), f"${DATA_DIR_ENV}"))
    roots.append((REPO_DATA_DIR, "the repository's data/ folder"))
    if name == "fashion_mnist":
        roots.append((DEBIAN_FASHION_DIR, "Debian's dataset-fashion-mnist"))
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
    for root, why in _candidate_roots(name, data_dir):
        if not root.is_dir():
            tried.append(f"{root} ({why}: no such folder)")
            continue
        for wanted in (split, "test") if split == "train" else (split,):
            found = _load_from_folder(root, name, wanted)
            if found is not None:
                if wanted != split and verbose:
                    print(f"ganlib.data: only the {wanted} split of {name} is at {found.source}; "
                          f"using its {len(found.images):,} images for training.", file=sys.stderr)
                return found
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


def make_pipeline(images, batch_size, seed, labels=None, batches_per_step=None):
    """A ``tf.data`` pipeline of float images in [-1, 1] (and labels if given).

    cache → shuffle (seeded, reshuffled each epoch) → batch (drop_remainder, so every step has the same
    static shape and the train step is traced once) → prefetch. With ``batches_per_step`` = k each
    element stacks k different batches, shape (k, batch_size, 28, 28, 1): a WGAN critic takes k updates
    per generator update, each on its own real batch.
    """
    import tensorflow as tf

    if len(images) < batch_size * (batches_per_step or 1):
        raise ValueError(f"{len(images)} images cannot fill {batches_per_step or 1} batch(es) of {batch_size}; "
                         "lower the batch size")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"{len(labels)} labels for {len(images)} images; pass one label per image")
    x = to_float(images)
    elements = x if labels is None else (x, np.asarray(labels, np.int32))
    dataset = (
        tf.data.Dataset.from_tensor_slices(elements)
        .cache()
        .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size, drop_remainder=True)
    )
    if batches_per_step is not None:
        dataset = dataset.batch(batches_per_step, drop_remainder=True)
    return dataset.prefetch(tf.data.AUTOTUNE)
