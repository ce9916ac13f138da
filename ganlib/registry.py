"""The model registry: one declaration per model (its builders, loss, settings and epochs), read by everything else.

``build_gan``, the command line (its choices and help), the benchmarks and the notebooks all read ``MODELS``;
nothing else in the package compares model names. Adding a model is one new ``ModelSpec`` entry here (plus its
builders in ``models``):

    MODELS["wide_dcgan"] = ModelSpec(
        "wide_dcgan", chapter="02", summary="the chapter 02 DCGAN, twice as wide",
        build=lambda s: (models.dcgan_generator(s["latent_dim"], s["width"]),
                         models.dcgan_discriminator(s["width"])),
        defaults={**TRAINING, "latent_dim": 64, "width": 64, "loss": "non_saturating"},
        epochs=30)

Every key of ``defaults`` is a setting a user may override — ``build_gan(name, width=48)`` in Python,
``train MODEL --set width=48`` on the command line; ``build`` shows how the settings reach the builders;
``choices`` lists the values a setting may take where only some make sense. The "loss" setting decides the
train step (``losses.ADVERSARIAL_LOSSES``: one update of each player; ``losses.WASSERSTEIN_LOSSES``: a
critic loop).
"""

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping

from ganlib import losses, models, style

# The training settings every model has; entries override what differs.
TRAINING = MappingProxyType(dict(batch_size=64, optimizer="adam", learning_rate=2e-4, beta_1=0.5, beta_2=0.999,
                                 ema=0.0, augment=""))
# The images a convolutional model draws: 28×28 grey digits, or (chapter 07) any size 4–7 × 2^k and colour.
IMAGES = MappingProxyType(dict(image_size=28, channels=1))
IMAGE_CHOICES = {"channels": (1, 3)}
# The depth of the DCGAN networks (and of the Wasserstein critic, which shares D's body): convs_per_block − 1 extra
# 3×3 convolutions at each of G's resolutions below the image's, d_convs_per_block − 1 after each of D's strided
# ones; they keep the resolution and the channels. (The style generator's convs_per_block: convolutions per block.)
DEPTH = MappingProxyType(dict(convs_per_block=1, d_convs_per_block=1))
DEEP = MappingProxyType(dict(convs_per_block=2, d_convs_per_block=2))  # what dcgan and wgan_gp learn best at
# What chapter 07's pictures were measured at (bench/README.md, own images): the plain networks, Adam 5e-4 at
# β1 0.5 — the depth and the faster rate above are measured on digits only.
PICTURE_TRAINING = MappingProxyType(dict(learning_rate=5e-4, beta_1=0.5, **DEPTH))
# No stage at the image's own resolution in the DCGAN generator (``models.dcgan_generator``): the paper's last layer
# draws the pixels. The least-squares GAN and both WGANs build it so (with 16 maps the WGAN-GP drew no better:
# bench/README.md, "what limits the DCGAN"), and so do chapter 07's pictures, where the stage is not measured.
NO_FULL_RESOLUTION_STAGE = MappingProxyType(dict(full_resolution_channels=0))
# Settings added after runs were first saved, each with what a config.json that leaves it out was trained with (the
# networks before it existed; the style model's had the learned constant and the minibatch-std channel), so that an
# older run still loads and resumes as the run it is.
ADDED_SETTINGS = MappingProxyType(dict(convs_per_block=1, d_convs_per_block=1, full_resolution_channels=0,
                                       const_input=True, minibatch_std=True, r1_weight=0.0))
OPTIMIZERS = ("adam", "rmsprop")
MINIMAX_LOSSES = ("non_saturating", "saturating", "least_squares")


