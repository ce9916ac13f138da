"""Command line: ``python -m ganlib train MODEL``, ``python -m ganlib sample RUN_DIR`` and
``python -m ganlib evaluate RUN_DIR``.

Bad input gets one line on stderr saying what is wrong and what to do, and exit status 2;
nothing that already exists is overwritten.
"""

import argparse
import math
import os
import sys
from pathlib import Path

# Before TensorFlow is imported: keep its C++ start-up chatter out of a learner's terminal.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ganlib.quick import quick  # noqa: E402

MODELS = ("gan", "dcgan", "lsgan", "wgan_gp", "style", "cgan", "tf_tutorial")
DEFAULT_EPOCHS = {"gan": 40, "dcgan": 30, "lsgan": 30, "wgan_gp": 30, "style": 30, "cgan": 30, "tf_tutorial": 50}
PER_CLASS_DEFAULT = 8  # columns of the class grid a conditional run samples by default
SAMPLE_FORMATS = (".npy", ".png", ".gif")
USAGE_ERROR = 2


class UsageError(Exception):
    """Bad input from the user: reported in one line with exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see `python -m ganlib {self.prog.split()[-1]} --help`)"
                         if self.prog.split()[-1] in ("train", "sample", "evaluate") else f"{message} (see --help)")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def _class_label(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a class label; give a whole number such as 3") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a class label; labels start at 0")
    return value


def _image_size(text):
    value = _positive_int(text)
    if value < 28:
        raise argparse.ArgumentTypeError(f"{text} is smaller than the 28-pixel images; give 28 or more")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be greater than 0")
    return value


def _finite_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number")
    return value


def build_parser():
    parser = OneLineParser(prog="python -m ganlib", description="Train GANs and sample from them.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    train = sub.add_parser("train", help="train a model; running it again on the same --out resumes")
    train.add_argument("model", choices=MODELS,
                       help="gan (chapter 01, MLPs), dcgan (chapter 02), lsgan or wgan_gp (chapter 03), "
                            "style (chapter 04, style-based generator), cgan (chapter 06, conditional on the label), "
                            "tf_tutorial (the TensorFlow DCGAN tutorial, the baseline of chapter 05)")
    train.add_argument("--dataset", default="mnist", choices=("mnist", "fashion_mnist"))
    train.add_argument("--epochs", type=_positive_int, default=None,
                       help="total epochs (default: 40 for gan, 30 for the others; 1 with GANLIB_QUICK=1)")
    train.add_argument("--max-minutes", type=_positive_float, default=None,
                       help="wall-clock budget; stops cleanly after checkpointing")
    train.add_argument("--out", type=Path, default=None, help="run directory (default: runs/MODEL-DATASET)")
    train.add_argument("--batch-size", type=_positive_int, default=None)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--data-dir", type=Path, default=None, help="folder holding the dataset files")
    train.add_argument("--limit", type=_positive_int, default=None, help="train on the first N images only")

    sample = sub.add_parser("sample", help="write samples from a trained run")
    sample.add_argument("run_dir", type=Path)
    sample.add_argument("--n", type=_positive_int, default=None,
                        help="number of images (default 64); for a conditional run without --label, images per "
                             f"class (default {PER_CLASS_DEFAULT}: a 10 × {PER_CLASS_DEFAULT} grid, one row per class)")
    sample.add_argument("--out", type=Path, required=True,
                        help="FILE.npy, FILE.png (grid) or FILE.gif (latent walk; for a conditional run without "
                             "--label, a morph through the classes)")
    sample.add_argument("--label", type=_class_label, default=None, help="conditional runs: the class to draw")
    sample.add_argument("--size", type=_image_size, default=None,
                        help="upscale each image to SIZE×SIZE pixels in .png and .gif output (e.g. 256 to print)")
    sample.add_argument("--psi", type=_finite_float, default=None,
                        help="style runs: truncation ψ (1: none, 0: the average image; 0.7 is a common choice)")
    sample.add_argument("--seed", type=int, default=None)
    sample.add_argument("--force", action="store_true", help="overwrite --out if it exists")

    evaluate = sub.add_parser("evaluate", help="measure a trained run: FID, KID, precision/recall, classes (JSON)")
    evaluate.add_argument("run_dir", type=Path)
    evaluate.add_argument("--n", type=_positive_int, default=None,
                          help="generated samples (default 5000; capped at half the real images available)")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--features", choices=("classifier", "inception"), default="classifier",
                          help="features for FID, KID and precision/recall: the committed classifier's (default) "
                               "or InceptionV3's (downloads ImageNet weights; slow on a CPU)")
    evaluate.add_argument("--data-dir", type=Path, default=None, help="folder holding the dataset files")
    return parser


def _evaluate(args):
    if not args.run_dir.is_dir():
        raise UsageError(f"{args.run_dir} is not a directory; pass the --out folder of a `train` run")
    import json

    from ganlib import data, metrics, train

    try:
        gan = train.load_gan(args.run_dir)
    except train.RunDirError as err:
        raise UsageError(str(err)) from None
    dataset_name = gan.config.get("dataset", "mnist")
    try:
        classifier = metrics.load_classifier(dataset_name)
        real = data.load(dataset_name, "train", data_dir=args.data_dir, verbose=False)
        features = metrics.load_inception() if args.features == "inception" else None
    except (FileNotFoundError, data.DataError, metrics.FeatureError) as err:
        raise UsageError(str(err)) from None
    n = args.n or quick(full=metrics.DEFAULT_N, small=500)
    result = {"run_dir": str(args.run_dir), "model": gan.config["model"], "step": int(gan.step),
              "dataset": real.describe(),
              **metrics.evaluate_gan(gan, real.images, classifier, n=n, seed=args.seed, features=features)}
    suffix = "-inception" if features else ""
    out = args.run_dir / f"evaluation-step{int(gan.step)}-n{result['n']}-seed{args.seed}{suffix}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")  # same step, n and seed: the same numbers
    print(json.dumps(result))
    return 0


def _train(args):
    from ganlib import data, train

    epochs = args.epochs or quick(full=DEFAULT_EPOCHS[args.model], small=1)
    run_dir = args.out or Path("runs") / f"{args.model}-{args.dataset}"
    try:
        dataset = data.load(args.dataset, "train", data_dir=args.data_dir)
    except (data.DataError, data.DataNotFoundError) as err:
        raise UsageError(str(err)) from None
    images = dataset.images[: args.limit] if args.limit else dataset.images
    if args.limit is None and quick(False, True):
        images = images[:2048]
    labels = dataset.labels[: len(images)]
    print(f"Data: {dataset.describe()}" + (f" (using {len(images):,})" if len(images) != len(dataset.images) else ""))
    overrides = {"batch_size": args.batch_size} if args.batch_size else {}
    gan = train.build_gan(args.model, seed=args.seed, **overrides)
    try:
        pipeline = train.make_pipeline(gan, images, seed=args.seed, labels=labels if gan.num_classes else None)
    except ValueError as err:
        raise UsageError(str(err)) from None
    extra = {"dataset": args.dataset, "seed": args.seed}
    try:
        result = train.fit(gan, pipeline, epochs, run_dir, max_minutes=args.max_minutes, extra_config=extra)
    except train.RunDirError as err:
        raise UsageError(str(err)) from None
    if result.gif_path:
        print(f"Samples: {run_dir / 'grids'} (one grid per epoch), {result.gif_path}, {run_dir / 'losses.png'}")
    return 130 if result.stopped_by == "interrupt" else 0


def _sample(args):
    suffix = args.out.suffix.lower()
    if suffix not in SAMPLE_FORMATS:
        raise UsageError(f"--out {args.out}: unknown format {suffix or '(none)'}; use .npy, .png or .gif")
    if args.out.exists() and not args.force:
        raise UsageError(f"--out {args.out} already exists; choose another name or add --force to overwrite it")
    if not args.run_dir.is_dir():
        raise UsageError(f"{args.run_dir} is not a directory; pass the --out folder of a `train` run")
    if not args.out.parent.is_dir():
        raise UsageError(f"--out {args.out}: folder {args.out.parent} does not exist; create it first")

    import numpy as np

    from ganlib import latent, train, viz

    try:
        gan = train.load_gan(args.run_dir)
    except train.RunDirError as err:
        raise UsageError(str(err)) from None
    if args.size and suffix == ".npy":
        raise UsageError("--size upscales pictures; use it with a .png or .gif --out, not .npy")
    if args.label is not None and not gan.num_classes:
        raise UsageError(f"{args.run_dir} holds a {gan.config['model']} run, which is not conditional: --label "
                         "needs a `python -m ganlib train cgan` run")
    if args.psi is not None and gan.config.get("model") != "style":
        raise UsageError(f"{args.run_dir} holds a {gan.config['model']} run: --psi (truncation) needs a "
                         "`python -m ganlib train style` run")
    if args.label is not None and args.label >= gan.num_classes:
        raise UsageError(f"--label {args.label}: this run knows classes 0 to {gan.num_classes - 1}")

    class_grid = bool(gan.num_classes) and args.label is None
    n = args.n or (PER_CLASS_DEFAULT if class_grid else 64)

    def picture(images, ncols=None):
        images = viz.upscale(images, args.size) if args.size else images
        return viz.image_grid(images, ncols=ncols, scale=1 if args.size else 2)

    z = np.random.default_rng(args.seed).standard_normal((n, gan.latent_dim))
    if class_grid:
        z, labels = gan.class_grid_inputs(z)
    else:
        labels = None if args.label is None else np.full(n, args.label)
    if suffix == ".npy":
        np.save(args.out, gan.generate(z, labels, psi=args.psi).astype(np.float32))
    elif suffix == ".png":
        viz.write_image(picture(gan.generate(z, labels, psi=args.psi), ncols=n if class_grid else None), args.out)
    elif class_grid:
        frames = [picture(images, ncols=n) for images in latent.class_morph(gan, z[:n])]
        viz.write_gif(frames, args.out, duration_ms=80, last_frame_ms=80)
    else:
        walk = latent.latent_walk(n, gan.latent_dim, seed=args.seed)
        frames = [picture(gan.generate(zs, labels, psi=args.psi)) for zs in walk]
        viz.write_gif(frames, args.out, duration_ms=80, last_frame_ms=80)
    total = n * gan.num_classes if class_grid else n
    what = f" ({n} per class, class by class)" if class_grid else (f" of class {args.label}" if labels is not None else "")
    what += f" with truncation ψ = {args.psi:g}" if args.psi is not None else ""
    print(f"Wrote {total} samples{what} to {args.out}")
    return 0


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
        return {"train": _train, "sample": _sample, "evaluate": _evaluate}[args.command](args)
    except UsageError as err:
        print(f"ganlib: error: {err}", file=sys.stderr)
        return USAGE_ERROR
