import tensorflow as tf


def gradient_penalty(critic, real, fake):
    """E[(‖∇f(x̂)‖₂ − 1)²] at x̂ = ε·real + (1 − ε)·fake, one ε ~ Uniform[0, 1] per sample (unweighted)."""
    epsilon = tf.random.uniform([tf.shape(real)[0], 1, 1, 1])
    x_hat = epsilon * real + (1.0 - epsilon) * fake
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        scores = critic(x_hat, training=True)
    grads = tape.gradient(scores, x_hat)
    # + 1e-12: the derivative of √u is infinite at u = 0, where the critic is flat
    norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + 1e-12)
    return tf.reduce_mean(tf.square(norms - 1.0))
