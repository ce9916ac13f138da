import tensorflow as tf


def generator_loss(fake_logits):
    """The non-saturating generator loss −E[log D(G(z))] from D's logits on a fake batch: one number."""
    return tf.reduce_mean(tf.nn.softplus(-fake_logits))
