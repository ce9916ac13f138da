"""Chapter 04: AdaIN and a style-based generator (Huang & Belongie 2017; Karras et al. 2019, "StyleGAN").

A mapping network turns z into a style w; every block of the generator normalises each channel of its
feature maps and gives it the scale and bias the style asks for (AdaIN). In StyleGAN the picture starts from a
learned constant, so everything that varies between images enters through the styles and the noise inputs; the
course's ``style`` model starts from maps made from w instead (``const_input=False``), which learned more varied
digits in a few CPU minutes.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from ganlib.models import MAX_WIDTH_FACTOR, resolution_plan

IMAGE_SIZE = 28


def channel_statistics(x, epsilon=1e-5):
    """Per-sample, per-channel mean μ(x) and std σ(x) = √(Var(x) + ε) over H and W of NHWC maps: (N, C) each."""
    mean, variance = ops.moments(x, axes=[1, 2])
    return mean, ops.sqrt(variance + epsilon)


def adain(x, y_s, y_b, epsilon=1e-5):
    """Adaptive instance normalisation on NHWC feature maps x with per-sample styles y_s, y_b of shape (N, C):

        AdaIN(x, y) = y_s · (x − μ(x)) / σ(x) + y_b

    with μ, σ = ``channel_statistics(x, ε)``. Each output channel has mean y_b and std y_s·√(Var/(Var+ε)) ≈ y_s;
    a constant channel (Var = 0) becomes y_b, never NaN.
    """
    mean, std = channel_statistics(x, epsilon)
    normalised = (x - mean[:, None, None, :]) / std[:, None, None, :]
    return y_s[:, None, None, :] * normalised + y_b[:, None, None, :]


@keras.saving.register_keras_serializable("ganlib")
class AdaIN(layers.Layer):
    """AdaIN whose styles come from w through a learned affine map A: (y_s, y_b) = A·w + (1, 0).

    The biases start at y_s = 1 and y_b = 0, so a new block passes normalised features through unchanged
    and the per-style terms grow from small random weights. Called on [x, w].
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        x_shape, w_shape = input_shape
        channels = x_shape[-1]
        small = keras.initializers.VarianceScaling(1.0, mode="fan_in")
        self.style_scale = layers.Dense(channels, kernel_initializer=small, bias_initializer="ones", name="y_s")
        self.style_bias = layers.Dense(channels, kernel_initializer=small, bias_initializer="zeros", name="y_b")
        self.style_scale.build(w_shape)
        self.style_bias.build(w_shape)

    def styles(self, w):
        """(y_s, y_b) for styles w: (N, C) each."""
        return self.style_scale(w), self.style_bias(w)

    def call(self, inputs):
        x, w = inputs
        y_s, y_b = self.styles(w)
        return adain(x, y_s, y_b, self.epsilon)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable("ganlib")
class PixelNorm(layers.Layer):
    """x / √(mean(x²) + ε) over the last axis: puts every z on the sphere of radius √d before mapping."""

    def call(self, x):
        return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + 1e-8)