@dataclass(frozen=True)
class ModelSpec:
    """One model of the course: ``build(settings) → (generator, discriminator)`` and the settings it reads."""

    name: str
    chapter: str  # the chapter that teaches it ("" for the peer baseline)
    summary: str  # one line, for --help and tables
    build: Callable
    defaults: Mapping
    epochs: int  # what `train` runs when --epochs is not given
    choices: Mapping = field(default_factory=dict)  # setting → the values it may take
    truncation: bool = False  # the generator takes a truncation ψ (style-based generators)
    # Settings that replace ``defaults`` when the model draws anything but 28×28 grey digits (chapter 07's
    # picture folders): what a few CPU minutes learn best there is not what suits MNIST.
    pictures: Mapping = field(default_factory=dict)

    @property
    def conditional(self):
        """True for a model conditioned on a class label (it has a ``num_classes`` setting)."""
        return bool(self.defaults.get("num_classes"))

    def allowed(self, setting):
        """The values ``setting`` may take, or None when any value of its type will do."""
        return {"optimizer": OPTIMIZERS, **IMAGE_CHOICES, **self.choices}.get(setting)

    def defaults_for(self, settings):
        """The defaults under ``settings`` (a model's overrides): ``defaults``, with ``pictures`` over them when
        ``settings`` asks for another image size or channel count than the digits'."""
        shape = {key: settings.get(key, self.defaults.get(key)) for key in IMAGES}
        return {**self.defaults, **self.pictures} if shape != dict(IMAGES) else dict(self.defaults)

    @property
    def any_images(self):
        """True for a model whose builders take the image size and channels (chapter 07)."""
        return "image_size" in self.defaults


def image_shape(s):
    return (s["image_size"], s["image_size"], s["channels"])


def _style_networks(s):
    generator = style.StyleGenerator(s["latent_dim"], s["w_dim"], s["mapping_layers"], s["width"],
                                     s["mixing_prob"], seed=s["seed"], image_size=s["image_size"],
                                     image_channels=s["channels"], convs_per_block=s["convs_per_block"],
                                     const_input=s["const_input"], grow_steps=s["grow_steps"])
    generator.build((None, s["latent_dim"]))
    # A Wasserstein critic must judge each image on its own (the gradient penalty is per sample), so it gets no
    # minibatch-std channel: that channel is what lets the minimax discriminator see a batch's variety.
    discriminator = (models.wgan_critic(s["width"], image_shape=image_shape(s), convs_per_block=s["d_convs_per_block"])
                     if s["loss"] in losses.WASSERSTEIN_LOSSES
                     else models.dcgan_discriminator(s["width"], s["minibatch_std"], image_shape=image_shape(s),
                                                     convs_per_block=s["d_convs_per_block"]))
    return generator, discriminator


def _dcgan_networks(s):
    return (models.dcgan_generator(s["latent_dim"], s["width"], image_shape(s), s["convs_per_block"],
                                   s["full_resolution_channels"]),
            models.dcgan_discriminator(s["width"], s["minibatch_std"], image_shape(s), s["d_convs_per_block"]))


def _wgan_networks(s):
    return (models.dcgan_generator(s["latent_dim"], s["width"], image_shape(s), s["convs_per_block"],
                                   s["full_resolution_channels"]),
            models.wgan_critic(s["width"], s["layer_norm"], image_shape=image_shape(s),
                               convs_per_block=s["d_convs_per_block"]))


