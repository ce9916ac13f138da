"""The tuning sweep behind the chapter 03 WGAN-GP defaults: variants trained for the same wall-clock budget
on this machine, judged with the classifier of dcgan_quality.py.

    GANLIB_DATA_DIR=../shared/data python bench/wgan_sweep.py --minutes 3 paper committed nc2

Each variant is a set of `train.build_gan("wgan_gp", ...)` settings (the committed defaults where it says
nothing); "paper" is the WGAN-GP paper's Adam 1e-4, β1 = 0, β2 = 0.9, n_critic = 5. Prints one Markdown
row per variant; results in bench/README.md.
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
    "paper": dict(learning_rate=1e-4, beta_1=0.0, beta_2=0.9, n_critic=5),
    "committed": {},
    "b05_lr1e-4": dict(learning_rate=1e-4, beta_1=0.5, n_critic=5),
    "nc3_lr2e-4": dict(n_critic=3, learning_rate=2e-4),
    "nc2_lr2e-4": dict(n_critic=2, learning_rate=2e-4),
    "nc1_lr2e-4": dict(n_critic=1, learning_rate=2e-4),
    "nc2_b32": dict(n_critic=2, batch_size=32),
    "nc5_lr2e-4": dict(n_critic=5, learning_rate=2e-4),  # the defaults before this sweep
    "nc5_lr5e-4": dict(n_critic=5, learning_rate=5e-4),
    "nc2_lr1e-3": dict(n_critic=2, learning_rate=1e-3),
    "dcgan": "dcgan",  # chapter 02's model through the same loop, for reference
}


def run(name, images, classifier, minutes):
    settings = VARIANTS[name]
    model, settings = (settings, {}) if settings == "dcgan" else ("wgan_gp", settings)
    keras.utils.set_random_seed(0)
    gan = train.build_gan(model, seed=0, **settings)
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
          f"{r['classifier_score']:.2f} |", flush=True)


def main():
    dcgan_quality.sweep_main(__doc__.split("\n")[0], VARIANTS, run)


if __name__ == "__main__":
    main()
