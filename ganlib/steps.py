"""Train steps: one update of both players on this replica's share of a global batch (the lesson of chapter 02).

A step builder returns a plain Python function ``train_step(batch) → dict of scalar losses``. The training loop
(``ganlib.loop``) runs it inside a ``tf.function`` — on every replica of a ``tf.distribute`` strategy, several
steps per call, optionally compiled by XLA — so the function itself reads like the TensorFlow DCGAN tutorial's.
Three details make it correct everywhere:

- **Random draws** (latents z, the penalty's ε) come from ``StepNoise``: a pure function of (run seed, step,
  purpose), drawn for the *global* batch, of which each replica takes its own rows. A resumed run draws exactly
  what an uninterrupted one drew, and two replicas draw what one device would have.
- **Gradients** (``gradients``) are of the loss averaged over the global batch: each replica's mean loss is
  divided by the number of replicas, whose gradients the optimizer sums. Under mixed float16 the loss is
  scaled (``LossScaleOptimizer.scale_loss``) and ``optimizer.apply`` unscales and skips non-finite steps.
- **Outputs and losses are float32** whatever the compute precision: the builders end in float32 layers.
"""

import keras
import tensorflow as tf

from ganlib import losses as gan_losses

# One id per kind of draw, so that draws for different purposes at the same step are independent.
PURPOSES = {"z": 0, "z_generator": 1, "epsilon": 2, "augment": 3}
PURPOSE_STRIDE = 64  # room for n_critic < 16 critic updates × (z, ε) per step


def replica_context():
    """(index of this replica, number of replicas): (0, 1) outside ``tf.distribute``."""
    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context: the whole batch is here
        return 0, 1
    return context.replica_id_in_sync_group, context.num_replicas_in_sync


class StepNoise:
    """The random draws of a train step: ``normal(purpose, dims)`` gives this replica's rows of an
    N(0, I) draw of shape (global_batch, *dims) that depends only on (seed, step, purpose).

    Stateless random ops make the draws a pure function of their seed, so there is no random state to
    checkpoint, and every replica computes the same global draw and slices its own rows — the same numbers
    a single device would use for those samples.
    """

    def __init__(self, seed, step, global_batch):
        self.seed = int(seed)
        self.step = step  # the GAN's step counter (a tf.Variable): each step draws anew
        self.global_batch = int(global_batch)

    def _seed(self, purpose, index):
        counter = tf.cast(self.step, tf.int64) * PURPOSE_STRIDE + PURPOSES[purpose] + 4 * index
        return tf.stack([tf.constant(self.seed, tf.int64), counter])

    def _rows(self, draws):
        replica, replicas = replica_context()
        if replicas == 1:
            return draws
        rows = self.global_batch // replicas
        return draws[replica * rows:(replica + 1) * rows]

    def normal(self, purpose, *dims, index=0):
        """N(0, 1) draws for this replica's samples, shape (global_batch / replicas, *dims)."""
        return self._rows(tf.random.stateless_normal((self.global_batch, *dims), self._seed(purpose, index)))

    def uniform(self, purpose, *dims, index=0):
        """Uniform[0, 1) draws for this replica's samples, shape (global_batch / replicas, *dims)."""
        return self._rows(tf.random.stateless_uniform((self.global_batch, *dims), self._seed(purpose, index)))

    def replica_seed(self, purpose, index=0):
        """A stateless seed for draws made on this replica's samples only (e.g. by DiffAugment): the step's seed
        for ``purpose`` with the replica's index folded in, so that replicas draw independently."""
        replica, _ = replica_context()
        return tf.random.experimental.stateless_fold_in(self._seed(purpose, index), replica)


def _identity(images, stream):
    return images


def make_augment(policy, noise, view=None):
    """``augment(images, stream)``: what the discriminator sees of every image, real or fake (chapter 07).
    ``view`` first (a growing generator's current resolution), then DiffAugment (``ganlib.augment``, Zhao et al.
    2020) with the ``policy`` ("color,translation,cutout"), drawing from the step's seed and ``stream`` — one
    stream per batch of a step, so that the real and the fake batch are augmented independently. No view and
    an empty policy: the identity."""
    from ganlib import augment

    policy_set = bool(augment.parse_policy(policy))
    if not policy_set and view is None:
        return _identity

    def transform(images, stream):
        images = view(images) if view is not None else images
        if policy_set:
            images = augment.diff_augment(images, noise.replica_seed("augment", stream), policy)
        return images

    return transform


