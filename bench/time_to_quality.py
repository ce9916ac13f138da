"""Time to quality: every chapter model and the TensorFlow DCGAN tutorial, trained side by side on this machine
for the same wall-clock budget, several seeds each, measured at time marks.

    GANLIB_DATA_DIR=../shared/data python bench/time_to_quality.py --marks 1 3 5 --seeds 0 1 2

Each model trains in this process from its committed defaults (`train.build_gan`) through `loop.Trainer` — the
loop `python -m ganlib train` runs — on the MNIST at hand, with the clock stopped while it is measured. At each
mark, on N generated samples against N real ones:

- `ganlib.metrics` on the committed classifier's features: FID and KID (with the real-vs-real floor),
  precision and recall (k = 3), classes covered;
- the yardstick of `dcgan_quality.py` (a CNN trained here, seeded, on the data at hand): the share of samples
  it reads with probability > 0.9 ("confident"), the classes making up ≥ 2% of the samples, and the KL of the
  class histogram from uniform.

Every figure is given per seed and as the median (and min–max spread) over seeds; the tutorial's DCGAN (5×5
kernels, Adam 1e-4, batch 256) is the peer baseline, measured in the same run, and the targets of the quality
issue are checked at the last mark. Writes bench/results/time_to_quality.{json,md,png} and each model's seed-0
samples at the last mark (time_to_quality-MODEL-samples.png). The JSON is rewritten after every training, and
`--resume` keeps the runs it holds: an interrupted benchmark loses at most the run under way. A benchmark, not a
test: the machine is named.
"""

import argparse
import json
import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ganlib import quiet  # noqa: E402

quiet.import_tensorflow()

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import dcgan_quality  # noqa: E402
from machine_info import cpu_name  # noqa: E402
from ganlib import data, loop, metrics, runs, train, viz  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BASELINE = "tf_tutorial"
MODELS = (BASELINE, "dcgan", "wgan_gp", "style", "gan", "cgan")
LABELS = {"tf_tutorial": "TF tutorial DCGAN", "gan": "ch. 01 MLP GAN", "dcgan": "ch. 02 DCGAN",
          "wgan_gp": "ch. 03 WGAN-GP", "style": "ch. 04 style-based", "cgan": "ch. 06 conditional"}
# The quality issue's targets at 5 minutes (gan: the simple baseline's own).
TARGETS = {
    "default": {"confident": 0.80, "classes": 10, "class_kl": 0.05, "precision": 0.70, "recall": 0.60},
    "gan": {"confident": 0.60, "classes": 10},
}
VALUES = ("fid", "kid", "precision", "recall", "classes_covered", "confident", "classes", "class_kl",
          "images_per_second", "steps")


def machine(tag):
    return f"{cpu_name()}, {os.cpu_count()} cores, {platform.system()}, tag {tag}"


