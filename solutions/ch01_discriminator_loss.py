import tensorflow as tf


def discriminator_loss(real_logits, fake_logits):
    """−E[log D(x)] − E[log(1 − D(G(z)))] from D's logits on a real and a fake batch: one number."""
    # log σ(l) = −softplus(−l) and log(1 − σ(l)) = −softplus(l): finite even for confident logits
    return tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(tf.nn.softplus(fake_logits))
