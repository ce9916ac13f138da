"""Train the feature classifiers that ``ganlib.metrics`` loads, reproducibly, and record what they saw.

    GANLIB_DATA_DIR=../shared/data python bench/train_classifiers.py mnist fashion_mnist

For each dataset: with its training split available, train on it and hold out the test split; offline with
only the 10,000-image test split (our MNIST copy), train on its first 8,000 and hold out the last 2,000.
Writes ganlib/weights/DATASET_classifier.weights.h5 and a .json record beside it (data used, held-out
accuracy, seed, epochs). Seeded and single-threaded, so a re-run on the same data gives the same weights.
"""

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from ganlib import data, metrics  # noqa: E402

HELD_OUT = 2000


def split(name):
    """(x_train, y_train, x_held, y_held, what) from the data at hand."""
    train = data.load(name, "train", verbose=False)
    if train.split == "train":
        test = data.load(name, "test", verbose=False)
        return (train.images, train.labels, test.images, test.labels,
                dict(trained_on=f"{name} train split ({len(train.images):,} images)",
                     held_out=f"{name} test split ({len(test.images):,} images)", held_out_split="test",
                     held_out_slice=[0, len(test.images)]))
    n = len(train.images)
    return (train.images[:-HELD_OUT], train.labels[:-HELD_OUT], train.images[-HELD_OUT:], train.labels[-HELD_OUT:],
            dict(trained_on=f"the first {n - HELD_OUT:,} images of the {name} test split (offline copy)",
                 held_out=f"the last {HELD_OUT:,} images of the {name} test split", held_out_split="test",
                 held_out_slice=[n - HELD_OUT, n]))


def train_one(name, epochs, seed=0):
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    x_train, y_train, x_held, y_held, record = split(name)
    model = metrics.classifier_model()
    model.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(data.to_float(x_train), y_train, batch_size=128, epochs=epochs, verbose=2)
    classifier = metrics.Classifier(model, {})
    accuracy = classifier.accuracy(data.to_float(x_held), y_held)
    record.update(dataset=name, seed=seed, epochs=epochs, held_out_accuracy=round(accuracy, 4),
                  summary=f"{name} classifier, {accuracy:.2%} on {record['held_out']}")
    path = metrics.weights_path(name)
    path.parent.mkdir(exist_ok=True)
    model.save_weights(path)
    path.with_suffix("").with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    print(record["summary"], "→", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("datasets", nargs="+", choices=data.dataset_names())
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    for name in args.datasets:
        train_one(name, args.epochs)


if __name__ == "__main__":
    main()
