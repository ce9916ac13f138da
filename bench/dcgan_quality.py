"""Time-to-quality benchmark for chapters 01–03: does `train MODEL --max-minutes M` give recognisable digits?

It trains the model with the CLI exactly as a learner would (`python -m ganlib train MODEL --max-minutes M`),
then judges the samples with a small CNN classifier trained here, seeded, on the data that is available
(the full training split when present; offline, the first 8,000 digits of the 10k test split, with the last
2,000 held out to report its accuracy). For 2,000 samples it reports:

- confident: the share of samples the classifier labels with probability > 0.9 (recognisable digits);
- classes: how many of the ten digits make up at least 2% of the samples (mode coverage);
- class_kl: KL(generated class histogram ‖ uniform), 0 when all ten digits are equally common;
- classifier_score: exp(E_x KL(p(y|x) ‖ p(y))), the Inception-score idea on this classifier (at most 10);
- the same numbers on held-out real digits, as the ceiling;
- for a conditional run (`cgan`), the share of `sample --label K` images the classifier reads as K, per K.

    python bench/dcgan_quality.py --minutes 5 --models dcgan gan
    python bench/dcgan_quality.py --evaluate runs/dcgan-mnist     # judge an existing run, no training

Results go to bench/results/ (JSON, Markdown table, sample grids); rows of models not re-run this time are
kept when they came from the same machine and classifier. This is a benchmark, not a test: the numbers
depend on the machine, which the results name.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ganlib import quiet  # noqa: E402

quiet.import_tensorflow()  # without TensorFlow's start-up lines (the cuInit "error" on a machine with no GPU)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from ganlib import data, train, viz  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
N_SAMPLES = 2000
PER_LABEL = 500  # samples per class label for conditional runs
HELD_OUT = 2000


def classifier_data():
    """(x_train, y_train, x_held_out, y_held_out, description) from the MNIST copy that is available."""
    mnist = data.load("mnist", "train", verbose=False)
    if mnist.split == "train":
        test = data.load("mnist", "test", verbose=False)
        return (data.to_float(mnist.images), mnist.labels, data.to_float(test.images), test.labels,
                f"trained on {mnist.describe()}; held out: the test split")
    x, y = data.to_float(mnist.images), mnist.labels
    return (x[:-HELD_OUT], y[:-HELD_OUT], x[-HELD_OUT:], y[-HELD_OUT:],
            f"trained on the first {len(x) - HELD_OUT:,} of {mnist.describe()}; held out: the last {HELD_OUT:,}")


def train_classifier(seed=0, epochs=4):
    keras.utils.set_random_seed(seed)
    x_train, y_train, x_held, y_held, description = classifier_data()
    net = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Flatten(), keras.layers.Dropout(0.3), keras.layers.Dense(10, activation="softmax"),
    ])
    net.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    net.fit(x_train, y_train, batch_size=128, epochs=epochs, verbose=0)
    accuracy = float(net.evaluate(x_held, y_held, verbose=0)[1])
    return net, accuracy, description, x_held


def judge(classifier, images):
    probs = classifier.predict(images, batch_size=500, verbose=0)
    labels = probs.argmax(1)
    histogram = np.bincount(labels, minlength=10) / len(labels)
    marginal = probs.mean(0)
    score = float(np.exp(np.mean(np.sum(probs * (np.log(probs + 1e-12) - np.log(marginal + 1e-12)), 1))))
    nonzero = histogram > 0
    return {
        "confident": float(np.mean(probs.max(1) > 0.9)),
        "classes": int(np.sum(histogram >= 0.02)),
        "class_kl": float(np.sum(histogram[nonzero] * np.log(histogram[nonzero] * 10))),
        "classifier_score": score,
        "class_histogram": [round(float(h), 4) for h in histogram],
    }


def train_run(model, minutes, out):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ganlib", "train", model, "--max-minutes", str(minutes),
                    "--epochs", "1000", "--out", str(out)], check=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--models", nargs="+", default=["dcgan"])
    parser.add_argument("--evaluate", nargs="*", type=Path, default=None, help="judge existing run dirs only")
    parser.add_argument("--tag", default="2-core CPU VM", help="names the machine in the results; rows from "
                        "another tag are not kept beside the new ones")
    args = parser.parse_args()

    runs = {}
    if args.evaluate is not None:
        runs = {path.name: path for path in args.evaluate}
    else:
        for model in args.models:
            out = RESULTS / f"runs/{model}-{args.minutes:g}min"
            if out.exists():
                sys.exit(f"{out} exists: remove it or move it aside first (it would be resumed, not retrained)")
            runs[model] = out
            print(f"training {model} for {args.minutes:g} minutes → {out}", flush=True)
            runs[model] = (out, train_run(model, args.minutes, out))

    classifier, accuracy, description, x_held = train_classifier()
    print(f"classifier: {accuracy:.4f} held-out accuracy ({description})")
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()}, tag {args.tag}"
    report = {
        "machine": machine,
        "classifier": {"held_out_accuracy": accuracy, "data": description},
        "real_held_out": judge(classifier, x_held[:N_SAMPLES]),
        "runs": {},
    }
    previous = RESULTS / "dcgan_quality.json"
    if previous.exists():  # keep the other models' rows when one is re-run, if they came from this machine
        old = json.loads(previous.read_text())
        if old.get("machine") == machine and old["classifier"] == report["classifier"]:
            report["runs"] = {k: v for k, v in old["runs"].items() if k not in runs}
    for name, value in runs.items():
        run_dir, wall = value if isinstance(value, tuple) else (value, None)
        gan = train.load_gan(run_dir)
        samples = gan.sample(N_SAMPLES, seed=123)
        history = json.loads((Path(run_dir) / "history.json").read_text())
        entry = judge(classifier, samples)
        if gan.num_classes:  # conditional: does `sample --label K` give K? (argmax of the classifier)
            per_label = [float(np.mean(classifier.predict(gan.sample(PER_LABEL, seed=1000 + k, labels=k),
                                                          batch_size=500, verbose=0).argmax(1) == k))
                         for k in range(gan.num_classes)]
            entry.update({"per_label_accuracy": per_label, "worst_label_accuracy": min(per_label)})
        entry.update({
            "config": gan.config,
            "steps": int(gan.step.numpy()),
            "images_seen": int(gan.step.numpy()) * gan.config["batch_size"] * gan.batches_per_step,
            "epochs": int(gan.epoch.numpy()),
            "images_per_second": float(np.mean(history["epochs"]["images_per_second"] or [float("nan")])),
            "wall_seconds_with_startup": wall,
        })
        report["runs"][name] = entry
        RESULTS.mkdir(parents=True, exist_ok=True)
        viz.save_grid(samples[:100], RESULTS / f"{name}-samples.png", ncols=10)

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dcgan_quality.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "dcgan_quality.md").write_text(markdown(report))
    print(markdown(report))


def markdown(report):
    """The results table (and the per-label table of a conditional model) of one report."""
    accuracy, description = report["classifier"]["held_out_accuracy"], report["classifier"]["data"]
    lines = [f"Machine: {report['machine']}. Classifier: {accuracy:.2%} held-out accuracy ({description}).", "",
             "| run | confident | classes ≥ 2% | class KL | classifier score | images seen | images/s |",
             "|---|---|---|---|---|---|---|"]
    for name, r in [("real (held out)", report["real_held_out"])] + list(report["runs"].items()):
        seen = f"{r['images_seen']:,}" if "images_seen" in r else "–"
        speed = f"{r['images_per_second']:,.0f}" if "images_per_second" in r else "–"
        lines.append(f"| {name} | {r['confident']:.1%} | {r['classes']} | {r['class_kl']:.3f} | "
                     f"{r['classifier_score']:.2f} | {seen} | {speed} |")
    for name, r in report["runs"].items():
        if "per_label_accuracy" in r:
            lines += ["", f"{name}, `sample --label K` read as K by the classifier ({PER_LABEL} samples per label):", "",
                      "| K | " + " | ".join(map(str, range(len(r["per_label_accuracy"])))) + " |",
                      "|---" * (len(r["per_label_accuracy"]) + 1) + "|",
                      "| read as K | " + " | ".join(f"{a:.1%}" for a in r["per_label_accuracy"]) + " |"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