def measure(models, marks, n, seeds, tag, done=None, save=lambda report: None):
    dataset = data.load("mnist", verbose=False)
    classifier = metrics.load_classifier("mnist")
    judge, judge_accuracy, judge_about, _ = dcgan_quality.train_classifier()
    real = metrics.real_reference(dataset.images, n)
    n = min(n, len(real) // 2)

    def evaluate(gan):
        samples = gan.sample(n, seed=1)
        result = metrics.evaluate_images(samples, real, classifier)
        judged = dcgan_quality.judge(judge, samples)
        return {**{k: result[k] for k in ("fid", "fid_real_floor", "kid", "kid_se", "precision", "recall",
                                           "classes_covered", "class_kl")},
                "confident": judged["confident"], "classes": judged["classes"], "class_kl": judged["class_kl"]}

    report = {"machine": machine(tag), "data": dataset.describe(), "classifier": classifier.record["summary"],
              "judge": f"{judge_accuracy:.2%} held-out accuracy ({judge_about})", "n": n, "marks": marks,
              "seeds": seeds, "runs": {}}
    for model in models:
        report["runs"][model] = {}
        for seed in seeds:
            if str(seed) in (done or {}).get(model, {}):
                report["runs"][model][seed] = done[model][str(seed)]
                print(f"{model} seed {seed}: kept from the earlier run", flush=True)
                continue
            gan = train.build_gan(model, seed=seed)
            trainer = loop.Trainer(gan, dataset.images, dataset.labels if gan.num_classes else None)
            rows = loop.time_to_quality(trainer, marks, evaluate)
            report["runs"][model][seed] = rows
            if seed == seeds[0]:
                RESULTS.mkdir(exist_ok=True)
                viz.save_grid(gan.sample(100, seed=123), RESULTS / f"time_to_quality-{model}-samples.png", ncols=10)
            save(report)  # after every run: an interrupted benchmark loses at most the run under way
            last = rows[-1]
            print(f"{model} seed {seed}: {last['confident']:.1%} confident, {last['classes']} classes, "
                  f"P {last['precision']:.2f} R {last['recall']:.2f}, FID {last['fid']:.2f}, "
                  f"{last['images_per_second']:,.0f} images/s", flush=True)
    return report


def summary(report, model, mark_index=-1):
    """{value: (median, min, max)} over the seeds at one mark."""
    rows = [seed_rows[mark_index] for seed_rows in report["runs"][model].values()]
    return {k: (float(np.median([r[k] for r in rows])), float(np.min([r[k] for r in rows])),
                float(np.max([r[k] for r in rows]))) for k in VALUES}


def met(model, stats):
    target = TARGETS.get(model, TARGETS["default"])
    checks = {"confident": stats["confident"][0] >= target["confident"],
              "classes": stats["classes"][1] >= target["classes"]}
    for key in ("class_kl",):
        if key in target:
            checks[key] = stats[key][0] <= target[key]
    for key in ("precision", "recall"):
        if key in target:
            checks[key] = stats[key][0] >= target[key]
    return checks


def markdown(report):
    marks = report["marks"]
    base = summary(report, BASELINE) if BASELINE in report["runs"] else None
    lines = [f"Machine: {report['machine']}. Data: {report['data']}. Features: {report['classifier']}. "
             f"Yardstick: {report['judge']}. N = {report['n']:,} generated vs {report['n']:,} real. Seeds "
             f"{', '.join(map(str, report['seeds']))}: each cell is the median over seeds, [min–max] beside it.", "",
             f"At {marks[-1]:g} minutes:", "",
             "| model | confident | classes ≥ 2% (min) | class KL | precision | recall | FID (classifier features) | "
             "images/s | images/s ÷ tutorial |", "|---|---|---|---|---|---|---|---|---|"]

    def cell(stats, key, fmt):
        median, low, high = stats[key]
        return f"{format(median, fmt)} [{format(low, fmt)}–{format(high, fmt)}]"

    for model in report["runs"]:
        s = summary(report, model)
        ratio = f"{s['images_per_second'][0] / base['images_per_second'][0]:.2f}" if base else "–"
        lines.append(f"| {LABELS.get(model, model)} | {cell(s, 'confident', '.1%')} | {int(s['classes'][1])} | "
                     f"{cell(s, 'class_kl', '.3f')} | {cell(s, 'precision', '.2f')} | {cell(s, 'recall', '.2f')} | "
                     f"{cell(s, 'fid', '.1f')} | {s['images_per_second'][0]:,.0f} | {ratio} |")
    lines += ["", "Targets (confident ≥ 80%, every class ≥ 2%, class KL ≤ 0.05, precision ≥ 0.7, recall ≥ 0.6; "
              "the MLP GAN: ≥ 60% confident, every class ≥ 2%), on the medians:", ""]
    for model in report["runs"]:
        if model == BASELINE:
            continue
        checks = met(model, summary(report, model))
        lines.append(f"- {LABELS.get(model, model)}: " + ", ".join(f"{k} {'met' if ok else 'not met'}"
                                                                      for k, ok in checks.items()))
    if len(marks) > 1:
        lines += ["", "Every mark (medians over seeds):", "",
                  "| model | minutes | steps | confident | precision | recall | FID |", "|---|---|---|---|---|---|---|"]
        for model in report["runs"]:
            for i, mark in enumerate(marks):
                s = summary(report, model, i)
                lines.append(f"| {LABELS.get(model, model)} | {mark:g} | {s['steps'][0]:,.0f} | {s['confident'][0]:.1%} | "
                             f"{s['precision'][0]:.2f} | {s['recall'][0]:.2f} | {s['fid'][0]:.1f} |")
    return "\n".join(lines) + "\n"


def plot(report, path):
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for model in report["runs"]:
        medians = [summary(report, model, i) for i in range(len(report["marks"]))]
        style = dict(marker="o", label=LABELS.get(model, model), linestyle="--" if model == BASELINE else "-")
        for ax, key in zip(axes, ("fid", "confident", "recall")):
            ax.plot(report["marks"], [m[key][0] for m in medians], **style)
    for ax, name in zip(axes, ("FID (classifier features)", "confidently read", "recall")):
        ax.set_xlabel("training minutes (this machine)")
        ax.set_title(name)
    axes[0].set_yscale("log")
    axes[0].legend(fontsize=8)
    fig.suptitle(report["machine"], fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--marks", nargs="+", type=float, default=[1, 3, 5], help="minutes")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--n", type=int, default=2000, help="generated samples per measurement")
    parser.add_argument("--tag", default="2-core CPU VM")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs already in results/time_to_quality.json (same marks, N and machine) "
                             "and train only the missing ones")
    args = parser.parse_args()
    if BASELINE not in args.models:
        parser.error(f"the baseline {BASELINE} must be in --models: every figure is read against it")
    marks, json_path = sorted(args.marks), RESULTS / "time_to_quality.json"
    done = None
    if args.resume and json_path.exists():
        earlier = json.loads(json_path.read_text())
        if (earlier["marks"], earlier["n"], earlier["machine"]) != (marks, args.n, machine(args.tag)):
            parser.error(f"{json_path} was measured with other marks, N or machine; run without --resume to "
                         "start afresh")
        done = earlier["runs"]

    def save(report):
        RESULTS.mkdir(exist_ok=True)
        runs.atomic_write_text(json_path, json.dumps(report, indent=2) + "\n")  # a kill mid-write keeps the last

    report = measure([BASELINE] + [m for m in args.models if m != BASELINE], marks, args.n, args.seeds, args.tag,
                     done, save)
    save(report)
    (RESULTS / "time_to_quality.md").write_text(markdown(report))
    plot(report, RESULTS / "time_to_quality.png")
    print(markdown(report))


if __name__ == "__main__":
    main()
