import tensorflow as tf


def condition_on_label(images, labels, num_classes):
    """Images (N, H, W, C) with num_classes one-hot label maps appended: (N, H, W, C + num_classes)."""
    one_hot = tf.one_hot(labels, depth=num_classes, dtype=images.dtype)  # (N, num_classes)
    shape = tf.concat([tf.shape(images)[:3], [num_classes]], axis=0)
    label_maps = tf.broadcast_to(one_hot[:, None, None, :], shape)  # constant over each image
    return tf.concat([images, label_maps], axis=-1)