_MODELS = [
    # Adam at 1e-3 (β1 0.5), five times the DCGAN paper's rate, with a moving average of G drawing the samples: in
    # 5 CPU minutes 63% confident digits of every class and FID 15 against 32%, 7 classes and FID 97 at 2e-4
    # without the average (medians of 3 seeds, time_to_quality.py; 5e-4 gave 58–59%: sweep.py; bench/README.md).
    ModelSpec(
        "gan", chapter="01", summary="MLP generator and discriminator (chapter 01)",
        build=lambda s: (models.mlp_generator(s["latent_dim"]), models.mlp_discriminator(dropout=s["dropout"])),
        defaults={**TRAINING, "learning_rate": 1e-3, "ema": 0.999, "latent_dim": 100, "dropout": 0.3,
                  "loss": "non_saturating"},
        epochs=40, choices={"loss": MINIMAX_LOSSES}),
    # One more 3×3 convolution at each resolution of G and D, Adam at 1e-3 with β1 0, and a moving average of G
    # drawing the samples: in 5 CPU minutes 73% confident digits, precision 0.77, recall 0.89, FID 4.4 against 52%,
    # 0.55, 0.85 and 19 for the plain networks at the same rate (medians of 3 seeds, sweep.py; bench/README.md).
    # Depth, not width: twice the width left precision at 0.56. And 16 feature maps at 28×28 before G draws the
    # image (full_resolution_channels=16, as the style generator has): 76.8% confident, precision 0.78, recall 0.86,
    # FID 3.1 against 73.5%, 0.76, 0.88 and 4.5 without them (medians of 3 seeds, time_to_quality.py). The R1
    # penalty (r1_weight γ) at γ 0.1, 1 and 10: 73%, 73% and 66% confident against 77% (seed 0, sweep.py): off.
    ModelSpec(
        "dcgan", chapter="02", summary="DCGAN (chapter 02)",
        build=_dcgan_networks,
        defaults={**TRAINING, **IMAGES, "learning_rate": 1e-3, "beta_1": 0.0, "ema": 0.999, "latent_dim": 64,
                  "width": 32, **DEEP, "full_resolution_channels": 16, "minibatch_std": False,
                  "loss": "non_saturating", "r1_weight": 0.0},
        epochs=30, choices={"loss": MINIMAX_LOSSES},
        # 32-px colour pictures cost a width-32 DCGAN ~3× the compute of a digit: the plain networks at half the
        # width, Adam 5e-4 β1 0.5, learn far more in CPU minutes (bench/README.md, own images; measured before
        # the depth above, which is not measured on pictures).
        pictures={"width": 16, **NO_FULL_RESOLUTION_STAGE, **PICTURE_TRAINING}),
    # Chapter 03: the DCGAN networks with least-squares losses, and with a Wasserstein critic. The WGAN-GP paper
    # uses n_critic 5 and Adam 1e-4 (β1 0); in a few CPU minutes Adam 1e-3 with a moving average of G drawing the
    # samples gave FID 19 and 51% confident digits against 28 and 46% at 5e-4 without it (medians of 3 seeds,
    # time_to_quality.py), the DCGAN's extra 3×3 convolution per resolution in G and the critic, at the paper's β1 0,
    # 64% and FID 6.1, and then one critic update per generator update instead of 2, 70% and FID 3.9 (medians of
    # 3 seeds, sweep.py; with the plain networks at 2e-4, β1 0.5, 2 had learned the most: bench/README.md).
    ModelSpec(
        "lsgan", chapter="03", summary="least-squares GAN on the DCGAN networks (chapter 03)",
        build=_dcgan_networks,
        defaults={**TRAINING, **IMAGES, "latent_dim": 64, "width": 32, **DEPTH, **NO_FULL_RESOLUTION_STAGE,
                  "minibatch_std": False, "loss": "least_squares"},
        epochs=30, choices={"loss": MINIMAX_LOSSES}),
    ModelSpec(
        "wgan_gp", chapter="03", summary="WGAN with gradient penalty (chapter 03)",
        build=_wgan_networks,
        defaults={**TRAINING, **IMAGES, "learning_rate": 1e-3, "beta_1": 0.0, "beta_2": 0.9, "ema": 0.999,
                  "latent_dim": 64, "width": 32, **DEEP, **NO_FULL_RESOLUTION_STAGE, "layer_norm": False,
                  "loss": "wgan_gp", "n_critic": 1, "gp_weight": 10.0},
        epochs=30, choices={"loss": ("wgan_gp",)}),
    # The original WGAN as its paper trains it: weights clipped to ±0.01, RMSprop 5e-5, 5 critic updates.
    ModelSpec(
        "wgan", chapter="03", summary="WGAN with weight clipping (chapter 03)",
        build=_wgan_networks,
        defaults={**TRAINING, **IMAGES, "optimizer": "rmsprop", "learning_rate": 5e-5, "latent_dim": 64, "width": 32,
                  **DEPTH, **NO_FULL_RESOLUTION_STAGE, "layer_norm": False, "loss": "wgan_clip", "n_critic": 5,
                  "clip_value": 0.01},
        epochs=30, choices={"loss": ("wgan_clip",)}),
    # Chapter 04: the style-based generator against the chapter 02 discriminator with a minibatch-std channel
    # (loss="wgan_gp": against the chapter 03 critic, without it). Style mixing is off by default: StyleGAN's 0.9 cost a
    # third of the classifier score in 3 CPU minutes. One mapping layer, not three, with a moving average of G: in
    # 5 CPU minutes three layers drew one digit per class (recall 0.00), one layer recall 0.41 and FID 54; Adam 5e-4
    # rather than 2e-4 lowered FID by 10–14 and raised the confident share in both seeds tried (sweep.py,
    # bench/README.md). Two convolutions per block, as StyleGAN has, the DCGAN's deeper discriminator, and Adam 1e-3
    # at β1 0: 85% confident digits, precision 0.82, recall 0.60 and FID 7.1 against 66%, 0.56, 0.35 and 18 for the
    # plain networks at 5e-4, β1 0.5 (seed 0, one sweep.py run); the deeper discriminator alone gave 80%, the rate
    # and β1 alone, on the plain networks, 78% but recall 0.26 and FID 20. Three seeds (time_to_quality.py): 82.5%,
    # precision 0.82, recall 0.60, FID 6.0 — more confident and precise than the DCGAN beside it, less varied.
    # Then the first 7×7 maps made from w by a dense layer instead of StyleGAN's learned constant, and one
    # convolution per block again (D keeps two): 80.1% confident, precision 0.81, recall 0.75, FID 4.8 against 81.7%,
    # 0.83, 0.61 and 7.6 (medians of 3 seeds, sweep.py; the dense start alone: recall 0.69, FID 6.5). Without the
    # minibatch-std channel (minibatch_std=False) it collapsed to two classes (seed 0, sweep.py; bench/README.md).
    # StyleGAN's R1 penalty, γ 1: recall 0.83, but 76% confident and precision 0.74; R1 in place of the channel kept
    # ten classes, at 65% and FID 18.5 (seed 0, sweep.py): off, the channel on.
    ModelSpec(
        "style", chapter="04", summary="style-based generator (chapter 04)",
        build=_style_networks,
        defaults={**TRAINING, **IMAGES, "learning_rate": 1e-3, "beta_1": 0.0, "ema": 0.999, "latent_dim": 64,
                  "w_dim": 64, "mapping_layers": 1, "width": 32, "convs_per_block": 1, "d_convs_per_block": 2,
                  "const_input": False, "grow_steps": 0, "minibatch_std": True, "mixing_prob": 0.0,
                  "loss": "non_saturating", "r1_weight": 0.0, "n_critic": 2, "gp_weight": 10.0},
        epochs=30, choices={"loss": ("non_saturating", "wgan_gp"), "convs_per_block": (1, 2)}, truncation=True,
        # chapter 07's pictures were measured with StyleGAN's learned constant
        pictures={**PICTURE_TRAINING, "const_input": True}),
    ModelSpec(
        "cgan", chapter="06", summary="conditional DCGAN: label embedding in G, projection D (chapter 06)",
        build=lambda s: (models.cgan_generator(s["latent_dim"], s["num_classes"], s["width"],
                                               image_shape=image_shape(s)),
                         models.cgan_discriminator(s["num_classes"], s["width"], image_shape(s))),
        defaults={**TRAINING, **IMAGES, "latent_dim": 64, "width": 32, "num_classes": 10, "loss": "non_saturating"},
        epochs=30, choices={"loss": MINIMAX_LOSSES}),
    # The TensorFlow DCGAN tutorial as written there (Adam 1e-4 with Keras' default β1 0.9, batch 256, 100-d
    # noise): the peer baseline that bench/time_to_quality.py and chapter 05 measure every model against.
    ModelSpec(
        "tf_tutorial", chapter="", summary="the TensorFlow DCGAN tutorial, the peer baseline (chapter 05)",
        build=lambda s: (models.tutorial_generator(s["latent_dim"]), models.tutorial_discriminator()),
        defaults={**TRAINING, "batch_size": 256, "learning_rate": 1e-4, "beta_1": 0.9, "latent_dim": 100,
                  "loss": "non_saturating"},
        epochs=50, choices={"loss": MINIMAX_LOSSES}),
]
MODELS = MappingProxyType({spec.name: spec for spec in _MODELS})


