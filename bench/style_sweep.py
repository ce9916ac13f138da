"""The tuning sweep behind the chapter 04 style-generator defaults: variants trained for the same wall-clock
budget on this machine, judged with the classifier of dcgan_quality.py.

    GANLIB_DATA_DIR=../shared/data python bench/style_sweep.py --minutes 3 committed wgan_gp no_mixing

Each variant is a set of `train.build_gan("style", ...)` settings (the committed defaults where it says
nothing). Prints one Markdown row per variant; results in bench/README.md.
"""

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import keras  # noqa: E402

import dcgan_quality  # noqa: E402
from ganlib import train  # noqa: E402

VARIANTS = {
    "committed": {},
    "mixing_0.9": dict(mixing_prob=0.9),  # StyleGAN's value (the default before this sweep)
    "wgan_gp": dict(loss="wgan_gp", learning_rate=5e-4, beta_2=0.9),  # chapter 03's critic and settings
    "no_mixing": dict(mixing_prob=0.0),
    "mixing_0.5": dict(mixing_prob=0.5),
    "lr5e-4": dict(learning_rate=5e-4),
    "beta1_0": dict(beta_1=0.0, beta_2=0.99),
    "map1": dict(mapping_layers=1),
}


def run(name, images, classifier, minutes):
    keras.utils.set_random_seed(0)
    gan = train.build_gan("style", seed=0, **VARIANTS[name])
    pipeline = train.make_pipeline(gan, images, seed=0)
    deadline = time.monotonic() + 60 * minutes
    while time.monotonic() < deadline:
        for batch in pipeline:
            gan.train_step(batch)
            gan.step.assign_add(1)
            if time.monotonic() > deadline:
                break
    r = dcgan_quality.judge(classifier, gan.sample(dcgan_quality.N_SAMPLES, seed=123))
    images_seen = int(gan.step) * gan.config["batch_size"] * gan.batches_per_step
    print(f"| {name} | {int(gan.step):,} | {images_seen:,} | {r['confident']:.1%} | {r['classes']} | "
          f"{r['class_kl']:.3f} | {r['classifier_score']:.2f} |", flush=True)


def main():
    columns = list(dcgan_quality.SWEEP_COLUMNS)
    dcgan_quality.sweep_main(__doc__.split("\n")[0], VARIANTS, run, columns[:5] + ["class KL"] + columns[5:])


if __name__ == "__main__":
    main()
