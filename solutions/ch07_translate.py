import tensorflow as tf


def translate(images, shifts):
    """Move image i by shifts[i] = (dy, dx) whole pixels — output (r, c) is input (r + dy, c + dx) — filling with 0."""
    _, height, width, _ = images.shape
    reach = max(height, width)  # padding as wide as the image: any shift within the image lands on the padding
    padded = tf.pad(images, [[0, 0], [reach, reach], [reach, reach], [0, 0]])
    windows = [padded[i, reach + dy: reach + dy + height, reach + dx: reach + dx + width]
               for i, (dy, dx) in enumerate(shifts.tolist() if hasattr(shifts, "tolist") else shifts)]
    return tf.stack(windows)