# What each numeric setting may be, wherever it appears: (test, what it must be).
LIMITS = {
    "batch_size": (lambda v: v >= 1, "at least 1"),
    "latent_dim": (lambda v: v >= 1, "at least 1"),
    "w_dim": (lambda v: v >= 1, "at least 1"),
    "width": (lambda v: v >= 2, "at least 2"),
    "mapping_layers": (lambda v: v >= 1, "at least 1"),
    "convs_per_block": (lambda v: v >= 1, "at least 1"),
    "d_convs_per_block": (lambda v: v >= 1, "at least 1"),
    "full_resolution_channels": (lambda v: v >= 0, "at least 0 (0: no feature maps at the image's resolution)"),
    "num_classes": (lambda v: v >= 2, "at least 2"),
    "n_critic": (lambda v: 1 <= v <= 15, "between 1 and 15"),
    "learning_rate": (lambda v: 0 < v < 1, "between 0 and 1 (exclusive)"),
    "beta_1": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "beta_2": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "dropout": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "mixing_prob": (lambda v: 0 <= v <= 1, "in [0, 1]"),
    "gp_weight": (lambda v: v >= 0, "at least 0"),
    "r1_weight": (lambda v: v >= 0, "at least 0 (0: no R1 penalty)"),
    "clip_value": (lambda v: v > 0, "greater than 0"),
    "ema": (lambda v: 0 <= v < 1, "in [0, 1) (0: no moving average)"),
    "grow_steps": (lambda v: v >= 0, "at least 0 (0: no growing)"),
}


