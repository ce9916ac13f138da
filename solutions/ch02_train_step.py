import tensorflow as tf

from ganlib import losses


def make_train_step(generator, discriminator, g_optimizer, d_optimizer):
    """A tf.function step(real_images, z) that updates both players once and returns (d_loss, g_loss)."""

    @tf.function
    def step(real_images, z):
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_images = generator(z, training=True)
            real_logits = discriminator(real_images, training=True)
            fake_logits = discriminator(fake_images, training=True)
            d_loss = losses.discriminator_loss(real_logits, fake_logits)
            g_loss = losses.generator_loss_non_saturating(fake_logits)
        d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
        g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
        d_optimizer.apply_gradients(zip(d_grads, discriminator.trainable_variables))
        g_optimizer.apply_gradients(zip(g_grads, generator.trainable_variables))
        return d_loss, g_loss

    return step
