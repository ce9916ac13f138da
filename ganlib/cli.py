"""Command line: ``python -m ganlib train MODEL``, ``sample RUN_DIR`` and ``evaluate RUN_DIR``.

Bad input gets one line on stderr saying what is wrong and what to do, and exit status 2; nothing that
already exists is overwritten. A run whose loss stops being finite ends with one line and exit status 1.
"""

import argparse
import json
import math
import os
import shutil
import sys
from pathlib import Path

from ganlib.quick import quick

PER_CLASS_DEFAULT = 8  # columns of the class grid a conditional run samples by default
SAMPLE_FORMATS = (".npy", ".png", ".gif")
USAGE_ERROR = 2
TRAINING_FAILED = 1
INTERRUPTED = 130
WALK_FRAMES = 48  # frames of a latent-walk GIF (4 legs of 12)
IMAGE_CACHE = ".image-cache"  # decoded picture folders, kept beside the runs that use them
FOLDER_SIZE = 32  # pixels, when --images is given without --size


class UsageError(Exception):
    """Bad input from the user: reported in one line with exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        command = self.prog.split()[-1]
        raise UsageError(f"{message} (see `python -m ganlib {command} --help`)"
                         if command in ("train", "sample", "evaluate") else f"{message} (see --help)")


def _whole(text, at_least, what="a whole number"):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if value < at_least:
        raise argparse.ArgumentTypeError(f"{text} must be at least {at_least}")
    return value


def _positive_int(text):
    return _whole(text, 1)


def _seed(text):
    from ganlib.gan import MAX_SEED

    value = _whole(text, 0, "a seed (a whole number such as 0 or 42)")
    if value > MAX_SEED:
        raise argparse.ArgumentTypeError(f"{text} is too large for a seed; use 0 to {MAX_SEED}")
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
    if value > 1024:
        raise argparse.ArgumentTypeError(f"{text} is larger than 1024 pixels; give 28 to 1024")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text} must be a number greater than 0")
    return value


def _finite_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number")
    return value


def _setting(text):
    """KEY=VALUE, the value read as JSON where it parses (0.3, 5, true, "adam") and as text otherwise."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE (e.g. --set dropout=0.0)")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return key.strip(), value


def _models_help():
    from ganlib.registry import MODELS

    return "; ".join(f"{name}: {spec.summary}, {spec.epochs} epochs by default" for name, spec in MODELS.items())