def gradients(tape, loss, variables, optimizer):
    """∂loss/∂variables, ready for ``optimizer.apply``: of the loss averaged over the global batch, and scaled
    by the optimizer's loss scale under mixed float16.

    Each replica's ``loss`` is the mean over its own samples; the optimizer sums the replicas' gradients, so
    each is divided by the number of replicas. The factor is passed as the loss's upstream gradient, which is
    the same as differentiating ``scale_loss(loss / replicas)``.
    """
    _, replicas = replica_context()
    upstream = tf.ones_like(loss) / replicas
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        upstream = optimizer.scale_loss(upstream)
        grads = tape.gradient(loss, variables, output_gradients=upstream)
        return _skip_together(grads)
    return tape.gradient(loss, variables, output_gradients=upstream)


def _skip_together(grads):
    """Keras' ``LossScaleOptimizer`` decides to skip a step from the first replica's gradients alone, before
    they are summed; make a non-finite gradient on any replica non-finite on all, so they all skip it."""
    _, replicas = replica_context()
    if replicas == 1:
        return grads
    finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in grads if g is not None])
    all_finite = tf.distribute.get_replica_context().all_reduce("MIN", tf.cast(finite, tf.float32)) > 0
    return [g if g is None else tf.where(all_finite, g, tf.fill(tf.shape(g), float("nan"))) for g in grads]


def make_train_step(generator, discriminator, g_optimizer, d_optimizer, noise, latent_dim,
                    loss=gan_losses.ADVERSARIAL_LOSSES["non_saturating"], conditional=False, augment=_identity,
                    r1_weight=0.0, penalty_scale=1.0):
    """Build one GAN training step: both players updated from one forward pass (as in the TF DCGAN tutorial).

    Each call draws z ~ N(0, I) (``noise``: a ``StepNoise``), records the forward pass on two tapes, and lets
    each optimizer descend its own loss: D on −E[log D(x)] − E[log(1 − D(G(z)))], G on −E[log D(G(z))] for
    the default non-saturating ``loss`` (chapter 03 passes least squares). Returns a dict of scalar tensors:
    d_loss, g_loss, and D's mean ``loss.score`` on real and fake images (its probability σ(logit) for the
    minimax losses).

    ``conditional=True`` (chapter 06): the step takes (images, labels), G draws G(z, y) for the batch's own
    labels y, and D judges D(x, y) — the conditional minimax game of Mirza & Osindero (2014). ``augment``
    (chapter 07, ``make_augment``) transforms every image D sees, real and fake, in both players' losses.
    ``r1_weight`` γ > 0 adds (γ/2)·E[‖∇x l(x)‖²], l D's logit, on the real images to D's loss
    (``losses.r1_penalty``; d_loss includes it); ``penalty_scale``: see ``losses.gradient_penalty``.
    """

    def train_step(batch):
        real_images, labels = batch if conditional else (batch, None)
        z = noise.normal("z", latent_dim)
        with_labels = (lambda x: [x, labels]) if conditional else (lambda x: x)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_images = generator(with_labels(z), training=True)
            seen_real = augment(real_images, 0)
            if r1_weight:  # D's logits on the real images, and its squared gradient there
                real_logits, r1 = gan_losses.r1_penalty(lambda x: discriminator(with_labels(x), training=True),
                                                        seen_real, scale=penalty_scale)
            else:
                real_logits, r1 = discriminator(with_labels(seen_real), training=True), 0.0
            fake_logits = discriminator(with_labels(augment(fake_images, 1)), training=True)
            d_loss = loss.discriminator(real_logits, fake_logits) + 0.5 * r1_weight * r1
            g_loss = loss.generator(fake_logits)
        d_variables, g_variables = discriminator.trainable_variables, generator.trainable_variables
        d_optimizer.apply(gradients(d_tape, d_loss, d_variables, d_optimizer), d_variables)
        g_optimizer.apply(gradients(g_tape, g_loss, g_variables, g_optimizer), g_variables)
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": tf.reduce_mean(loss.score(real_logits)),
            "d_fake": tf.reduce_mean(loss.score(fake_logits)),
        }

    return train_step


