import tensorflow as tf


def adain(x, y_s, y_b, epsilon=1e-5):
    """AdaIN(x, y) = y_s · (x − μ(x)) / σ(x) + y_b on NHWC maps x, with styles y_s, y_b of shape (N, C)."""
    mean, variance = tf.nn.moments(x, axes=[1, 2], keepdims=True)  # per sample and channel, over H and W
    normalised = (x - mean) / tf.sqrt(variance + epsilon)
    return y_s[:, None, None, :] * normalised + y_b[:, None, None, :]