def build_parser():
    from ganlib.devices import PRECISIONS, STRATEGIES
    from ganlib.registry import MODELS

    parser = OneLineParser(prog="python -m ganlib", description="Train GANs and sample from them.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    train = sub.add_parser("train", help="train a model; running it again on the same --out resumes exactly")
    train.add_argument("model", choices=list(MODELS), help=_models_help())
    train.add_argument("--dataset", default="mnist", choices=("mnist", "fashion_mnist"))
    train.add_argument("--images", type=Path, default=None, metavar="DIR",
                       help="train on a folder of your own pictures (PNG/JPEG/WebP/GIF, sub-folders too) instead of "
                            "--dataset (chapter 07); models: dcgan, lsgan, wgan_gp, wgan, style")
    train.add_argument("--size", type=_positive_int, default=None,
                       help=f"with --images: the size the pictures are cropped and resized to (default {FOLDER_SIZE}; "
                            "28, 32, 48, 64 or 128)")
    train.add_argument("--grey", action="store_true", help="with --images: train on grey pictures, not colour")
    train.add_argument("--epochs", type=_positive_int, default=None,
                       help="total epochs (default: the model's, see above; 1 with GANLIB_QUICK=1)")
    train.add_argument("--max-minutes", type=_positive_float, default=None,
                       help="wall-clock budget for this session; stops cleanly after checkpointing")
    train.add_argument("--max-steps", type=_positive_int, default=None,
                       help="stop (with a checkpoint) after this many steps in this session")
    train.add_argument("--checkpoint-minutes", type=_positive_float, default=None,
                       help="also checkpoint every this many minutes within an epoch (default 2)")
    train.add_argument("--out", type=Path, default=None, help="run directory (default: runs/MODEL-DATASET)")
    train.add_argument("--batch-size", type=_positive_int, default=None)
    train.add_argument("--set", dest="settings", type=_setting, action="append", default=[], metavar="KEY=VALUE",
                       help="change one of the model's settings, e.g. --set dropout=0.0 or --set layer_norm=true "
                            "(repeatable; the settings are the keys of ganlib.registry.MODELS[MODEL].defaults)")
    train.add_argument("--seed", type=_seed, default=0, help="one seed for weights, noise and data order")
    train.add_argument("--data-dir", type=Path, default=None, help="folder holding the dataset files")
    train.add_argument("--limit", type=_positive_int, default=None, help="train on the first N images only")
    train.add_argument("--precision", choices=PRECISIONS, default="float32",
                       help="compute precision; mixed_float16 / mixed_bfloat16 for GPUs (default float32)")
    train.add_argument("--xla", action="store_true", help="compile the train step with XLA (jit_compile)")
    train.add_argument("--steps-per-call", type=_positive_int, default=1,
                       help="train steps per tf.function call (more: fewer Python round trips, e.g. on a GPU)")
    train.add_argument("--strategy", choices=STRATEGIES, default="auto",
                       help="tf.distribute strategy: auto (every GPU of this machine), default (one device), "
                            "mirrored, multi_worker (machines listed in TF_CONFIG)")

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
    sample.add_argument("--seed", type=_seed, default=None)
    sample.add_argument("--force", action="store_true", help="overwrite --out if it is an existing file")

    evaluate = sub.add_parser("evaluate", help="measure a trained run: FID, KID, precision/recall, classes (JSON)")
    evaluate.add_argument("run_dir", type=Path)
    evaluate.add_argument("--n", type=_positive_int, default=None,
                          help="generated samples (default 5000; capped at half the real images available)")
    evaluate.add_argument("--seed", type=_seed, default=0)
    evaluate.add_argument("--features", choices=("classifier", "inception"), default="classifier",
                          help="features for FID, KID and precision/recall: the committed classifier's (default) "
                               "or InceptionV3's (downloads ImageNet weights; slow on a CPU)")
    evaluate.add_argument("--data-dir", type=Path, default=None, help="folder holding the dataset files")
    evaluate.add_argument("--images", type=Path, default=None, metavar="DIR",
                          help="for a run trained on your own pictures: their folder, if it has moved since")
    return parser


def _load_gan(run_dir):
    from ganlib import runs

    if not run_dir.is_dir():
        raise UsageError(f"{run_dir} is not a directory; pass the --out folder of a `train` run")
    try:
        return runs.load_gan(run_dir)
    except runs.RunDirError as err:
        raise UsageError(str(err)) from None


def _folder_images(folder, size, channels, run_dir, seed, verbose=True):
    """(training images, held-out images, the loaded folder) of a run on your own pictures; the decoded pictures
    are cached beside the run directory."""
    from ganlib import data, image_folder

    try:
        loaded = image_folder.load(folder, size, channels, cache_dir=Path(run_dir).parent / IMAGE_CACHE,
                                   verbose=verbose)
    except ValueError as err:  # ImageFolderError and bad sizes
        raise UsageError(str(err)) from None
    train_indices, held_out_indices = data.held_out_split(len(loaded.images), seed)
    return loaded.images[train_indices], loaded.images[held_out_indices], loaded


def _evaluate_folder_run(args, gan):
    from ganlib import metrics, runs

    config = gan.config
    folder = args.images or Path(config["images_folder"])
    train_images, held_out, _ = _folder_images(folder, config["image_size"], config["channels"], args.run_dir,
                                               config["seed"], verbose=False)
    try:
        features = metrics.load_inception() if args.features == "inception" else None
    except metrics.FeatureError as err:
        raise UsageError(str(err)) from None
    n = min(args.n or quick(full=2000, small=200), 4 * len(train_images))
    result = {"run_dir": str(args.run_dir), "model": config["model"], "step": int(gan.step.numpy()),
              "images_folder": str(folder),
              **metrics.evaluate_folder_run(gan, train_images, held_out, n=n, seed=args.seed, features=features)}
    out = args.run_dir / f"evaluation-step{result['step']}-n{n}-seed{args.seed}{'-inception' if features else ''}.json"
    try:
        runs.atomic_write_text(out, json.dumps(result, indent=2) + "\n")
    except OSError as err:
        raise UsageError(f"cannot write {out} ({err.strerror or err}); make the run directory writable") from None
    print(json.dumps(result))
    return 0


def _evaluate(args):
    gan = _load_gan(args.run_dir)
    from ganlib import data, metrics, runs

    if gan.config.get("dataset") == "folder":  # your own pictures: no classifier knows their classes
        return _evaluate_folder_run(args, gan)
    dataset_name = gan.config.get("dataset", "mnist")
    try:
        classifier = metrics.load_classifier(dataset_name)
        real = data.load(dataset_name, "train", data_dir=args.data_dir, verbose=False)
        features = metrics.load_inception() if args.features == "inception" else None
    except (FileNotFoundError, data.DataError, metrics.FeatureError) as err:
        raise UsageError(str(err)) from None
    n = args.n or quick(full=metrics.DEFAULT_N, small=500)
    result = {"run_dir": str(args.run_dir), "model": gan.config["model"], "step": int(gan.step.numpy()),
              "dataset": real.describe(),
              **metrics.evaluate_gan(gan, real.images, classifier, n=n, seed=args.seed, features=features)}
    suffix = "-inception" if features else ""
    out = args.run_dir / f"evaluation-step{int(gan.step.numpy())}-n{result['n']}-seed{args.seed}{suffix}.json"
    try:
        runs.atomic_write_text(out, json.dumps(result, indent=2) + "\n")  # same step, n and seed: same numbers
    except OSError as err:
        raise UsageError(f"cannot write {out} ({err.strerror or err}); make the run directory writable") from None
    print(json.dumps(result))
    return 0


def _train(args):
    from ganlib import data, devices, runs, train
    from ganlib.registry import MODELS

    spec = MODELS[args.model]
    epochs = args.epochs or quick(full=spec.epochs, small=1)
    source = args.images.expanduser().resolve().name if args.images else args.dataset
    run_dir = args.out or Path("runs") / f"{args.model}-{source}"
    settings = dict(args.settings)
    if args.batch_size:
        settings["batch_size"] = args.batch_size
    if (args.size or args.grey) and not args.images:
        raise UsageError("--size and --grey go with --images DIR (a folder of your own pictures)")
    if args.images:
        if not spec.any_images:
            able = ", ".join(name for name, s in MODELS.items() if s.any_images and not s.conditional)
            raise UsageError(f"{args.model} draws 28×28 digits only; train one of {able} on a folder of pictures")
        if spec.conditional:
            raise UsageError(f"{args.model} needs a class label for every picture; train dcgan or style on a folder")
        settings.update(image_size=args.size or FOLDER_SIZE, channels=1 if args.grey else 3)
    try:
        strategy = devices.make_strategy(args.strategy)
        gan = train.build_gan(args.model, seed=args.seed, precision=args.precision, strategy=strategy, **settings)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if args.images:
        all_images, held_out, loaded = _folder_images(args.images, settings["image_size"], settings["channels"],
                                                      run_dir, args.seed)
        labels, described, extra = None, loaded.describe(), {"dataset": "folder", "images_folder": str(args.images),
                                                             "held_out": len(held_out)}
        print(f"Data: {described}; {len(held_out):,} held out to check for memorisation (`evaluate`)")
    else:
        try:
            dataset = data.load(args.dataset, "train", data_dir=args.data_dir)
        except (data.DataError, data.DataNotFoundError) as err:
            raise UsageError(str(err)) from None
        all_images, labels, extra = dataset.images, dataset.labels, {"dataset": args.dataset}
        print(f"Data: {dataset.describe()}")
    images = all_images[: args.limit] if args.limit else all_images
    if args.limit is None and quick(False, True):
        images = images[:2048]
    labels = labels[: len(images)] if gan.num_classes else None
    if len(images) != len(all_images):
        print(f"Training on the first {len(images):,} images.")
    if args.images:
        pictures = len(images)
        images = data.repeat_for_epochs(images, quick(full=data.FOLDER_EPOCH_IMAGES, small=256))
        if len(images) > pictures:
            print(f"An epoch is {len(images) // pictures} passes over the {pictures:,} pictures "
                  f"({len(images):,} pictures).")
    if strategy.num_replicas_in_sync > 1:
        print(f"Devices: {devices.describe(strategy)}")
    try:
        result = train.fit(gan, images, epochs, run_dir, labels=labels, max_minutes=args.max_minutes,
                           max_steps=args.max_steps, steps_per_call=args.steps_per_call, jit_compile=args.xla,
                           checkpoint_minutes=args.checkpoint_minutes or train.DEFAULT_CHECKPOINT_MINUTES,
                           extra_config=extra)
    except (runs.RunDirError, ValueError) as err:
        raise UsageError(str(err)) from None
    if result.stopped_by == "nonfinite":
        print(f"ganlib: error: {result.message}", file=sys.stderr)
        return TRAINING_FAILED
    if result.gif_path:
        print(f"Samples: {run_dir / 'grids'} (one grid per epoch), {result.gif_path}, {run_dir / 'losses.png'}")
    return INTERRUPTED if result.stopped_by == "interrupt" else 0


def _gib(n_bytes):
    return f"{n_bytes / 2**30:.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:.1f} MiB"


def _available_memory():
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _check_room(args, n_images, image_shape, frames):
    """Refuse up front what cannot fit: the .npy on disk, a picture (or GIF frames) in memory."""
    pixels = math.prod(image_shape)
    side = (args.size or image_shape[0]) + 2
    if args.out.suffix.lower() == ".npy":
        need = n_images * pixels * 4
        free = shutil.disk_usage(args.out.parent).free
        if need > free:
            raise UsageError(f"--n {args.n}: the .npy would take {_gib(need)} but {args.out.parent} has "
                             f"{_gib(free)} free; ask for fewer images")
        return
    need = frames * n_images * side * side * image_shape[-1] * (1 if args.size else 4)
    available = _available_memory()
    if available is not None and need > available // 2:
        raise UsageError(f"--n {args.n}: the {args.out.suffix} would need about {_gib(need)} of memory "
                         f"(about {_gib(available)} free); ask for fewer images")


def _sample(args):
    suffix = args.out.suffix.lower()
    if suffix not in SAMPLE_FORMATS:
        raise UsageError(f"--out {args.out}: unknown format {suffix or '(none)'}; use .npy, .png or .gif")
    if args.out.is_dir():
        raise UsageError(f"--out {args.out} is a directory; give a file name such as {args.out / ('samples' + suffix)}")
    if args.out.exists() and not args.force:
        raise UsageError(f"--out {args.out} already exists; choose another name or add --force to overwrite it")
    if not args.out.parent.is_dir():
        raise UsageError(f"--out {args.out}: folder {args.out.parent} does not exist; create it first")
    if not os.access(args.out.parent, os.W_OK):
        raise UsageError(f"--out {args.out}: folder {args.out.parent} is not writable; choose another")
    if args.size and suffix == ".npy":
        raise UsageError("--size upscales pictures; use it with a .png or .gif --out, not .npy")
    gan = _load_gan(args.run_dir)

    import numpy as np

    from ganlib import latent, runs, viz

    if args.label is not None and not gan.num_classes:
        raise UsageError(f"{args.run_dir} holds a {gan.spec.name} run, which is not conditional: --label "
                         "needs a `python -m ganlib train cgan` run")
    if args.psi is not None and not gan.spec.truncation:
        raise UsageError(f"{args.run_dir} holds a {gan.spec.name} run: --psi (truncation) needs a "
                         "`python -m ganlib train style` run")
    if args.label is not None and args.label >= gan.num_classes:
        raise UsageError(f"--label {args.label}: this run knows classes 0 to {gan.num_classes - 1}")

    class_grid = bool(gan.num_classes) and args.label is None
    n = args.n or (PER_CLASS_DEFAULT if class_grid else 64)
    total = n * gan.num_classes if class_grid else n
    frames = {".gif": 10 * 12 if class_grid else WALK_FRAMES}.get(suffix, 1)
    _check_room(args, total, gan.image_shape, frames)

    def picture(images, ncols=None):
        images = viz.upscale(images, args.size) if args.size else images
        return viz.image_grid(images, ncols=ncols, scale=1 if args.size else 2)

    z = gan.latents(n, args.seed)
    if class_grid:
        z, labels = gan.class_grid_inputs(z)
    else:
        labels = None if args.label is None else np.full(n, args.label)
    tmp = args.out.with_name(f".{args.out.name}.partial{suffix}")  # written whole, then moved into place
    try:
        if suffix == ".npy":
            _write_npy_in_batches(gan, z, labels, args.psi, tmp)
        elif suffix == ".png":
            viz.write_image(picture(gan.generate(z, labels, psi=args.psi), ncols=n if class_grid else None), tmp)
        elif class_grid:
            frames = [picture(images, ncols=n) for images in latent.class_morph(gan, z[:n])]
            viz.write_gif(frames, tmp, duration_ms=80, last_frame_ms=80)
        else:
            walk = latent.latent_walk(n, gan.latent_dim, seed=args.seed)
            frames = [picture(gan.generate(zs, labels, psi=args.psi)) for zs in walk]
            viz.write_gif(frames, tmp, duration_ms=80, last_frame_ms=80)
        os.replace(tmp, args.out)
    except OSError as err:
        raise UsageError(f"cannot write {args.out} ({err.strerror or err})") from None
    finally:
        tmp.unlink(missing_ok=True)
    what = f" ({n} per class, class by class)" if class_grid else (f" of class {args.label}" if labels is not None else "")
    what += f" with truncation ψ = {args.psi:g}" if args.psi is not None else ""
    print(f"Wrote {total} samples{what} to {args.out}")
    return 0


def _write_npy_in_batches(gan, z, labels, psi, path):
    """Float images in [-1, 1], (N, H, W, C), generated and written a batch at a time (a memory-mapped .npy)."""
    import numpy as np

    from ganlib.gan import SAMPLE_BATCH

    array = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(len(z), *gan.image_shape))
    for start in range(0, len(z), SAMPLE_BATCH):
        stop = start + SAMPLE_BATCH
        array[start:stop] = gan.generate(z[start:stop], None if labels is None else labels[start:stop], psi=psi)
    array.flush()
    del array


def main(argv=None):
    from ganlib import quiet

    quiet.import_tensorflow()  # first: the registry and every model import TensorFlow
    try:
        args = build_parser().parse_args(argv)
        return {"train": _train, "sample": _sample, "evaluate": _evaluate}[args.command](args)
    except UsageError as err:
        print(f"ganlib: error: {err}", file=sys.stderr)
        return USAGE_ERROR
