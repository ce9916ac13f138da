from ganlib import losses


def augmented_d_loss(discriminator, real, fake, augment):
    """D's minimax loss with DiffAugment: every image D sees, real and fake, goes through augment first."""
    real_logits = discriminator(augment(real), training=True)
    fake_logits = discriminator(augment(fake), training=True)
    return losses.discriminator_loss(real_logits, fake_logits)
