"""The tuning sweep behind the chapter 02 DCGAN defaults: variants trained for the same wall-clock budget
on this machine, judged with the classifier of dcgan_quality.py.

    GANLIB_DATA_DIR=../shared/data python bench/dcgan_sweep.py --minutes 3 base bs32 w24b32

Each variant starts from the committed dcgan defaults and changes what its entry in VARIANTS says:
gw/dw (generator/discriminator width), bs (batch size), lr (both Adams), d_lr/g_lr (separate rates),
ddrop (dropout in D), ema (an exponential moving average of G's weights, judged beside the raw G).
Prints one line per variant; results in bench/README.md.
"""

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

import dcgan_quality  # noqa: E402
from ganlib import data, models, train  # noqa: E402

VARIANTS = {
    "base": {},
    "bs32": dict(bs=32),
    "bs16": dict(bs=16),
    "w24b32": dict(gw=24, dw=24, bs=32),
    "w48": dict(gw=48, dw=48),
    "w64": dict(gw=64, dw=64),
    "gw64b32": dict(gw=64, bs=32),
    "dw64": dict(dw=64),
    "lr5e-4b32": dict(bs=32, lr=5e-4),
    "ttur_b32": dict(bs=32, d_lr=4e-4, g_lr=1e-4),
    "ddrop_b32": dict(bs=32, ddrop=0.3),
    "ema": dict(ema=0.999),
    "ema995_b32": dict(bs=32, ema=0.995),
    "alt_b32": dict(bs=32, alternating=True),
    "gconv_b32": dict(bs=32, gconv=True),
}


def discriminator_with_dropout(width, rate):
    x = keras.Input(models.IMAGE_SHAPE)
    h = layers.Dropout(rate)(layers.LeakyReLU(0.2)(layers.Conv2D(width, 4, strides=2, padding="same")(x)))
    h = layers.Dropout(rate)(layers.LeakyReLU(0.2)(layers.Conv2D(2 * width, 4, strides=2, padding="same")(h)))
    return keras.Model(x, layers.Dense(1)(layers.Flatten()(h)))


def generator_with_extra_conv(latent_dim, width):
    """The chapter 02 generator with one more 3×3 convolution at 14×14 before the output layer."""
    z = keras.Input((latent_dim,))
    h = layers.Dense(7 * 7 * 2 * width, use_bias=False)(z)
    h = layers.Reshape((7, 7, 2 * width))(layers.ReLU()(layers.BatchNormalization()(h)))
    h = layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False)(h)
    h = layers.ReLU()(layers.BatchNormalization()(h))
    h = layers.Conv2D(width, 3, padding="same", use_bias=False)(h)
    h = layers.ReLU()(layers.BatchNormalization()(h))
    return keras.Model(z, layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh")(h))


def make_alternating_step(gan):
    """D steps on fresh fakes, then G steps on new latents against the updated D (Goodfellow's Algorithm 1)."""
    from ganlib.losses import discriminator_loss, generator_loss_non_saturating

    @tf.function
    def step(real):
        n = tf.shape(real)[0]
        fake = gan.generator(gan.rng.normal((n, gan.latent_dim)), training=True)
        with tf.GradientTape() as tape:
            d_loss = discriminator_loss(gan.discriminator(real, training=True), gan.discriminator(fake, training=True))
        variables = gan.discriminator.trainable_variables
        gan.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, variables), variables))
        with tf.GradientTape() as tape:
            fake_logits = gan.discriminator(gan.generator(gan.rng.normal((n, gan.latent_dim)), training=True),
                                            training=True)
            g_loss = generator_loss_non_saturating(fake_logits)
        variables = gan.generator.trainable_variables
        gan.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, variables), variables))
        return {"d_loss": d_loss, "g_loss": g_loss}

    return step


def run(name, images, classifier, minutes, gw=None, dw=None, bs=None, lr=None, d_lr=None, g_lr=None,
        ddrop=0.0, ema=None, alternating=False, gconv=False):
    defaults = train.MODEL_DEFAULTS["dcgan"]
    gw, dw = gw or defaults["width"], dw or defaults["width"]
    bs, lr = bs or defaults["batch_size"], lr or defaults["learning_rate"]
    keras.utils.set_random_seed(0)
    config = dict(defaults, model="dcgan", width=gw, batch_size=bs, learning_rate=lr)
    build_generator = generator_with_extra_conv if gconv else models.dcgan_generator
    generator = build_generator(defaults["latent_dim"], gw)
    discriminator = discriminator_with_dropout(dw, ddrop) if ddrop else models.dcgan_discriminator(dw)
    gan = train.GAN(generator, discriminator, config, seed=0)
    if d_lr:
        gan.d_optimizer.learning_rate.assign(d_lr)
    if g_lr:
        gan.g_optimizer.learning_rate.assign(g_lr)
    if alternating:
        gan.train_step = make_alternating_step(gan)
    if ema:
        averaged = keras.models.clone_model(generator)
        averaged.set_weights(generator.get_weights())
        pairs = list(zip(averaged.weights, generator.weights))

        @tf.function
        def update_average():
            for a, w in pairs:
                a.assign(ema * a + (1 - ema) * w)

    pipeline = data.make_pipeline(images, bs, seed=0)
    deadline, steps = time.monotonic() + 60 * minutes, 0
    while time.monotonic() < deadline:
        for batch in pipeline:
            gan.train_step(batch)
            steps += 1
            if ema:
                update_average()
            if time.monotonic() > deadline:
                break
    z = np.random.default_rng(123).standard_normal((dcgan_quality.N_SAMPLES, defaults["latent_dim"])).astype("float32")
    judged = {"G": generator} | ({"EMA of G": averaged} if ema else {})
    for which, net in judged.items():
        r = dcgan_quality.judge(classifier, net(z, training=False).numpy())
        print(f"| {name} ({which}) | {steps:,} | {steps * bs:,} | {r['confident']:.1%} | {r['classes']} | "
              f"{r['classifier_score']:.2f} |", flush=True)


def main():
    dcgan_quality.sweep_main(__doc__.split("\n")[0], VARIANTS,
                             lambda name, images, classifier, minutes: run(name, images, classifier, minutes,
                                                                           **VARIANTS[name]))


if __name__ == "__main__":
    main()
