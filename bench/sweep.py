"""Tuning sweeps: variants of a model's settings trained for the same wall-clock budget, several seeds each,
judged (after each of --minutes, the clock stopped while judging) like dcgan_quality.py (confident / classes / class KL) and with ganlib.metrics (precision, recall, FID).

    GANLIB_DATA_DIR=../shared/data python bench/sweep.py dcgan --minutes 5 --seeds 0 1 2 \\
        --variant base --variant bs32:batch_size=32 --variant w48:width=48,learning_rate=0.0003

A variant is NAME[:key=value,...] over the model's registry settings (`ganlib.registry.MODELS[MODEL].defaults`).
Each run goes through `loop.Trainer.run` with a deadline — the loop `fit` uses — in this process. Prints one
Markdown row per run and a median row per variant; --json appends the rows to a file. A benchmark, not a test.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ganlib import quiet  # noqa: E402

quiet.import_tensorflow()

import numpy as np  # noqa: E402

import dcgan_quality  # noqa: E402
from ganlib import data, loop, metrics, registry, train  # noqa: E402

COLUMNS = ("variant", "seed", "minutes", "steps", "confident", "classes ≥ 2%", "class KL", "precision", "recall",
           "FID")


def parse_variant(text, spec):
    name, _, assignments = text.partition(":")
    settings = {}
    for item in filter(None, assignments.split(",")):
        key, _, raw = item.partition("=")
        try:
            settings[key] = json.loads(raw)
        except ValueError:
            settings[key] = raw
    registry.check_settings(spec, settings)
    return name, settings


def quality_cells(row):
    """The Markdown cells of a judged run: confident | classes ≥ 2% | class KL | precision | recall | FID."""
    return (f"{row['confident']:.1%} | {row['classes']} | {row['class_kl']:.3f} | {row['precision']:.2f} | "
            f"{row['recall']:.2f} | {row['fid']:.1f}")


def append_row(path, row):
    """Append one run's row to a JSON-lines file."""
    with path.open("a") as f:
        f.write(json.dumps(row) + "\n")


def run(model, settings, seed, marks, images, labels, judge, steps=None):
    """Train one variant from ``seed``; one row per mark (minutes of training, the clock stopped while judging),
    or one row after ``steps`` steps."""
    gan = train.build_gan(model, seed=seed, **settings)
    trainer = loop.Trainer(gan, images, labels if gan.num_classes else None)
    if steps:
        start = time.perf_counter()
        trainer.run(max_steps=steps)
        minutes = (time.perf_counter() - start) / 60
        return [{"minutes": minutes, "steps": int(gan.step.numpy()),
                 "images_seen": int(gan.step.numpy()) * trainer.images_per_step, **judge(gan)}]
    return loop.time_to_quality(trainer, marks, judge, progress=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", choices=list(registry.MODELS))
    parser.add_argument("--variant", action="append", default=[], help="NAME[:key=value,...] (repeatable)")
    parser.add_argument("--minutes", type=float, nargs="+", default=[5],
                        help="judge each run after these minutes of training (one run, several marks)")
    parser.add_argument("--steps", type=int, default=None, help="train this many steps instead of --minutes "
                        "(quality per step, whatever else the machine is doing)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--json", type=Path, default=None, help="append the rows to this JSON-lines file")
    args = parser.parse_args()
    spec = registry.MODELS[args.model]
    variants = [parse_variant(v, spec) for v in args.variant or ["base"]]
    mnist = data.load("mnist", verbose=False)
    classifier, accuracy, about, _ = dcgan_quality.train_classifier()
    features = metrics.load_classifier("mnist")
    real = metrics.real_reference(mnist.images, 2000)

    def judge(gan):
        samples = gan.sample(dcgan_quality.N_SAMPLES, seed=123)
        result = dcgan_quality.judge(classifier, samples)
        measured = metrics.evaluate_images(samples[: len(real) // 2], real, features)
        return {**result, **{k: measured[k] for k in ("precision", "recall", "fid")}}

    budget = f"{args.steps:,} steps" if args.steps else " / ".join(f"{m:g}" for m in args.minutes) + " min"
    print(f"{args.model}, {budget} per run; judge: {accuracy:.2%} held-out accuracy ({about})")
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for name, settings in variants:
        rows = []
        for seed in args.seeds:
            for r in run(args.model, settings, seed, args.minutes, mnist.images, mnist.labels, judge, args.steps):
                rows.append(r)
                print(f"| {name} | {seed} | {r['minutes']:.1f} | {r['steps']:,} | {quality_cells(r)} |", flush=True)
                if args.json:
                    append_row(args.json, {"model": args.model, "variant": name, "settings": settings, "seed": seed,
                                           **{k: v for k, v in r.items() if k != "class_histogram"}})
        for mark in sorted({r["minutes"] for r in rows}):
            at_mark = [r for r in rows if r["minutes"] == mark]
            if len(at_mark) > 1:
                med = {k: float(np.median([r[k] for r in at_mark]))
                       for k in ("confident", "class_kl", "precision", "recall", "fid")}
                print(f"| **{name} median** | {len(at_mark)} seeds | {mark:.1f} | | {med['confident']:.1%} | "
                      f"{min(r['classes'] for r in at_mark)} (min) | {med['class_kl']:.3f} | {med['precision']:.2f} | "
                      f"{med['recall']:.2f} | {med['fid']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
