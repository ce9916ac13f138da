"""Time to quality: every chapter model and the TensorFlow DCGAN tutorial, trained side by side on this machine
for the same wall-clock budget, measured at several time marks with ganlib.metrics.

    GANLIB_DATA_DIR=../shared/data python bench/time_to_quality.py --marks 0.5 1 2 3

Each model trains in this process from its committed defaults (`train.build_gan`), on the MNIST at hand,
with the clock stopped while it is measured. At each mark: FID and KID on the committed classifier's
features (N generated samples against N real ones, with the real-vs-real floor), precision and recall,
classes covered, and images/s. The tutorial's DCGAN (5×5 kernels, Adam 1e-4, batch 256) is the peer
baseline: every figure is also given as a ratio against it, measured in the same run.

Writes bench/results/time_to_quality.{json,md,png}. A benchmark, not a test: the machine is named.
"""

import argparse
import json
import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ganlib import data, loop, metrics, train  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BASELINE = "tf_tutorial"
MODELS = (BASELINE, "dcgan", "wgan_gp", "style", "cgan", "gan")
LABELS = {"tf_tutorial": "TF tutorial DCGAN", "gan": "ch. 01 MLP GAN", "dcgan": "ch. 02 DCGAN",
          "wgan_gp": "ch. 03 WGAN-GP", "style": "ch. 04 style-based", "cgan": "ch. 06 conditional"}


def measure(models, marks, n, tag):
    dataset = data.load("mnist", verbose=False)
    classifier = metrics.load_classifier("mnist")
    real = metrics.real_reference(dataset.images, n)
    n = min(n, len(real) // 2)

    def evaluate(gan):
        result = metrics.evaluate_images(gan.sample(n, seed=1), real, classifier)
        return {k: result[k] for k in ("fid", "fid_real_floor", "kid", "kid_se", "precision", "recall",
                                       "classes_covered", "class_kl")}

    report = {"machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()}, tag {tag}",
              "data": dataset.describe(), "classifier": classifier.record["summary"], "n": n, "marks": marks,
              "runs": {}}
    for model in models:
        gan = train.build_gan(model, seed=0)
        trainer = loop.Trainer(gan, dataset.images, dataset.labels if gan.num_classes else None)
        report["runs"][model] = loop.time_to_quality(trainer, marks, evaluate)
        last = report["runs"][model][-1]
        print(f"{model}: FID {last['fid']:.2f} (floor {last['fid_real_floor']:.2f}), "
              f"{last['images_per_second']:,.0f} images/s", flush=True)
    return report


def markdown(report):
    base = {row["minutes"]: row for row in report["runs"].get(BASELINE, [])}
    lines = [f"Machine: {report['machine']}. Data: {report['data']}. Features: {report['classifier']}. "
             f"N = {report['n']:,} generated vs {report['n']:,} real.", "",
             "| model | minutes | FID (real floor) | FID ÷ tutorial | KID (± SE) | precision | recall | "
             "classes | images/s | images/s ÷ tutorial |", "|---|---|---|---|---|---|---|---|---|---|"]
    for model, rows in report["runs"].items():
        for row in rows:
            b = base.get(row["minutes"])
            lines.append(
                f"| {LABELS.get(model, model)} | {row['minutes']:g} | {row['fid']:.2f} ({row['fid_real_floor']:.2f}) | "
                f"{row['fid'] / b['fid']:.2f} | {row['kid']:.2f} ± {row['kid_se']:.2f} | "
                f"{row['precision']:.2f} | {row['recall']:.2f} | {row['classes_covered']} | "
                f"{row['images_per_second']:,.0f} | {row['images_per_second'] / b['images_per_second']:.2f} |"
                if b else f"| {LABELS.get(model, model)} | {row['minutes']:g} | {row['fid']:.2f} | – | | | | | | |")
    return "\n".join(lines) + "\n"


def plot(report, path):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for model, rows in report["runs"].items():
        minutes = [r["minutes"] for r in rows]
        style = dict(marker="o", label=LABELS.get(model, model), linestyle="--" if model == BASELINE else "-")
        axes[0].plot(minutes, [r["fid"] for r in rows], **style)
        axes[1].plot(minutes, [max(r["kid"], 1e-5) for r in rows], **style)
    floor = np.mean([r["fid_real_floor"] for rows in report["runs"].values() for r in rows])
    axes[0].axhline(floor, color="gray", linewidth=1, label="real vs real")
    for ax, name in zip(axes, ("FID (classifier features)", "KID")):
        ax.set_xlabel("training minutes (this machine)")
        ax.set_ylabel(name)
        ax.set_yscale("log")
    axes[0].legend(fontsize=8)
    fig.suptitle(report["machine"], fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--marks", nargs="+", type=float, default=[0.5, 1, 2, 3], help="minutes")
    parser.add_argument("--n", type=int, default=2000, help="generated samples per measurement")
    parser.add_argument("--tag", default="2-core CPU VM")
    args = parser.parse_args()
    if BASELINE not in args.models:
        parser.error(f"the baseline {BASELINE} must be in --models: every figure is a ratio against it")
    report = measure([BASELINE] + [m for m in args.models if m != BASELINE], sorted(args.marks), args.n, args.tag)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "time_to_quality.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "time_to_quality.md").write_text(markdown(report))
    plot(report, RESULTS / "time_to_quality.png")
    print(markdown(report))


if __name__ == "__main__":
    main()
