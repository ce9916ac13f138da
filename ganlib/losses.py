"""GAN losses on discriminator logits l = D(x) (so D's probability is σ(l)).

log σ(l) = −softplus(−l) and log(1 − σ(l)) = −softplus(l) are evaluated with softplus, which never takes
the log of 0 even for logits of ±100, where the naive log(sigmoid(l)) gives −inf.
"""

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