def clip_on_every_replica(critic, clip_value):
    """``losses.clip_weights`` where variables may be mirrored: weights are shared by the replicas, so they are
    clipped once, in the cross-replica context (a plain call when there is no strategy)."""

    def clip(strategy):
        for variable in critic.trainable_variables:
            mirrored = variable.value if hasattr(variable, "value") else variable  # the tf.Variable under Keras'
            strategy.extended.update(mirrored, lambda v: v.assign(tf.clip_by_value(v, -clip_value, clip_value)))

    tf.distribute.get_replica_context().merge_call(clip)


def make_critic_step(generator, critic, g_optimizer, c_optimizer, noise, latent_dim, n_critic=5, gp_weight=10.0,
                     clip_value=None, penalty_scale=1.0, augment=_identity):
    """Build one Wasserstein GAN step (Gulrajani et al. 2017, Algorithm 1): ``n_critic`` critic updates, each
    on its own real batch, then one generator update.

    The step takes ``real_batches`` shaped (batch, n_critic, H, W, C): sample b of critic update i is
    ``real_batches[b, i]`` (batch-major, so that a ``tf.distribute`` strategy splits the samples, not the
    critic updates). Critic update i minimises E[f(G(z))] − E[f(x_i)] + λ·GP on real batch i with fresh z;
    the generator then minimises −E[f(G(z))]. With ``clip_value`` (the original WGAN, Arjovsky et al. 2017)
    every critic weight is clipped to [−c, c] after each critic update instead of penalising the gradient
    (``gp_weight=0``). Returns the last critic update's values: d_loss (the critic's loss, penalty included),
    g_loss, gradient_penalty (unweighted) and wasserstein, the estimate E[f(x)] − E[f(G(z))] of the
    Wasserstein-1 distance. ``penalty_scale``: see ``losses.gradient_penalty`` (mixed float16). ``augment``
    (chapter 07) transforms the real and fake images before the critic; the penalty is taken between them.
    """
    if int(n_critic) != n_critic or n_critic < 1:
        raise ValueError(f"n_critic must be a whole number ≥ 1, got {n_critic!r}")
    n_critic = int(n_critic)

    def train_step(real_batches):
        for i in range(n_critic):  # unrolled when traced: n_critic is a Python int
            real = augment(real_batches[:, i], 2 * i)
            fake = augment(generator(noise.normal("z", latent_dim, index=i), training=True), 2 * i + 1)
            with tf.GradientTape() as tape:
                real_scores = critic(real, training=True)
                fake_scores = critic(fake, training=True)
                epsilon = tf.reshape(noise.uniform("epsilon", index=i), [-1] + [1] * (real.shape.rank - 1))
                penalty = (gan_losses.gradient_penalty(critic, real, fake, epsilon=epsilon, scale=penalty_scale) if gp_weight
                           else tf.constant(0.0))
                c_loss = gan_losses.critic_loss(real_scores, fake_scores) + gp_weight * penalty
            variables = critic.trainable_variables
            c_optimizer.apply(gradients(tape, c_loss, variables, c_optimizer), variables)
            if clip_value is not None:
                clip_on_every_replica(critic, clip_value)
        with tf.GradientTape() as tape:
            fake_for_g = augment(generator(noise.normal("z_generator", latent_dim), training=True), 2 * n_critic)
            fake_scores_for_g = critic(fake_for_g, training=True)
            g_loss = gan_losses.wasserstein_generator_loss(fake_scores_for_g)
        variables = generator.trainable_variables
        g_optimizer.apply(gradients(tape, g_loss, variables, g_optimizer), variables)
        return {
            "d_loss": c_loss,
            "g_loss": g_loss,
            "gradient_penalty": penalty,
            "wasserstein": tf.reduce_mean(real_scores) - tf.reduce_mean(fake_scores),
        }

    return train_step


STEP_VALUES = {  # what each kind of step returns, in order (the loop keeps a history of each)
    "adversarial": ("d_loss", "g_loss", "d_real", "d_fake"),
    "critic": ("d_loss", "g_loss", "gradient_penalty", "wasserstein"),
}
