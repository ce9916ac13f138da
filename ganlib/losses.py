"""GAN losses: minimax, non-saturating, least-squares and Wasserstein; the gradient penalty, weight clipping and R1.

The minimax losses work on discriminator logits l = D(x) (so D's probability is σ(l)):

log σ(l) = −softplus(−l) and log(1 − σ(l)) = −softplus(l) are evaluated with softplus, which never takes
the log of 0 even for logits of ±100, where the naive log(sigmoid(l)) gives −inf.
"""

from dataclasses import dataclass
from typing import Callable

import tensorflow as tf


def discriminator_loss(real_logits, fake_logits):
    """Minimax discriminator loss, to minimise: −E[log D(x)] − E[log(1 − D(G(z)))]
    = E[softplus(−l_real)] + E[softplus(l_fake)]. At D = 1/2 everywhere it equals 2·log 2."""
    return tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(tf.nn.softplus(fake_logits))


def generator_loss_saturating(fake_logits):
    """The original minimax generator loss, to minimise: E[log(1 − D(G(z)))] = −E[softplus(l_fake)].
    Its gradient vanishes when D confidently rejects the fakes (l_fake ≪ 0), early in training."""
    return -tf.reduce_mean(tf.nn.softplus(fake_logits))


def generator_loss_non_saturating(fake_logits):
    """The non-saturating generator loss, to minimise: −E[log D(G(z))] = E[softplus(−l_fake)].
    Same fixed point as the saturating loss, but strong gradients exactly when the fakes are bad."""
    return tf.reduce_mean(tf.nn.softplus(-fake_logits))


GENERATOR_LOSSES = {
    "non_saturating": generator_loss_non_saturating,
    "saturating": generator_loss_saturating,
}


# --- Chapter 03: Wasserstein and least-squares losses. Here D is a critic: its output is a score, not a logit.


def critic_loss(real_scores, fake_scores):
    """Wasserstein critic loss, to minimise: E[f(G(z))] − E[f(x)]. Its negative, E[f(x)] − E[f(G(z))],
    estimates the Wasserstein-1 distance when f is 1-Lipschitz (Kantorovich–Rubinstein duality)."""
    return tf.reduce_mean(fake_scores) - tf.reduce_mean(real_scores)


def wasserstein_generator_loss(fake_scores):
    """Wasserstein generator loss, to minimise: −E[f(G(z))]."""
    return -tf.reduce_mean(fake_scores)


def interpolation_weights(n, rng=None, rank=4):
    """ε ~ Uniform[0, 1], one per sample, shaped (n, 1, 1, 1) to broadcast over an NHWC image
    (or (n, 1) over vectors: ``rank=2``)."""
    shape = tf.stack([n] + [1] * (rank - 1))
    return rng.uniform(shape) if rng is not None else tf.random.uniform(shape)


def gradient_penalty(critic, real, fake, epsilon=None, rng=None, scale=1.0):
    """Unweighted WGAN-GP penalty E[(‖∇x̂ f(x̂)‖₂ − 1)²] at x̂ = ε·real + (1 − ε)·fake (Gulrajani et al. 2017).

    ε is one Uniform[0, 1] draw per sample (pass ``epsilon`` shaped (n, 1, 1, 1) for images, or a
    ``tf.random.Generator`` as ``rng``); inputs may be images or vectors. The caller multiplies by λ (10 in the
    paper). The norm is √(Σ g² + 1e-12): d√u/du is infinite at u = 0, and without the tiny constant a zero
    gradient (a dead critic, or fake == real where f is flat) would make the update NaN. ``scale`` multiplies
    f before differentiating and divides the gradient after, in float32: under mixed float16 the critic's
    backward pass then runs on values large enough not to underflow.
    """
    if epsilon is None:
        epsilon = interpolation_weights(tf.shape(real)[0], rng, rank=real.shape.rank)
    x_hat = epsilon * real + (1.0 - epsilon) * fake
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        scores = tf.cast(critic(x_hat, training=True), tf.float32)
    grads = tape.gradient(scores, x_hat, output_gradients=tf.fill(tf.shape(scores), float(scale))) / scale
    norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=tf.range(1, tf.rank(grads))) + 1e-12)
    return tf.reduce_mean(tf.square(norms - 1.0))


def r1_penalty(discriminator, real, scale=1.0):
    """D's logits l(x) on ``real`` and the unweighted R1 penalty E[‖∇x l(x)‖²] on them (Mescheder et al. 2018,
    "Which Training Methods for GANs do actually Converge?"): the squared norm of D's gradient at real data.

    Added to the discriminator's loss as (γ/2)·R1, it keeps D flat on the data, so that it stops pushing the
    generator back and forth around it; StyleGAN and StyleGAN2 train with it. ``discriminator`` maps images to
    logits (one per sample); the logits are returned too, so the caller's loss reuses this forward pass.
    ``scale``: as in ``gradient_penalty`` (mixed float16).
    """
    with tf.GradientTape() as tape:
        tape.watch(real)
        logits = discriminator(real)
        scaled = tf.cast(logits, tf.float32) * scale
    grads = tf.cast(tape.gradient(scaled, real), tf.float32) / scale
    return logits, tf.reduce_mean(tf.reduce_sum(tf.square(grads), axis=tf.range(1, tf.rank(grads))))


def clip_weights(critic, clip_value=0.01):
    """The original WGAN's Lipschitz constraint (Arjovsky et al. 2017): clip every critic weight to
    [−c, c] after each critic update. Crude — the gradient penalty replaced it."""
    for variable in critic.trainable_variables:
        variable.assign(tf.clip_by_value(variable, -clip_value, clip_value))


def lsgan_discriminator_loss(real_scores, fake_scores, a=0.0, b=1.0):
    """Least-squares GAN discriminator loss (Mao et al. 2017), to minimise:
    ½E[(D(x) − b)²] + ½E[(D(G(z)) − a)²], with fake label a and real label b."""
    return 0.5 * tf.reduce_mean(tf.square(real_scores - b)) + 0.5 * tf.reduce_mean(tf.square(fake_scores - a))


def lsgan_generator_loss(fake_scores, c=1.0):
    """Least-squares GAN generator loss, to minimise: ½E[(D(G(z)) − c)²], c the value G wants D to give fakes."""
    return 0.5 * tf.reduce_mean(tf.square(fake_scores - c))


@dataclass(frozen=True)
class AdversarialLoss:
    """The two players' losses of one GAN objective, and what D's output means (``score``: its probability
    σ(l) for the minimax losses, the raw output for least squares), for the progress values D(x) and D(G(z))."""

    discriminator: Callable
    generator: Callable
    score: Callable


# The objectives trained with one update of each player per step ("loss" setting of a model) ...
ADVERSARIAL_LOSSES = {
    "non_saturating": AdversarialLoss(discriminator_loss, generator_loss_non_saturating, tf.sigmoid),
    "saturating": AdversarialLoss(discriminator_loss, generator_loss_saturating, tf.sigmoid),
    "least_squares": AdversarialLoss(lsgan_discriminator_loss, lsgan_generator_loss, tf.identity),
}
# ... and the Wasserstein objectives, trained with n_critic critic updates per generator update, each keeping
# the critic (nearly) 1-Lipschitz its own way.
WASSERSTEIN_LOSSES = {
    "wgan_gp": "gradient penalty",  # Gulrajani et al. 2017
    "wgan_clip": "weight clipping",  # Arjovsky et al. 2017
}
LOSS_NAMES = (*ADVERSARIAL_LOSSES, *WASSERSTEIN_LOSSES)
