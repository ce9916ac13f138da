import tensorflow as tf


def clip_weights(critic, clip_value=0.01):
    """Clip every trainable weight of the critic to [−clip_value, clip_value], in place."""
    for variable in critic.trainable_variables:
        variable.assign(tf.clip_by_value(variable, -clip_value, clip_value))
