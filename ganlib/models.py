"""Keras model builders. Generators map z ~ N(0, I) to images in [-1, 1] (tanh) — 28×28×1 digits by default,
any square size divisible by 4 and 1 or 3 channels (chapter 07) where a builder takes ``image_shape``;
discriminators map images to one logit per image (no sigmoid: the losses work on logits).
The conditional pair (chapter 06) also takes an integer class label per image.

Two details let the same models train under mixed precision and on several devices: the last layer of every
network computes in float32 (``dtype="float32"``: images and logits stay float32 when the other layers compute
in 16 bits), and BatchNorm uses the statistics of the global batch across replicas (``batch_norm``).
"""

import keras
from keras import layers

IMAGE_SHAPE = (28, 28, 1)
MAX_WIDTH_FACTOR = 8  # channels grow ×2 per halving of the resolution, up to 8 × width


def resolution_plan(size):
    """(base, doublings): the convolutional networks work between a base×base map and size×size images by
    ``doublings`` factor-2 steps, base = size / 2^doublings an integer from 4 to 7 — 28 → (7, 2), 32 → (4, 3),
    64 → (4, 4), 128 → (4, 5). A ValueError for sizes that no such plan reaches."""
    if int(size) != size or size < 16:
        raise ValueError(f"image size {size!r}: use a whole number of pixels, at least 16 (28, 32, 64, 128…)")
    doublings, base = 0, int(size)
    while base % 2 == 0 and base // 2 >= 4:
        base, doublings = base // 2, doublings + 1
    if doublings < 2 or base > 7:
        raise ValueError(f"image size {size}: it must be 4 to 7 times a power of two (at least ×4), such as 28, "
                         "32, 48, 64 or 128")
    return base, doublings


def channels_at(width, steps_from_image):
    """Channels of the feature maps ``steps_from_image`` halvings away from the image: width, 2·width, 4·width…"""
    return width * min(2 ** steps_from_image, MAX_WIDTH_FACTOR)


def batch_norm():
    """BatchNormalization whose batch statistics, under ``tf.distribute``, are those of the global batch
    (``synchronized=True``, an all-reduce of the sums): a model trains the same on one device or several."""
    return layers.BatchNormalization(synchronized=True)


def _check_output(model, expected_shape):
    got = tuple(model.output.shape[1:])
    assert got == tuple(expected_shape), f"{model.name}: output shape {got}, expected {expected_shape}"
    return model


def mlp_generator(latent_dim=100, hidden=(256, 512, 1024)):
    """Chapter 01 generator: z → Dense(256) → Dense(512) → Dense(1024), LeakyReLU(0.2) → 784 tanh → 28×28×1."""
    z = keras.Input((latent_dim,), name="z")
    h = z
    for units in hidden:
        h = layers.LeakyReLU(0.2)(layers.Dense(units)(h))
    x = layers.Activation("tanh", dtype="float32")(layers.Dense(IMAGE_SHAPE[0] * IMAGE_SHAPE[1])(h))
    x = layers.Reshape(IMAGE_SHAPE)(x)
    return _check_output(keras.Model(z, x, name="mlp_generator"), IMAGE_SHAPE)


def mlp_discriminator(hidden=(1024, 512, 256), dropout=0.3):
    """Chapter 01 discriminator: flatten → Dense(1024) → Dense(512) → Dense(256), each LeakyReLU(0.2)
    and Dropout(0.3) → one logit."""
    x = keras.Input(IMAGE_SHAPE, name="image")
    h = layers.Flatten()(x)
    for units in hidden:
        h = layers.Dropout(dropout)(layers.LeakyReLU(0.2)(layers.Dense(units)(h)))
    logit = layers.Dense(1, name="logit", dtype="float32")(h)
    return _check_output(keras.Model(x, logit, name="mlp_discriminator"), (1,))


