import keras
from keras import layers


def conditional_discriminator(num_classes, image_shape=(28, 28, 1)):
    """D([images, labels]) → one logit per image; the label enters as one-hot maps concatenated to the image."""
    image = keras.Input(image_shape, name="image")
    label = keras.Input((), dtype="int32", name="label")
    one_hot = layers.CategoryEncoding(num_classes, output_mode="one_hot")(label)  # (N, num_classes)
    label_maps = layers.UpSampling2D(image_shape[:2])(layers.Reshape((1, 1, num_classes))(one_hot))
    h = layers.Concatenate()([image, label_maps])
    h = layers.LeakyReLU(0.2)(layers.Conv2D(16, 4, strides=2, padding="same")(h))
    h = layers.LeakyReLU(0.2)(layers.Conv2D(32, 4, strides=2, padding="same")(h))
    logit = layers.Dense(1, name="logit")(layers.Flatten()(h))  # a logit: no sigmoid
    return keras.Model([image, label], logit, name="conditional_discriminator")
