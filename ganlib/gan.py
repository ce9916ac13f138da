"""The GAN bundle: two networks, their optimizers and the run's counters, checkpointed as one, and sampling from it.

``build_gan(name, seed, **settings)`` builds any model of the registry (``ganlib.registry``) with its defaults,
any of which a setting replaces.
"""

import keras
import numpy as np
import tensorflow as tf

from ganlib import devices, losses, registry, steps

GRID_SIZE = 64  # fixed latents drawn once per run: an 8×8 grid per epoch
GRID_COLUMNS = 8
SAMPLE_BATCH = 500  # images generated per call when sampling many, so memory stays bounded
MAX_SEED = 2**31 - 1


def check_seed(seed):
    """``seed`` as an int, or a ValueError: seeds are whole numbers from 0 to 2³¹ − 1."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be a whole number from 0 to {MAX_SEED}, got {seed!r}")
    return int(seed)


def make_optimizer(config):
    """The optimizer a model's settings ask for; under mixed float16 wrapped in a ``LossScaleOptimizer``."""
    if config["optimizer"] == "rmsprop":
        optimizer = keras.optimizers.RMSprop(config["learning_rate"])
    else:
        optimizer = keras.optimizers.Adam(config["learning_rate"], beta_1=config["beta_1"], beta_2=config["beta_2"])
    if config["precision"] == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def _seed_generators(model):
    """The state variables of the Keras ``SeedGenerator``s inside ``model`` (Dropout's, for instance): a
    ``tf.train.Checkpoint`` does not find them on its own, and without them a resumed run would draw other
    dropout masks than an uninterrupted one."""
    found, stack, seen = [], [model], set()
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        for value in vars(layer).values():
            if isinstance(value, keras.random.SeedGenerator):
                found.append(value.state)
        stack.extend(getattr(layer, "layers", []))
    return found