def dcgan_generator(latent_dim=64, width=32, image_shape=IMAGE_SHAPE, convs_per_block=1,
                    full_resolution_channels=0):
    """Chapter 02 generator, a light DCGAN with 4×4 kernels; for 28×28×1 digits:
    z → Dense(7·7·2w) → BN → ReLU → reshape 7×7×2w → ConvT(w, 4, stride 2) → BN → ReLU (14×14)
    → ConvT(1, 4, stride 2) → tanh (28×28), the DCGAN paper's plain networks (``full_resolution_channels=0``,
    ``convs_per_block=1``). A kernel size divisible by the stride reduces checkerboard artefacts.
    Other ``image_shape``s (chapter 07) start from a 4×4 to 7×7 map (``resolution_plan``) and double it with one
    more ConvT → BN → ReLU per doubling, the channels halving on the way up to ``width``.
    ``convs_per_block`` > 1 adds that many minus one Conv(3×3) → BN → ReLU at each resolution below the image's
    (7×7 and 14×14 for digits): depth at the same width, as in the DCGAN tutorial's extra stride-1 layer.
    ``full_resolution_channels`` > 0 gives G a stage at the image's own resolution, as a style-based generator
    has: the last ConvT makes that many feature maps (→ BN → ReLU, then the ``convs_per_block`` − 1 convolutions)
    and a Conv(3×3) → tanh draws the pixels from them; 0 (the DCGAN paper's) lets the last ConvT draw the pixels.
    """
    size, _, channels = image_shape
    base, doublings = resolution_plan(size)

    def block_convs(h):
        for _ in range(convs_per_block - 1):
            h = layers.Conv2D(h.shape[-1], 3, padding="same", use_bias=False)(h)
            h = layers.ReLU()(batch_norm()(h))
        return h

    z = keras.Input((latent_dim,), name="z")
    h = layers.Dense(base * base * channels_at(width, doublings - 1), use_bias=False)(z)
    h = layers.ReLU()(batch_norm()(h))
    h = block_convs(layers.Reshape((base, base, channels_at(width, doublings - 1)))(h))
    for step in range(doublings - 2, -1, -1):
        h = layers.Conv2DTranspose(channels_at(width, step), 4, strides=2, padding="same", use_bias=False)(h)
        h = block_convs(layers.ReLU()(batch_norm()(h)))
    if full_resolution_channels:
        h = layers.Conv2DTranspose(full_resolution_channels, 4, strides=2, padding="same", use_bias=False)(h)
        h = block_convs(layers.ReLU()(batch_norm()(h)))
        x = layers.Conv2D(channels, 3, padding="same")(h)
    else:
        x = layers.Conv2DTranspose(channels, 4, strides=2, padding="same")(h)
    x = layers.Activation("tanh", dtype="float32", name="image")(x)
    return _check_output(keras.Model(z, x, name="dcgan_generator"), image_shape)


@keras.saving.register_keras_serializable("ganlib")
class MinibatchStdDev(layers.Layer):
    """Appends one channel holding the batch's average feature standard deviation (Karras et al. 2018):
    mean over (H, W, C) of the std over the batch. A generator that gives every z the same image makes this
    ≈ 0 on its batches, which the discriminator then sees at once."""

    def call(self, x):
        std = keras.ops.sqrt(keras.ops.var(x, axis=0) + 1e-8)
        channel = keras.ops.ones_like(x[..., :1]) * keras.ops.mean(std)
        return keras.ops.concatenate([x, channel], axis=-1)


def tutorial_generator(latent_dim=100):
    """The generator of the TensorFlow DCGAN tutorial (tensorflow.org/tutorials/generative/dcgan), as
    written there: Dense(7·7·256) → BN → LeakyReLU → ConvT(128, 5) → BN → LeakyReLU → ConvT(64, 5, stride 2)
    → BN → LeakyReLU → ConvT(1, 5, stride 2, tanh). The peer baseline of ``bench/time_to_quality.py``."""
    z = keras.Input((latent_dim,), name="z")
    h = layers.LeakyReLU()(batch_norm()(layers.Dense(7 * 7 * 256, use_bias=False)(z)))
    h = layers.Reshape((7, 7, 256))(h)
    for filters, stride in ((128, 1), (64, 2)):
        h = layers.Conv2DTranspose(filters, 5, strides=stride, padding="same", use_bias=False)(h)
        h = layers.LeakyReLU()(batch_norm()(h))
    x = layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False)(h)
    x = layers.Activation("tanh", dtype="float32", name="image")(x)
    return _check_output(keras.Model(z, x, name="tutorial_generator"), IMAGE_SHAPE)


def tutorial_discriminator():
    """The TensorFlow DCGAN tutorial's discriminator: Conv(64, 5, stride 2) → LeakyReLU → Dropout(0.3)
    → Conv(128, 5, stride 2) → LeakyReLU → Dropout(0.3) → flatten → one logit."""
    x = keras.Input(IMAGE_SHAPE, name="image")
    h = x
    for filters in (64, 128):
        h = layers.Dropout(0.3)(layers.LeakyReLU()(layers.Conv2D(filters, 5, strides=2, padding="same")(h)))
    logit = layers.Dense(1, name="logit", dtype="float32")(layers.Flatten()(h))
    return _check_output(keras.Model(x, logit, name="tutorial_discriminator"), (1,))


def strided_conv_features(x, width, layer_norm=False, minibatch_std=False, convs_per_block=1):
    """The chapter 02 discriminator body, shared by every discriminator and critic here; for 28×28 images:
    Conv(w, 4, stride 2) → LeakyReLU(0.2) (14×14) → Conv(2w, 4, stride 2) [→ LayerNorm] → LeakyReLU(0.2) (7×7)
    [→ MinibatchStdDev] → flatten. Larger images (chapter 07) get one more strided convolution per doubling
    (``resolution_plan``), the channels doubling up to 8w; LayerNorm follows every convolution after the first.
    ``convs_per_block`` > 1 follows each strided convolution with that many minus one Conv(3×3) [→ LayerNorm]
    → LeakyReLU(0.2) at its resolution."""
    _, doublings = resolution_plan(x.shape[1])
    h = x
    for step in range(doublings):
        for i in range(convs_per_block):
            strided = i == 0
            h = layers.Conv2D(channels_at(width, step), 4 if strided else 3, strides=2 if strided else 1,
                              padding="same")(h)
            if layer_norm and (step, i) != (0, 0):
                h = layers.LayerNormalization(axis=[1, 2, 3])(h)
            h = layers.LeakyReLU(0.2)(h)
    if minibatch_std:
        h = MinibatchStdDev()(h)
    return layers.Flatten()(h)