@keras.saving.register_keras_serializable("ganlib")
class NoiseInjection(layers.Layer):
    """x + s ⊙ n: one N(0, 1) value per pixel, shared by the channels and scaled per channel by a learned s
    (starting at 0). Called on [x, noise] with noise shaped (N, H, W, 1)."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[0][-1],), initializer="zeros", name="scale")

    def call(self, inputs):
        x, noise = inputs
        return x + self.scale * noise


@keras.saving.register_keras_serializable("ganlib")
class StyleBlock(layers.Layer):
    """One generator block: [bilinear ×2 upsampling] → (Conv 3×3 → noise injection → LeakyReLU(0.2) → AdaIN(w))
    once, or twice with ``convs=2`` as in StyleGAN. Called on [h, noise, w]."""

    def __init__(self, channels, upsample, convs=1, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.upsample, self.convs = channels, upsample, convs
        self.upsampling = layers.UpSampling2D(2, interpolation="bilinear") if upsample else None
        self.conv = layers.Conv2D(channels, 3, padding="same", name="conv")
        self.noise = NoiseInjection(name="noise")
        self.adain = AdaIN(name="adain")
        if convs == 2:  # attributes, not a list, so that checkpoints name every weight
            self.conv_2 = layers.Conv2D(channels, 3, padding="same", name="conv_2")
            self.noise_2 = NoiseInjection(name="noise_2")
            self.adain_2 = AdaIN(name="adain_2")

    def stages(self):
        """(conv, noise injection, AdaIN) for each convolution of the block."""
        second = [(self.conv_2, self.noise_2, self.adain_2)] if self.convs == 2 else []
        return [(self.conv, self.noise, self.adain)] + second

    def build(self, input_shape):
        h_shape, noise_shape, w_shape = input_shape
        size = h_shape[1] * (2 if self.upsample else 1)
        in_channels = h_shape[-1]
        for conv, noise, adain in self.stages():
            conv.build((None, size, size, in_channels))
            noise.build([(None, size, size, self.channels), noise_shape])
            adain.build([(None, size, size, self.channels), w_shape])
            in_channels = self.channels

    def call(self, inputs):
        h, noise, w = inputs
        if self.upsampling is not None:
            h = self.upsampling(h)
        for conv, inject_noise, adain in self.stages():
            h = inject_noise([conv(h), noise])
            h = adain([ops.leaky_relu(h, 0.2), w])
        return h

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "upsample": self.upsample, "convs": self.convs}


def mapping_network(latent_dim=64, w_dim=64, num_layers=3):
    """The mapping network f: z ↦ w, PixelNorm(z) → [Dense(w_dim) → LeakyReLU(0.2)] × num_layers.
    W need not follow the Gaussian shape of Z, so its axes can line up with the factors of variation."""
    z = keras.Input((latent_dim,), name="z")
    h = PixelNorm()(z)
    for i in range(num_layers):
        h = layers.LeakyReLU(0.2)(layers.Dense(w_dim, name=f"dense_{i}")(h))
    return keras.Model(z, h, name="mapping")


def broadcast_styles(w, num_blocks):
    """One style per block from one w per image: (N, D) → (N, num_blocks, D)."""
    return ops.repeat(w[:, None, :], num_blocks, axis=1)


def mix_styles(ws_a, ws_b, crossover):
    """Style mixing: blocks before ``crossover`` (one int per image, or one for all) take their styles from
    ws_a, the rest from ws_b. ws_*: (N, num_blocks, D). With ws_a = ws_b the result is ws_a: no mixing."""
    num_blocks = ops.shape(ws_a)[1]
    crossover = ops.reshape(ops.convert_to_tensor(crossover, "int32"), (-1, 1, 1))
    return ops.where(ops.arange(num_blocks)[None, :, None] < crossover, ws_a, ws_b)


def truncate(w, w_avg, psi):
    """The truncation trick: w' = w̄ + ψ (w − w̄). ψ = 1 leaves w alone, ψ = 0 maps every w to the average
    style w̄; values in between trade variety for typical, cleaner images."""
    return w_avg + psi * (w - w_avg)


@keras.saving.register_keras_serializable("ganlib")
class StyleGenerator(keras.Model):
    """A style-based generator (StyleGAN, scaled down for a CPU), for 28×28 digits by default.

    z → mapping network → w; a learned 7×7 constant, styled by AdaIN(w_0), then passes three blocks (7×7,
    14×14, 28×28), each [bilinear ×2 upsampling] → Conv 3×3 → noise injection → LeakyReLU(0.2) →
    AdaIN(w_block); a 1×1 conv with tanh makes the image. ``const_input=False`` makes the first maps from w_0 by
    a dense layer instead of the constant, as a DCGAN starts from z (the course's ``style`` model does: in a few
    CPU minutes it drew more varied digits). Block i takes its own style ws[:, i] (block 0's
    also styles the first maps), so styles can be mixed. Other ``image_size``s and ``image_channels``
    (chapter 07) start from a 4×4 to 7×7 constant (``models.resolution_plan``) with one block per doubling.

    In training (``training=True``) the generator keeps w̄, a moving average of w (for truncation), and
    applies style-mixing regularisation: with probability ``mixing_prob`` an image takes the styles of a
    second latent from a random crossover block on, so no block can rely on its neighbours sharing a style.
    Noise is fresh in training and, by default, fixed per block when generating, so one z gives one image.
    """

    def __init__(self, latent_dim=64, w_dim=64, mapping_layers=3, width=32, mixing_prob=0.9,
                 w_avg_decay=0.995, seed=0, image_size=IMAGE_SIZE, image_channels=1, convs_per_block=1,
                 const_input=True, grow_steps=0, **kwargs):
        super().__init__(**{"name": "style_generator", **kwargs})
        self.convs_per_block, self.const_input, self.grow_steps = convs_per_block, const_input, grow_steps
        self.latent_dim, self.w_dim, self.mapping_layers, self.width = latent_dim, w_dim, mapping_layers, width
        self.mixing_prob, self.w_avg_decay, self.seed = mixing_prob, w_avg_decay, seed
        self.image_size, self.image_channels = image_size, image_channels
        self.base_size, doublings = resolution_plan(image_size)
        # channels halve block by block on the way up, from 2·width at 28×28's 7×7 block to width/2 at 28×28
        self.channels = tuple(max(width // 2, width * min(2 ** (doublings - 1 - i), MAX_WIDTH_FACTOR))
                              for i in range(doublings + 1))
        self.sizes = tuple(self.base_size * 2**i for i in range(doublings + 1))
        self.num_blocks = len(self.channels)
        self.mapping = mapping_network(latent_dim, w_dim, mapping_layers)
        # one attribute per block (not a list) so that tf.train.Checkpoint saves every block's weights
        for i, (c, size) in enumerate(zip(self.channels, self.sizes)):
            setattr(self, f"block_{size}", StyleBlock(c, upsample=i > 0, convs=convs_per_block, name=f"block_{size}"))
        # as in StyleGAN's first block, the constant is styled before the first convolution, so that the
        # convolution already builds a different 7×7 layout for every style
        self.const_adain = AdaIN(name="const_adain")
        # const_input=False: the first map is made from w by a dense layer (as a DCGAN starts from z) instead
        base_units = self.base_size * self.base_size * self.channels[0]
        self.from_w = None if const_input else layers.Dense(base_units, name="from_w")
        self.to_image = layers.Conv2D(image_channels, 1, activation="tanh", name="to_image", dtype="float32")
        if grow_steps:  # growing (chapter 07): one more 1×1 "to image" layer per lower resolution
            for size in self.sizes[:-1]:
                setattr(self, f"to_image_{size}",
                        layers.Conv2D(image_channels, 1, activation="tanh", name=f"to_image_{size}", dtype="float32"))
        # a tf.random.Generator (not a keras SeedGenerator) so checkpoints hold its state and a resumed run
        # draws the same mixing and noise as an uninterrupted one
        self.rng = tf.random.Generator.from_seed(seed + 1000)

    @property
    def blocks(self):
        return [getattr(self, f"block_{size}") for size in self.sizes]

    def build(self, input_shape=None):
        # random, not ones: instance normalisation of a constant channel would have no gradient to follow
        if self.const_input:
            self.const = self.add_weight(shape=(1, self.base_size, self.base_size, self.channels[0]),
                                         initializer=keras.initializers.RandomNormal(seed=self.seed), name="const")
        self.w_avg = self.add_weight(shape=(self.w_dim,), initializer="zeros", trainable=False, name="w_avg")
        # fixed noise maps, one attribute each (see __init__), used when generating
        for i, size in enumerate(self.sizes):
            setattr(self, f"fixed_noise_{size}", self.add_weight(
                shape=(1, size, size, 1), initializer=keras.initializers.RandomNormal(seed=self.seed + i),
                trainable=False, name=f"fixed_noise_{size}"))
        self.mapping.build((None, self.latent_dim))
        if self.from_w is not None:
            self.from_w.build((None, self.w_dim))
        self.const_adain.build([(None, self.base_size, self.base_size, self.channels[0]), (None, self.w_dim)])
        h_shape = (None, self.base_size, self.base_size, self.channels[0])
        for block, size in zip(self.blocks, self.sizes):
            block.build([h_shape, (None, size, size, 1), (None, self.w_dim)])
            h_shape = (None, size, size, block.channels)
        self.to_image.build(h_shape)
        if self.grow_steps:
            for block, size in zip(self.blocks[:-1], self.sizes[:-1]):
                getattr(self, f"to_image_{size}").build((None, size, size, block.channels))
            self.level = self.add_weight(shape=(), initializer="zeros", trainable=False, name="level")
        self.built = True

    def call(self, z, training=False):
        w = self.mapping(z, training=training)
        ws = broadcast_styles(w, self.num_blocks)
        if training:
            self.w_avg.assign(self.w_avg_decay * self.w_avg + (1 - self.w_avg_decay) * ops.mean(w, axis=0))
            ws = self.mixing_regularisation(ws, ops.shape(z))
        return self.synthesise(ws, noise="random" if training else None, training=training)

    def mixing_regularisation(self, ws, z_shape):
        """ws with, for a fraction ``mixing_prob`` of the images, the styles of a second random latent from a
        crossover block drawn uniformly from 1 … num_blocks − 1."""
        other = broadcast_styles(self.mapping(self.rng.normal(z_shape), training=True), self.num_blocks)
        n = z_shape[0]
        crossover = self.rng.uniform((n,), 1, self.num_blocks, dtype="int32")
        mixed = self.rng.uniform((n,)) < self.mixing_prob
        return mix_styles(ws, other, ops.where(mixed, crossover, self.num_blocks))

    def noise_inputs(self, n, noise=None):
        """Per-block noise maps (N, s, s, 1): ``None`` → the fixed maps, ``"random"`` → fresh draws,
        an int → draws from that seed (the same seed gives the same noise)."""
        if noise is None:
            return [ops.repeat(getattr(self, f"fixed_noise_{s}"), n, axis=0) for s in self.sizes]
        if isinstance(noise, str) and noise == "random":
            return [self.rng.normal((n, s, s, 1)) for s in self.sizes]
        if isinstance(noise, (int, np.integer)):
            return [keras.random.normal((n, s, s, 1), seed=int(noise) + i) for i, s in enumerate(self.sizes)]
        raise ValueError(f"noise must be None, 'random' or an int seed, got {noise!r}")

    def synthesise(self, ws, noise=None, training=False):
        """Images from one style per block, ws shaped (N, num_blocks, w_dim); ``noise`` as in ``noise_inputs``."""
        if self.grow_steps:
            return self.growing_synthesis(ws, noise)  # chapter 07: the resolution grows as training goes on
        n = ops.shape(ws)[0]
        if self.from_w is None:
            start = ops.repeat(self.const, n, axis=0)
        else:
            start = ops.reshape(self.from_w(ws[:, 0]), (-1, self.base_size, self.base_size, self.channels[0]))
        h = self.const_adain([start, ws[:, 0]])
        for i, (block, noise_map) in enumerate(zip(self.blocks, self.noise_inputs(n, noise))):
            h = block([h, noise_map, ws[:, i]])
        return self.to_image(h)

    # --- Chapter 07: growing the resolution (ProGAN, Karras et al. 2018; StyleGAN 1) --------------------------

    def follow_step(self, step):
        """Set the growth level from the training step: level ℓ = step / grow_steps, up to the last block. At
        ℓ = k + α the generator draws at its k-th block's resolution, fading the next one in as α goes 0 → 1."""
        self.level.assign(ops.minimum(ops.cast(step, "float32") / self.grow_steps, self.num_blocks - 1.0))

    def _at_level(self, branch):
        """``branch(k, α)`` for the current level's k (a Python int, so that only blocks up to k + 1 are built into
        that branch of the graph) and α, via ``tf.switch_case``."""
        k = tf.cast(tf.minimum(tf.floor(self.level), self.num_blocks - 1), tf.int32)
        alpha = self.level - tf.cast(k, tf.float32)
        return tf.switch_case(k, [lambda k=k_: branch(k, alpha) for k_ in range(self.num_blocks)])

    def _to_full_size(self, images):
        factor = self.image_size // images.shape[1]
        return images if factor == 1 else ops.repeat(ops.repeat(images, factor, axis=1), factor, axis=2)

    def growing_synthesis(self, ws, noise=None):
        """Images at the current level: (1 − α)·up(to_image_k(h_k)) + α·to_image_{k+1}(h_{k+1}), brought to full
        size by repeating pixels, so that the discriminator always takes one shape of image."""
        n = ops.shape(ws)[0]
        noise_maps = self.noise_inputs(n, noise)
        to_image = [getattr(self, f"to_image_{s}") for s in self.sizes[:-1]] + [self.to_image]

        def branch(k, alpha):
            start = (ops.repeat(self.const, n, axis=0) if self.from_w is None else
                     ops.reshape(self.from_w(ws[:, 0]), (-1, self.base_size, self.base_size, self.channels[0])))
            h, outputs = self.const_adain([start, ws[:, 0]]), []
            for i in range(min(k + 2, self.num_blocks)):
                h = self.blocks[i]([h, noise_maps[i], ws[:, i]])
                outputs.append(to_image[i](h))
            if k == self.num_blocks - 1:
                return outputs[k]
            low = ops.repeat(ops.repeat(outputs[k], 2, axis=1), 2, axis=2)
            return self._to_full_size((1.0 - alpha) * low + alpha * outputs[k + 1])

        return self._at_level(branch)

    def view(self, images):
        """What the discriminator sees of any image while the generator grows: the image at the current level's
        resolution (average-pooled), blended between levels k and k + 1 as the generator's output is, and
        brought back to full size. Real and fake images go through it alike."""
        def branch(k, alpha):
            if k == self.num_blocks - 1:
                return images

            def at(size):
                factor = self.image_size // size
                return self._to_full_size(ops.average_pool(images, factor, factor)) if factor > 1 else images

            return (1.0 - alpha) * at(self.sizes[k]) + alpha * at(self.sizes[k + 1])

        return self._at_level(branch)

    def styles(self, z):
        """w = f(z) for latents z, (N, w_dim)."""
        return self.mapping(ops.convert_to_tensor(z, "float32"), training=False)

    def generate(self, z, psi=1.0, noise=None):
        """Images for latents z with truncation ψ (1: none) applied to every block's style."""
        w = truncate(self.styles(z), self.w_avg, psi)
        return self.synthesise(broadcast_styles(w, self.num_blocks), noise=noise)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "w_dim": self.w_dim,
                "mapping_layers": self.mapping_layers, "width": self.width, "mixing_prob": self.mixing_prob,
                "w_avg_decay": self.w_avg_decay, "seed": self.seed, "image_size": self.image_size,
                "image_channels": self.image_channels, "convs_per_block": self.convs_per_block,
                "const_input": self.const_input, "grow_steps": self.grow_steps}