def check_settings(spec, settings):
    """``settings`` (overrides of ``spec.defaults``) checked and converted to the defaults' types, or a
    ValueError saying which setting is wrong and what it may be."""
    unknown = sorted(set(settings) - set(spec.defaults))
    if unknown:
        raise ValueError(f"{spec.name} has no setting {', '.join(unknown)}; its settings are "
                         f"{', '.join(spec.defaults)}")
    checked = {}
    for key, value in settings.items():
        default = spec.defaults[key]
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif isinstance(default, float):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            value = float(value) if ok else value
        else:
            ok = isinstance(value, str)
        if not ok:
            raise ValueError(f"{spec.name} setting {key} must be a {type(default).__name__} "
                             f"(like its default {default!r}), got {value!r}")
        if key == "augment":
            from ganlib import augment  # the policy's own parser says what is wrong with it

            augment.parse_policy(value)
        allowed = spec.allowed(key)
        if allowed is not None and value not in allowed:
            raise ValueError(f"{spec.name} setting {key}={value!r} is not one of {', '.join(map(str, allowed))}")
        if key in LIMITS and not LIMITS[key][0](value):
            raise ValueError(f"{spec.name} setting {key}={value!r}: it must be {LIMITS[key][1]}")
        checked[key] = value
    return checked


def get(name):
    """The ``ModelSpec`` called ``name``, or a ValueError listing the models there are."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return MODELS[name]
