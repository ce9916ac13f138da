"""Experiment: does a discrete latent code raise the DCGAN's share of confident digits? (InfoGAN, Chen et al. 2016)

    GANLIB_DATA_DIR=../shared/data python bench/info_code.py --weights 0 1 --seeds 0 1 2 --minutes 5 \\
        --json bench/results/info_code_5min.jsonl

An unconditional generator maps a continuous z onto ten separate classes, and the latents between its class
regions draw in-between shapes (bench/README.md, "Why confident stays near 50%"). InfoGAN gives G a categorical
code c ~ Cat(K) beside z and asks the discriminator's body, through a second head Q, to recover c from G(z, c);
G and Q both minimise λ·CE(c, Q(G(z, c))), and H(c) − CE is a lower bound on the mutual information I(c; G(z, c))
(the paper's L_I). No labels are used: the code is free to pick the class, or anything else it can keep recognisable.

Networks: chapter 02's (``models.cgan_generator`` is chapter 02's generator fed [z, e(c)]; the discriminator is
``models.strided_conv_features`` with a logit head and a K-way head), Adam 5e-4 β1 0.5, batch 64, a moving
average (0.999) of G drawing the samples, non-saturating loss — the ``dcgan`` defaults when the experiment ran
(pinned in ``DEFAULTS`` below: the defaults have since moved to deeper networks, Adam 1e-3 β1 0). λ = 0 is that DCGAN in
this same loop (the code then carries nothing G is asked to keep). Each run trains for --minutes of wall clock
and is judged like ``sweep.py``: 2,000 samples (c drawn uniformly, as in training) by ``dcgan_quality.py``'s
classifier, 1,000 by ``ganlib.metrics`` against 2,000 real digits; "code purity" is the share of samples whose
code's most frequent class is theirs (1.0: each code draws one class). A benchmark, not a test, and not a course
model: the chapters do not use it.
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ganlib import quiet  # noqa: E402

quiet.import_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import dcgan_quality  # noqa: E402
import sweep  # noqa: E402
from ganlib import data, losses, metrics, models, registry, viz  # noqa: E402

# The dcgan defaults of the runs in info_code_5min.jsonl, kept so that they reproduce.
DEFAULTS = {**registry.MODELS["dcgan"].defaults, "learning_rate": 5e-4, "beta_1": 0.5}
COLUMNS = ("λ", "codes", "seed", "minutes", "steps", "confident", "classes ≥ 2%", "class KL", "precision", "recall",
           "FID", "code purity")


def networks(codes, latent_dim=DEFAULTS["latent_dim"], width=DEFAULTS["width"]):
    """(G(z, c), its moving average, D(x) → (logit, K code logits))."""
    generator = models.cgan_generator(latent_dim, codes, width)
    average = models.cgan_generator(latent_dim, codes, width)
    for a, w in zip(average.variables, generator.variables):
        a.assign(w)
    image = keras.Input(models.IMAGE_SHAPE, name="image")
    features = models.strided_conv_features(image, width)
    heads = [keras.layers.Dense(1, name="logit")(features), keras.layers.Dense(codes, name="code")(features)]
    return generator, average, keras.Model(image, heads, name="info_discriminator")


def make_step(generator, average, discriminator, weight, codes, batch_size, latent_dim=DEFAULTS["latent_dim"]):
    loss = losses.ADVERSARIAL_LOSSES["non_saturating"]
    g_optimizer, d_optimizer = (keras.optimizers.Adam(DEFAULTS["learning_rate"], beta_1=DEFAULTS["beta_1"])
                                for _ in range(2))
    code_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    step = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def train_step(real_images):
        z = tf.random.normal((batch_size, latent_dim))
        c = tf.random.uniform((batch_size,), 0, codes, dtype=tf.int32)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_images = generator([z, c], training=True)
            real_logits, _ = discriminator(real_images, training=True)
            fake_logits, code_logits = discriminator(fake_images, training=True)
            information = code_loss(c, code_logits)  # H(c) − L_I, where L_I ≤ I(c; G(z, c)) (the paper's bound)
            d_loss = loss.discriminator(real_logits, fake_logits) + weight * information
            g_loss = loss.generator(fake_logits) + weight * information
        d_optimizer.apply(d_tape.gradient(d_loss, discriminator.trainable_variables), discriminator.trainable_variables)
        g_optimizer.apply(g_tape.gradient(g_loss, generator.trainable_variables), generator.trainable_variables)
        step.assign_add(1)
        t = tf.cast(step, tf.float32)
        beta = tf.minimum(DEFAULTS["ema"], (1.0 + t) / (10.0 + t))  # as ``gan.GAN.update_average``
        for a, w in zip(average.variables, generator.variables):
            a.assign(beta * a + (1.0 - beta) * w if w.trainable else w)  # BatchNorm's statistics: G's own
        return information

    return train_step, step


def run(weight, codes, seed, minutes, images, judge, picture=None):
    keras.utils.set_random_seed(seed)
    batch_size = DEFAULTS["batch_size"]
    generator, average, discriminator = networks(codes)
    train_step, step = make_step(generator, average, discriminator, weight, codes, batch_size)
    batches = iter(tf.data.Dataset.from_tensor_slices(data.to_float(images)).shuffle(len(images), seed=seed)
                   .repeat().batch(batch_size, drop_remainder=True).prefetch(2))
    deadline = time.monotonic() + 60 * minutes
    while time.monotonic() < deadline:
        train_step(next(batches))
    rng = np.random.default_rng(123)
    z = rng.standard_normal((dcgan_quality.N_SAMPLES, DEFAULTS["latent_dim"])).astype("float32")
    c = rng.integers(0, codes, dcgan_quality.N_SAMPLES).astype("int32")
    samples = np.asarray(average.predict([z, c], batch_size=500, verbose=0))
    row = {"steps": int(step.numpy()), **judge(samples)}
    predicted = np.argmax(row.pop("class_probabilities"), axis=1)
    row["code_purity"] = float(sum(np.bincount(predicted[c == k], minlength=10).max() for k in range(codes))
                               / len(c))
    if picture:  # ten samples of each of (up to) ten codes, one code per row
        rows = [samples[c == k][:10] for k in range(min(codes, 10))]
        viz.save_grid(np.concatenate(rows), picture, ncols=10)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 1.0], help="λ of the code's loss "
                        "(0: the plain DCGAN in this loop)")
    parser.add_argument("--codes", type=int, default=10, help="K, the number of values of the categorical code")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--json", type=Path, default=None, help="append the rows to this JSON-lines file")
    parser.add_argument("--pictures", type=Path, default=None, help="save each λ's seed-0 samples here "
                        "(info_code-LAMBDA.png), one code per row")
    args = parser.parse_args()
    if args.codes < 2:
        parser.error(f"--codes must be at least 2, got {args.codes}")
    mnist = data.load("mnist", verbose=False)
    classifier, accuracy, about, _ = dcgan_quality.train_classifier()
    features = metrics.load_classifier("mnist")
    real = metrics.real_reference(mnist.images, 2000)

    def judge(samples):
        result = dcgan_quality.judge(classifier, samples)
        measured = metrics.evaluate_images(samples[: len(real) // 2], real, features)
        return {**{k: result[k] for k in ("confident", "classes", "class_kl")},
                **{k: measured[k] for k in ("precision", "recall", "fid")},
                "class_probabilities": classifier.predict(samples, batch_size=500, verbose=0)}

    print(f"{args.minutes:g} min per run; judge: {accuracy:.2%} held-out accuracy ({about})")
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for weight in args.weights:
        rows = []
        for seed in args.seeds:
            picture = args.pictures / f"info_code-{weight:g}.png" if args.pictures and seed == args.seeds[0] else None
            r = run(weight, args.codes, seed, args.minutes, mnist.images, judge, picture)
            rows.append(r)
            print(f"| {weight:g} | {args.codes} | {seed} | {args.minutes:g} | {r['steps']:,} | "
                  f"{sweep.quality_cells(r)} | {r['code_purity']:.2f} |", flush=True)
            if args.json:
                sweep.append_row(args.json, {"weight": weight, "codes": args.codes, "seed": seed,
                                             "minutes": args.minutes, **r})
        if len(rows) > 1:
            med = {k: float(np.median([r[k] for r in rows]))
                   for k in ("confident", "class_kl", "precision", "recall", "fid", "code_purity")}
            span = {k: (min(r[k] for r in rows), max(r[k] for r in rows)) for k in ("confident", "fid")}
            print(f"| **{weight:g} median** | {args.codes} | {len(rows)} seeds | {args.minutes:g} | | "
                  f"{med['confident']:.1%} ({span['confident'][0]:.1%}–{span['confident'][1]:.1%}) | "
                  f"{min(r['classes'] for r in rows)} (min) | {med['class_kl']:.3f} | {med['precision']:.2f} | "
                  f"{med['recall']:.2f} | {med['fid']:.1f} ({span['fid'][0]:.1f}–{span['fid'][1]:.1f}) | "
                  f"{med['code_purity']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