def dcgan_discriminator(width=32, minibatch_std=False, image_shape=IMAGE_SHAPE, convs_per_block=1):
    """Chapter 02 discriminator: Conv(w, 4, stride 2) → LeakyReLU(0.2) (14×14)
    → Conv(2w, 4, stride 2) → LeakyReLU(0.2) (7×7) → flatten → one logit. No BatchNorm: real and fake
    batches pass separately, and batch statistics would let D tell them apart by their batch alone.
    ``minibatch_std=True`` (chapter 04) adds a ``MinibatchStdDev`` channel, which lets D see a batch's variety;
    ``convs_per_block`` > 1 a Conv(3×3) after each strided one (``strided_conv_features``)."""
    x = keras.Input(image_shape, name="image")
    # The Dense layer is made before the body, as it always was: Keras draws a layer's initializer seed when the
    # layer is made, so this order keeps the weights each seed gives (and every committed run reproducible).
    logit = layers.Dense(1, name="logit", dtype="float32")(
        strided_conv_features(x, width, minibatch_std=minibatch_std, convs_per_block=convs_per_block))
    return _check_output(keras.Model(x, logit, name="dcgan_discriminator"), (1,))


def wgan_critic(width=32, layer_norm=False, minibatch_std=False, image_shape=IMAGE_SHAPE, convs_per_block=1):
    """Chapter 03 critic: the chapter 02 discriminator's convolutions, ending in an unbounded score
    (no sigmoid: the Wasserstein critic outputs a real number, not a probability).

    No BatchNorm: the gradient penalty constrains ‖∇x f(x)‖ for each sample on its own, and BatchNorm makes
    f(x) depend on the other images in the batch, so the penalised quantity would not be the critic's
    gradient at x. LayerNorm normalises within one sample and is safe; ``layer_norm=True`` adds it after
    every convolution but the first. ``convs_per_block``: as in ``strided_conv_features``.
    """
    x = keras.Input(image_shape, name="image")
    # Dense before the body, for the seeds' sake (see ``dcgan_discriminator``).
    score = layers.Dense(1, name="score", dtype="float32")(
        strided_conv_features(x, width, layer_norm, minibatch_std, convs_per_block))
    return _check_output(keras.Model(x, score, name="wgan_critic"), (1,))


def cgan_generator(latent_dim=64, num_classes=10, width=32, embedding_dim=16, image_shape=IMAGE_SHAPE):
    """Conditional DCGAN generator G(z, y) (Mirza & Osindero 2014): the class label y goes through a learned
    embedding e(y), which is concatenated with z and fed to chapter 02's generator (the "synthesis" layer).
    Morphing between classes interpolates e(y) — see ``synthesise``."""
    z = keras.Input((latent_dim,), name="z")
    label = keras.Input((), dtype="int32", name="label")
    embedding = layers.Embedding(num_classes, embedding_dim, name="class_embedding")(label)
    synthesis = dcgan_generator(latent_dim + embedding_dim, width, image_shape)
    synthesis.name = "synthesis"
    x = synthesis(layers.Concatenate()([z, embedding]))
    return _check_output(keras.Model([z, label], x, name="cgan_generator"), image_shape)


def synthesise(generator, z, class_vectors):
    """Images from latents and class *embedding vectors* (not labels) for a ``cgan_generator``: lets a
    class morph follow the straight line between two classes' embeddings."""
    inputs = keras.ops.concatenate([keras.ops.convert_to_tensor(z, "float32"),
                                    keras.ops.convert_to_tensor(class_vectors, "float32")], axis=-1)
    return generator.get_layer("synthesis")(inputs, training=False)


def cgan_discriminator(num_classes=10, width=32, image_shape=IMAGE_SHAPE):
    """Projection discriminator (Miyato & Koyama 2018): D(x, y) = ψ(φ(x)) + e(y)·φ(x), with φ chapter 02's
    strided-conv features and e a learned class embedding. The inner product asks "does x look like
    class y?" directly, which conditions more strongly than concatenating y to the input."""
    x = keras.Input(image_shape, name="image")
    label = keras.Input((), dtype="int32", name="label")
    features = strided_conv_features(x, width)
    unconditional = layers.Dense(1, name="logit", dtype="float32")(features)
    class_vector = layers.Embedding(num_classes, features.shape[-1], name="projection")(label)
    projection = layers.Dot(axes=1, dtype="float32")([class_vector, features])
    logit = layers.Add(name="conditional_logit", dtype="float32")([unconditional, projection])
    return _check_output(keras.Model([x, label], logit, name="cgan_discriminator"), (1,))
