"""Command line: ``python -m ganlib train MODEL`` and ``python -m ganlib sample RUN_DIR``.

Bad input gets one line on stderr saying what is wrong and what to do, and exit status 2;
nothing that already exists is overwritten.
"""

import argparse
import os
import sys
from pathlib import Path

# Before TensorFlow is imported: keep its C++ start-up chatter out of a learner's terminal.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ganlib.quick import quick  # noqa: E402

MODELS = ("gan", "dcgan", "lsgan", "wgan_gp")
DEFAULT_EPOCHS = {"gan": 40, "dcgan": 30, "lsgan": 30, "wgan_gp": 30}
SAMPLE_FORMATS = (".npy", ".png", ".gif")
USAGE_ERROR = 2


class UsageError(Exception):
    """Bad input from the user: reported in one line with exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see `python -m ganlib {self.prog.split()[-1]} --help`)"
                         if self.prog.split()[-1] in ("train", "sample") else f"{message} (see --help)")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be greater than 0")
    return value


def build_parser():
    parser = OneLineParser(prog="python -m ganlib", description="Train GANs and sample from them.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    train = sub.add_parser("train", help="train a model; running it again on the same --out resumes")
    train.add_argument("model", choices=MODELS,
                       help="gan (chapter 01, MLPs), dcgan (chapter 02), lsgan or wgan_gp (chapter 03)")
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
    sample.add_argument("--n", type=_positive_int, default=64, help="number of images")
    sample.add_argument("--out", type=Path, required=True, help="FILE.npy, FILE.png (grid) or FILE.gif (latent walk)")
    sample.add_argument("--seed", type=int, default=None)
    sample.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    return parser


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
    print(f"Data: {dataset.describe()}" + (f" (using {len(images):,})" if len(images) != len(dataset.images) else ""))
    overrides = {"batch_size": args.batch_size} if args.batch_size else {}
    gan = train.build_gan(args.model, seed=args.seed, **overrides)
    try:
        pipeline = train.make_pipeline(gan, images, seed=args.seed)
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
    if suffix == ".npy":
        np.save(args.out, gan.sample(args.n, seed=args.seed).astype(np.float32))
    elif suffix == ".png":
        viz.save_grid(gan.sample(args.n, seed=args.seed), args.out)
    else:
        walk = latent.latent_walk(args.n, gan.latent_dim, seed=args.seed)
        frames = [viz.image_grid(gan.generate(z), scale=2) for z in walk]
        viz.write_gif(frames, args.out, duration_ms=80, last_frame_ms=80)
    print(f"Wrote {args.n} samples to {args.out}")
    return 0


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
        return _train(args) if args.command == "train" else _sample(args)
    except UsageError as err:
        print(f"ganlib: error: {err}", file=sys.stderr)
        return USAGE_ERROR