class GAN:
    """Generator, discriminator, their optimizers, the step and epoch counters and the fixed grid latents:
    everything a checkpoint must hold to resume a run exactly where it stopped. Random draws of the train
    step are a pure function of (seed, step) (``steps.StepNoise``), so the step counter is their state."""

    def __init__(self, spec, config, generator, discriminator, strategy=None):
        self.spec = spec
        self.config = dict(config)
        self.generator, self.discriminator = generator, discriminator
        self.strategy = strategy or tf.distribute.get_strategy()
        self.seed = int(config["seed"])
        self.latent_dim = int(config["latent_dim"])
        self.num_classes = int(config.get("num_classes", 0))  # 0: unconditional
        # A Wasserstein critic loop takes n_critic real batches per step (the pipeline stacks them); the others one.
        self.critic_loop = config["loss"] in losses.WASSERSTEIN_LOSSES
        self.batches_per_step = int(config["n_critic"]) if self.critic_loop else 1
        with self.strategy.scope():
            self.g_optimizer, self.d_optimizer = make_optimizer(self.config), make_optimizer(self.config)
            # Built now so their slots exist before tracing and before a checkpoint restore fills them.
            self.g_optimizer.build(generator.trainable_variables)
            self.d_optimizer.build(discriminator.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
            self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
            fixed = np.random.default_rng([self.seed, 1]).standard_normal((GRID_SIZE, self.latent_dim))
            self.fixed_z = tf.Variable(fixed.astype(np.float32), trainable=False, name="fixed_z")
            # An exponential moving average of G's weights (Karras et al. 2018; Yazıcı et al. 2019): training makes
            # G's weights jitter around a good point; their average draws cleaner images, at no training cost.
            self.ema = float(config["ema"])
            self.average_generator = spec.build(config)[0] if self.ema else None
            if self.average_generator is not None:
                for average, weight in zip(self.average_generator.variables, generator.variables):
                    average.assign(weight)
        self.sampler = self.average_generator or generator  # the generator that draws samples and grids
        self.noise = steps.StepNoise(self.seed, self.step, config["batch_size"])
        if getattr(generator, "grow_steps", 0):
            generator.follow_step(self.step)  # the level of step 0 (or of a restored step: see after_step)
        self.replica_step = self._make_replica_step()
        self.values = steps.STEP_VALUES["critic" if self.critic_loop else "adversarial"]
        self._one_step, self._image_shape = None, None

    def _make_replica_step(self):
        c = self.config
        players = (self.generator, self.discriminator, self.g_optimizer, self.d_optimizer, self.noise,
                   self.latent_dim)
        view = getattr(self.generator, "view", None) if c.get("grow_steps") else None  # a growing generator
        augment = steps.make_augment(c["augment"], self.noise, view)
        # under mixed float16 the penalties' backward passes run on values scaled up, so that they do not underflow
        penalty_scale = 2.0**10 if c["precision"] == "mixed_float16" else 1.0
        if self.critic_loop:
            clipping = c["loss"] == "wgan_clip"
            return steps.make_critic_step(*players, n_critic=c["n_critic"],
                                          gp_weight=0.0 if clipping else c["gp_weight"],
                                          clip_value=c["clip_value"] if clipping else None,
                                          penalty_scale=penalty_scale,
                                          augment=augment)
        return steps.make_train_step(*players, loss=losses.ADVERSARIAL_LOSSES[c["loss"]],
                                     conditional=self.num_classes > 0, augment=augment,
                                     r1_weight=c.get("r1_weight", 0.0), penalty_scale=penalty_scale)

    def after_step(self):
        """What follows every train step (the loop calls it in the cross-replica context): the moving average of G,
        and a growing generator's resolution (chapter 07)."""
        for generator in filter(None, (self.generator, self.average_generator)):
            if getattr(generator, "grow_steps", 0):
                generator.follow_step(self.step)
        self.update_average()

    def update_average(self):
        """θ̄ ← β_t θ̄ + (1 − β_t) θ for every float variable of G (weights, BatchNorm statistics, w̄), with
        β_t = min(β, (1 + t) / (10 + t)) at step t so that the early average is not stuck at G's random start.
        Called after each train step, in the cross-replica context (the loop does it); graph-safe."""
        if self.average_generator is None:
            return
        t = tf.cast(self.step, tf.float32)
        beta = tf.minimum(self.ema, (1.0 + t) / (10.0 + t))
        for average, weight in zip(self.average_generator.variables, self.generator.variables):
            if average.dtype in ("float32", tf.float32) and "level" not in average.name:
                average.assign(beta * average + (1.0 - beta) * weight)
            else:
                average.assign(weight)

    def checkpoint(self):
        """A ``tf.train.Checkpoint`` of everything that changes in training."""
        extra = {} if self.average_generator is None else {"average_generator": self.average_generator}
        return tf.train.Checkpoint(generator=self.generator, discriminator=self.discriminator,
                                   g_optimizer=self.g_optimizer, d_optimizer=self.d_optimizer,
                                   step=self.step, epoch=self.epoch, fixed_z=self.fixed_z,
                                   seed_generators=_seed_generators(self.generator)
                                   + _seed_generators(self.discriminator), **extra)

    def checkpoint_variables(self):
        """The networks' variables (weights and BatchNorm statistics): what must be finite to be worth saving."""
        average = [] if self.average_generator is None else self.average_generator.variables
        return self.generator.variables + self.discriminator.variables + average

    def train_step(self, batch):
        """One train step on one batch (a tensor, or (images, labels) for a conditional GAN), on every replica
        of the strategy; advances the step counter. The training loop (``ganlib.loop``) runs many steps per
        call instead; this is for experiments and tests."""
        if self._one_step is None:
            def one_step(batch):
                values = self.strategy.run(self.replica_step, args=(batch,))
                self.step.assign_add(1)
                self.after_step()
                return {k: self.strategy.reduce("MEAN", v, axis=None) for k, v in values.items()}

            self._one_step = tf.function(one_step)
        if self.strategy.num_replicas_in_sync > 1:
            batch = next(iter(self.strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors(batch))))
        return self._one_step(batch)

    def generate(self, z, labels=None, psi=None):
        """Images in [-1, 1] (float32) for latents z (and, for a conditional GAN, one class label per latent),
        generated ``SAMPLE_BATCH`` at a time by ``sampler`` (the moving average of G's weights when the model
        keeps one, else G); inference mode: BatchNorm uses its moving averages. ``psi``: truncation ψ of a
        style-based generator."""
        z = np.asarray(z, np.float32)
        if psi is not None and not self.spec.truncation:
            raise ValueError(f"truncation (psi) needs a style-based generator; this is a {self.spec.name} run")
        if self.num_classes:
            if labels is None:
                raise ValueError("a conditional GAN needs a class label for each latent")
            labels = self.check_labels(np.broadcast_to(labels, (len(z),)))
        elif labels is not None:
            raise ValueError("this GAN is not conditional: it takes no labels")
        parts = []
        for start in range(0, len(z), SAMPLE_BATCH):
            batch = tf.convert_to_tensor(z[start:start + SAMPLE_BATCH])
            if psi is not None:
                images = self.sampler.generate(batch, psi=float(psi))
            elif self.num_classes:
                images = self.sampler([batch, tf.convert_to_tensor(labels[start:start + SAMPLE_BATCH])],
                                      training=False)
            else:
                images = self.sampler(batch, training=False)
            parts.append(np.asarray(images, np.float32))
        return np.concatenate(parts) if parts else np.zeros((0, *self.image_shape), np.float32)

    @property
    def image_shape(self):
        """(H, W, C) of the generated images."""
        if self._image_shape is None:
            one = self.generate(np.zeros((1, self.latent_dim), np.float32), [0] if self.num_classes else None)
            self._image_shape = one.shape[1:]
        return self._image_shape

    def check_labels(self, labels):
        """``labels`` as an int array, or a ValueError saying which values are not classes of this GAN."""
        values = np.asarray(labels)
        if values.size and (not np.all(np.mod(values, 1) == 0) or values.min() < 0 or values.max() >= self.num_classes):
            raise ValueError(f"labels must be whole numbers between 0 and {self.num_classes - 1}, "
                             f"got {sorted(set(values.ravel().tolist()))[:5]}")
        return values.astype(np.int32)

    def sample_labels(self, n):
        """The labels ``sample`` uses by default: every class in turn, 0, 1, …, 9, 0, 1, …"""
        return np.arange(n) % self.num_classes

    def latents(self, n, seed=None):
        """n latents z ~ N(0, I) from ``seed``; the first k of n are the k latents of a smaller request."""
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)

    def sample(self, n, seed=None, labels=None, psi=None):
        """n images from fresh latents; the same ``seed`` gives the same images. A conditional GAN takes
        ``labels`` (one int for all, or one per image; default every class in turn); a style-based generator
        takes a truncation ``psi``."""
        z = self.latents(n, seed)
        if self.num_classes:
            labels = self.sample_labels(n) if labels is None else labels
        return self.generate(z, labels, psi=psi)

    def class_grid_inputs(self, z):
        """Latents and labels for a class grid from n latents z: one row per class, the same n latents in
        every row (so a column shows one z across the classes). Returns (z, labels), num_classes·n each."""
        z = np.asarray(z)
        return np.tile(z, (self.num_classes, 1)), np.repeat(np.arange(self.num_classes), len(z))

    def grid_images(self):
        """The per-epoch picture from the fixed latents: 8×8 samples, or for a conditional GAN a class grid
        of 8 of them (``class_grid_inputs``)."""
        if not self.num_classes:
            return self.generate(self.fixed_z.numpy())
        return self.generate(*self.class_grid_inputs(self.fixed_z.numpy()[:GRID_COLUMNS]))


def build_gan(model="dcgan", seed=0, precision="float32", strategy=None, **settings):
    """Build a model of the registry by name ("gan": chapter 01 MLPs, "dcgan": chapter 02, "lsgan", "wgan"
    and "wgan_gp": chapter 03, "style": chapter 04, "cgan": chapter 06, "tf_tutorial": the TensorFlow DCGAN
    tutorial) with its default settings — for pictures other than 28×28 grey digits, with the spec's
    ``pictures`` settings over them — any of which ``settings`` replaces.

    ``seed`` fixes the initial weights, the fixed grid latents, every random draw of training and the data
    order: one seed per run. ``precision``: "float32", "mixed_float16" or "mixed_bfloat16"; ``strategy``: a
    ``tf.distribute`` strategy to build the variables under (default: the current one).
    """
    spec = registry.get(model)
    settings = registry.check_settings(spec, settings)
    config = {"model": spec.name, "seed": check_seed(seed), "precision": devices.check_precision(precision),
              **spec.defaults_for(settings), **settings}
    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(config["seed"])
    with strategy.scope(), devices.precision_policy(precision):
        generator, discriminator = spec.build(config)
        return GAN(spec, config, generator, discriminator, strategy)
