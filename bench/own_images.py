"""Your own pictures (chapter 07): what a 32-px DCGAN and style-based generator learn from a picture folder in CPU
minutes, and what DiffAugment and growing change.

    python -m ganlib.demo_art emoji                   # the demo set (Twemoji, CC BY 4.0), once
    python bench/own_images.py emoji/smileys-emotion --minutes 10 --runs dcgan   # one category: faces
    python bench/own_images.py emoji --minutes 10 --runs dcgan dcgan_augment style_augment style_grow

Each named run trains in this process (`loop.Trainer`, the loop `fit` uses) for --minutes on the folder's
pictures minus a seeded held-out tenth, then is measured without any classifier of the pictures' classes (none
exists for a folder of your own): D's verdicts on training vs held-out pictures (its overfitting), the
memorisation check (samples' distance to the nearest training picture ÷ held-out pictures'), and the kernel
distance (KID) and precision/recall on 8×8 colour thumbnails (coarse, but comparable between runs of one
folder). A 64-sample grid per run goes to bench/results/STEM-RUN.png, beside 64 of the training pictures
(STEM-real.png), and the table to STEM.{json,md}, STEM being own_images-FOLDER-MINUTESmin (the folder's name).
A benchmark, not a test: the machine is named.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ganlib import quiet  # noqa: E402

tf = quiet.import_tensorflow()

import numpy as np  # noqa: E402

from ganlib import data, image_folder, loop, metrics, train, viz  # noqa: E402
from machine_info import cpu_name  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
AUGMENT = "color,translation,cutout"
RUNS = {
    "dcgan": ("dcgan", {}),
    "dcgan_augment": ("dcgan", {"augment": AUGMENT}),
    "style": ("style", {}),  # the style model's defaults already average G's weights (ema 0.999)
    "style_augment": ("style", {"augment": AUGMENT}),
    "style_grow": ("style", {"augment": AUGMENT, "grow_steps": 800}),
}


def thumbnails(images, size=8):
    """Images in [-1, 1] averaged down to size×size, flattened: a crude, classifier-free feature."""
    images = np.asarray(images, np.float32)
    factor = images.shape[1] // size
    return images.reshape(len(images), size, factor, size, factor, -1).mean(axis=(2, 4)).reshape(len(images), -1)


def measure(gan, train_images, held_out, n, seed):
    train_float, held_float = data.to_float(train_images), data.to_float(held_out)
    samples = gan.sample(n, seed=seed)
    reference = train_float[np.random.default_rng(seed).permutation(len(train_float))[:n]]
    kid, kid_se = metrics.kernel_distance(thumbnails(samples), thumbnails(reference), seed=seed)
    precision, recall = metrics.precision_recall(thumbnails(reference), thumbnails(samples))
    return {"thumbnail_kid": kid, "thumbnail_kid_se": kid_se, "thumbnail_precision": precision,
            "thumbnail_recall": recall, **metrics.memorisation(samples, train_float, held_float),
            **metrics.discriminator_verdicts(gan, train_float, held_float)}, samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--runs", nargs="+", default=list(RUNS), choices=list(RUNS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n", type=int, default=1000, help="samples measured per run")
    args = parser.parse_args()
    pictures = image_folder.load(args.folder, args.size, 3, cache_dir=RESULTS.parent / "runs" / ".image-cache")
    train_index, held_index = data.held_out_split(len(pictures.images), args.seed)
    images, held_out = pictures.images[train_index], pictures.images[held_index]
    folder_name = args.folder.resolve().name
    report = {"machine": f"{cpu_name()}, {os.cpu_count()} cores", "folder": folder_name,
              "pictures": len(pictures.images), "held_out": len(held_out), "size": args.size, "minutes": args.minutes,
              "runs": {}}
    stem = f"own_images-{folder_name}-{args.minutes:g}min"
    RESULTS.mkdir(exist_ok=True)
    shown = np.random.default_rng(args.seed).permutation(len(images))[:64]
    viz.save_grid(data.to_float(images[shown]), RESULTS / f"{stem}-real.png", ncols=8)
    for name in args.runs:
        model, settings = RUNS[name]
        gan = train.build_gan(model, seed=args.seed, image_size=args.size, channels=3, **settings)
        trainer = loop.Trainer(gan, images)
        start = time.perf_counter()
        trainer.run(deadline=time.monotonic() + 60 * args.minutes)
        seconds = time.perf_counter() - start
        result, samples = measure(gan, images, held_out, args.n, args.seed)
        used = {key: gan.config[key] for key in ("width", "batch_size", "learning_rate", "ema", "augment", "grow_steps")
                if key in gan.config}  # what the run used: the model's picture defaults and the run's own
        report["runs"][name] = {"model": model, "settings": used, "steps": int(gan.step.numpy()),
                                "images_per_second": int(gan.step.numpy()) * trainer.images_per_step / seconds,
                                **result}
        viz.save_grid(samples[:64], RESULTS / f"{stem}-{name}.png", ncols=8)
        print(name, json.dumps(report["runs"][name]), flush=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [f"Machine: {report['machine']}. Folder: {report['folder']} ({report['pictures']:,} pictures, "
             f"{report['held_out']:,} held out), {args.size} px, {args.minutes:g} min per run.", "",
             "| run | settings | steps | images/s | D real: train / held-out (gap) | memorisation ratio | thumbnail KID | "
             "thumbnail precision / recall |", "|---|---|---|---|---|---|---|---|"]
    for name, r in report["runs"].items():
        used = ", ".join(f"{key} {value}" for key, value in r["settings"].items() if value != "")
        lines.append(f"| {name} | {used} | {r['steps']:,} | {r['images_per_second']:,.0f} | {r['d_real_on_train']:.0%} / "
                     f"{r['d_real_on_held_out']:.0%} ({r['d_overfitting_gap']:+.0%}) | {r['memorisation_ratio']:.2f} | "
                     f"{r['thumbnail_kid']:.4f} ± {r['thumbnail_kid_se']:.4f} | {r['thumbnail_precision']:.2f} / "
                     f"{r['thumbnail_recall']:.2f} |")
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
