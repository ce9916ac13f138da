"""Training: the ``tf.function`` train step, a GAN bundle that can be checkpointed, and the training loop.

The loop gives a learner what they expect from long work: a progress bar with live losses, a sample grid
from fixed latents after every epoch, the loss history saved and plotted, a GIF of the grids, a checkpoint
every epoch that is restored automatically when the same run directory is used again, and a wall-clock
budget (and Ctrl-C / kernel interrupt) that stops cleanly after checkpointing.
"""

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ganlib import models, viz
from ganlib import losses as gan_losses
from ganlib.losses import GENERATOR_LOSSES, discriminator_loss
from ganlib.quick import is_quick

RUNS_DIR_ENV = "GANLIB_RUNS_DIR"
GRID_SIZE = 64  # fixed latents drawn once per run: an 8×8 grid per epoch
GRID_COLUMNS = 8
LIVE_VALUES = ("d_loss", "g_loss", "wasserstein")  # shown on the progress bar

# Each model's defaults: the ones the CLI and the notebooks use unless told otherwise.
MODEL_DEFAULTS = {
    "gan": dict(latent_dim=100, batch_size=64, learning_rate=2e-4, beta_1=0.5,
                generator_loss="non_saturating"),
    "dcgan": dict(latent_dim=64, width=32, batch_size=64, learning_rate=2e-4, beta_1=0.5,
                  generator_loss="non_saturating"),
    # chapter 03: the DCGAN networks with least-squares losses, and with a Wasserstein critic. The WGAN-GP
    # paper uses n_critic 5 and Adam 1e-4 (β1 0); 2 critic updates at 5e-4 (β1 0.5) learn the most in a
    # few CPU minutes (bench/README.md, wgan_sweep.py).
    "lsgan": dict(latent_dim=64, width=32, batch_size=64, learning_rate=2e-4, beta_1=0.5),
    "wgan_gp": dict(latent_dim=64, width=32, batch_size=64, learning_rate=5e-4, beta_1=0.5, beta_2=0.9,
                    n_critic=2, gp_weight=10.0),
    # chapter 06: the DCGAN pair conditioned on the class label (embedding into G, projection in D)
    "cgan": dict(latent_dim=64, width=32, batch_size=64, learning_rate=2e-4, beta_1=0.5, num_classes=10,
                 generator_loss="non_saturating"),
    # chapter 04: the style-based generator against the chapter 02 discriminator (with a minibatch-std
    # channel), non-saturating loss (loss="wgan_gp": against the chapter 03 critic). Style mixing is off
    # by default: StyleGAN's 0.9 cost a third of the classifier score in 3 CPU minutes (bench/README.md).
    "style": dict(latent_dim=64, w_dim=64, mapping_layers=3, width=32, mixing_prob=0.0, batch_size=64,
                  learning_rate=2e-4, beta_1=0.5, beta_2=0.999, loss="non_saturating", n_critic=2, gp_weight=10.0),
}
# The TensorFlow DCGAN tutorial, as written there (Adam 1e-4 with Keras' default β1 0.9, batch 256, 100-d
# noise): the peer baseline that bench/time_to_quality.py and chapter 05 measure every model against.
MODEL_DEFAULTS["tf_tutorial"] = dict(latent_dim=100, batch_size=256, learning_rate=1e-4, beta_1=0.9,
                                     generator_loss="non_saturating")
STYLE_LOSSES = ("non_saturating", "wgan_gp")


class RunDirError(ValueError):
    """The run directory holds something this run must not touch (another model's run, a file...)."""


def make_train_step(generator, discriminator, g_optimizer, d_optimizer, rng, latent_dim,
                    generator_loss=GENERATOR_LOSSES["non_saturating"], use_tf_function=True,
                    discriminator_loss=discriminator_loss, score=tf.sigmoid, conditional=False):
    """Build one GAN training step: both players updated from one forward pass (as in the TF DCGAN tutorial).

    Each call draws z ~ N(0, I) from ``rng`` (a ``tf.random.Generator``, so the draws are not frozen at
    trace time and are checkpointed with the run), records the forward pass on two tapes, and lets
    each optimizer descend its own loss: D on −E[log D(x)] − E[log(1 − D(G(z)))], G on ``generator_loss``.
    Returns a dict of scalar tensors: d_loss, g_loss, and D's mean ``score`` (its probability σ(logit)
    for the minimax losses) on real and fake images. Chapter 03 passes least-squares losses instead.

    ``conditional=True`` (chapter 06): the step takes (images, labels), G draws G(z, y) for the batch's own
    labels y, and D judges D(x, y) — the conditional minimax game of Mirza & Osindero (2014).
    """

    def train_step(batch):
        real_images, labels = batch if conditional else (batch, None)
        z = rng.normal((tf.shape(real_images)[0], latent_dim))
        with_labels = (lambda x: [x, labels]) if conditional else (lambda x: x)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_images = generator(with_labels(z), training=True)
            real_logits = discriminator(with_labels(real_images), training=True)
            fake_logits = discriminator(with_labels(fake_images), training=True)
            d_loss = discriminator_loss(real_logits, fake_logits)
            g_loss = generator_loss(fake_logits)
        d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
        g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
        d_optimizer.apply_gradients(zip(d_grads, discriminator.trainable_variables))
        g_optimizer.apply_gradients(zip(g_grads, generator.trainable_variables))
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": tf.reduce_mean(score(real_logits)),
            "d_fake": tf.reduce_mean(score(fake_logits)),
        }

    return tf.function(train_step) if use_tf_function else train_step


def make_wgan_gp_step(generator, critic, g_optimizer, c_optimizer, rng, latent_dim, n_critic=5, gp_weight=10.0,
                      use_tf_function=True):
    """Build one WGAN-GP step (Gulrajani et al. 2017, Algorithm 1): ``n_critic`` critic updates, each on
    its own real batch, then one generator update — all inside one ``tf.function``.

    The step takes ``real_batches`` shaped (n_critic, batch, 28, 28, 1) (``data.make_pipeline(...,
    batches_per_step=n_critic)``). Critic update i minimises E[f(G(z))] − E[f(x_i)] + λ·GP on real batch i
    with fresh z; the generator then minimises −E[f(G(z))]. Returns the last critic update's values:
    d_loss (the critic's loss, penalty included), g_loss, gradient_penalty (unweighted) and wasserstein,
    the estimate E[f(x)] − E[f(G(z))] of the Wasserstein-1 distance.
    """
    if int(n_critic) != n_critic or n_critic < 1:
        raise ValueError(f"n_critic must be a whole number ≥ 1, got {n_critic!r}")
    n_critic = int(n_critic)

    def train_step(real_batches):
        batch_size = tf.shape(real_batches)[1]
        for i in range(n_critic):  # unrolled when traced: n_critic is a Python int
            real = real_batches[i]
            fake = generator(rng.normal((batch_size, latent_dim)), training=True)
            with tf.GradientTape() as tape:
                real_scores = critic(real, training=True)
                fake_scores = critic(fake, training=True)
                penalty = gan_losses.gradient_penalty(critic, real, fake, rng=rng)
                c_loss = gan_losses.critic_loss(real_scores, fake_scores) + gp_weight * penalty
            grads = tape.gradient(c_loss, critic.trainable_variables)
            c_optimizer.apply_gradients(zip(grads, critic.trainable_variables))
        with tf.GradientTape() as tape:
            fake_scores_for_g = critic(generator(rng.normal((batch_size, latent_dim)), training=True), training=True)
            g_loss = gan_losses.wasserstein_generator_loss(fake_scores_for_g)
        grads = tape.gradient(g_loss, generator.trainable_variables)
        g_optimizer.apply_gradients(zip(grads, generator.trainable_variables))
        return {
            "d_loss": c_loss,
            "g_loss": g_loss,
            "gradient_penalty": penalty,
            "wasserstein": tf.reduce_mean(real_scores) - tf.reduce_mean(fake_scores),
        }

    return tf.function(train_step) if use_tf_function else train_step


class GAN:
    """Generator, discriminator, their optimizers, the random generator and counters: everything a
    checkpoint must hold to resume a run exactly where it stopped."""

    def __init__(self, generator, discriminator, config, seed=0):
        self.generator = generator
        self.discriminator = discriminator
        self.config = dict(config)
        self.latent_dim = int(config["latent_dim"])
        self.num_classes = int(config.get("num_classes", 0))  # 0: unconditional
        lr, beta_1, beta_2 = config["learning_rate"], config["beta_1"], config.get("beta_2", 0.999)
        self.g_optimizer = keras.optimizers.Adam(lr, beta_1=beta_1, beta_2=beta_2)
        self.d_optimizer = keras.optimizers.Adam(lr, beta_1=beta_1, beta_2=beta_2)
        # Built now so their slots exist before tracing and before a checkpoint restore fills them.
        self.g_optimizer.build(generator.trainable_variables)
        self.d_optimizer.build(discriminator.trainable_variables)
        self.rng = tf.random.Generator.from_seed(seed)
        self.fixed_z = tf.Variable(tf.random.Generator.from_seed(seed + 1).normal((GRID_SIZE, self.latent_dim)),
                                   trainable=False, name="fixed_z")
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        # A WGAN-GP step takes a stack of n_critic real batches (the pipeline stacks them); the others one batch.
        self.stacks_batches = config.get("model") == "wgan_gp" or config.get("loss") == "wgan_gp"
        self.batches_per_step = int(config["n_critic"]) if self.stacks_batches else 1
        players = (generator, discriminator, self.g_optimizer, self.d_optimizer, self.rng, self.latent_dim)
        if self.stacks_batches:
            self.train_step = make_wgan_gp_step(*players, n_critic=self.batches_per_step,
                                                gp_weight=config["gp_weight"])
        elif config.get("model") == "lsgan":
            self.train_step = make_train_step(*players, generator_loss=gan_losses.lsgan_generator_loss,
                                              discriminator_loss=gan_losses.lsgan_discriminator_loss,
                                              score=tf.identity)
        else:
            self.train_step = make_train_step(*players, GENERATOR_LOSSES[config.get("generator_loss", "non_saturating")],
                                              conditional=self.num_classes > 0)

    def checkpoint(self):
        return tf.train.Checkpoint(generator=self.generator, discriminator=self.discriminator,
                                   g_optimizer=self.g_optimizer, d_optimizer=self.d_optimizer,
                                   rng=self.rng, fixed_z=self.fixed_z, step=self.step, epoch=self.epoch)

    def generate(self, z, labels=None, psi=None):
        """Images in [-1, 1] for latents z (and, for a conditional GAN, one class label per latent);
        inference mode: BatchNorm uses its moving averages. ``psi``: truncation ψ of a style generator."""
        z = tf.convert_to_tensor(z, tf.float32)
        if psi is not None:
            if self.config.get("model") != "style":
                raise ValueError(f"truncation (psi) needs a style generator; this is a {self.config.get('model')} run")
            return self.generator.generate(z, psi=float(psi)).numpy()
        if self.num_classes:
            if labels is None:
                raise ValueError("a conditional GAN needs a class label for each latent")
            return self.generator([z, tf.convert_to_tensor(self.check_labels(labels), tf.int32)], training=False).numpy()
        return self.generator(z, training=False).numpy()

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

    def sample(self, n, seed=None, labels=None, psi=None):
        """n images from fresh latents; the same ``seed`` gives the same images. A conditional GAN takes
        ``labels`` (one int for all, or one per image; default every class in turn); a style generator
        takes a truncation ``psi``."""
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim))
        if not self.num_classes:
            if labels is not None:
                raise ValueError("this GAN is not conditional: it takes no labels")
            return self.generate(z, psi=psi)
        labels = self.sample_labels(n) if labels is None else np.broadcast_to(labels, (n,))
        return self.generate(z, labels)

    def class_grid_inputs(self, z):
        """Latents and labels for a class grid from n latents z: one row per class, the same n latents in
        every row (so a column shows one z across the classes). Returns (z, labels), num_classes·n each."""
        z = np.asarray(z)
        return np.tile(z, (self.num_classes, 1)), np.repeat(np.arange(self.num_classes), len(z))

    def grid_images(self):
        """The per-epoch picture from the fixed latents: 8×8 samples, or for a conditional GAN a class grid
        of 8 of them (``class_grid_inputs``)."""
        if not self.num_classes:
            return self.generate(self.fixed_z)
        return self.generate(*self.class_grid_inputs(self.fixed_z.numpy()[:GRID_COLUMNS]))


def build_gan(model="dcgan", seed=0, **overrides):
    """Build a GAN by name ("gan": chapter 01 MLPs, "dcgan": chapter 02, "lsgan" and "wgan_gp":
    chapter 03, "style": chapter 04, "cgan": chapter 06, "tf_tutorial": the TensorFlow DCGAN tutorial) with its default settings, any of which ``overrides`` replaces."""
    if model not in MODEL_DEFAULTS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODEL_DEFAULTS)}")
    unknown = set(overrides) - set(MODEL_DEFAULTS[model])
    if unknown:
        raise ValueError(f"{model} has no setting {', '.join(sorted(unknown))}; "
                         f"its settings are {', '.join(MODEL_DEFAULTS[model])}")
    config = {"model": model, **MODEL_DEFAULTS[model], **overrides}
    if config.get("generator_loss", "non_saturating") not in GENERATOR_LOSSES:
        raise ValueError(f"unknown generator_loss {config['generator_loss']!r}; "
                         f"choose one of {', '.join(GENERATOR_LOSSES)}")
    if config.get("loss", "non_saturating") not in STYLE_LOSSES:
        raise ValueError(f"unknown loss {config['loss']!r}; choose one of {', '.join(STYLE_LOSSES)}")
    keras.utils.set_random_seed(seed)
    if model == "gan":
        generator = models.mlp_generator(config["latent_dim"])
        discriminator = models.mlp_discriminator()
    elif model == "wgan_gp":
        generator = models.dcgan_generator(config["latent_dim"], config["width"])
        discriminator = models.wgan_critic(config["width"])
    elif model == "style":
        from ganlib import style

        generator = style.StyleGenerator(config["latent_dim"], config["w_dim"], config["mapping_layers"],
                                         config["width"], config["mixing_prob"], seed=seed)
        generator.build((None, config["latent_dim"]))
        discriminator = (models.wgan_critic(config["width"], minibatch_std=True) if config["loss"] == "wgan_gp"
                         else models.dcgan_discriminator(config["width"], minibatch_std=True))
    elif model == "tf_tutorial":
        generator = models.tutorial_generator(config["latent_dim"])
        discriminator = models.tutorial_discriminator()
    elif model == "cgan":
        generator = models.cgan_generator(config["latent_dim"], config["num_classes"], config["width"])
        discriminator = models.cgan_discriminator(config["num_classes"], config["width"])
    else:
        generator = models.dcgan_generator(config["latent_dim"], config["width"])
        discriminator = models.dcgan_discriminator(config["width"])
    return GAN(generator, discriminator, config, seed=seed)


def make_pipeline(gan, images, seed, labels=None):
    """The ``tf.data`` pipeline ``gan.train_step`` expects: batches of ``gan.config["batch_size"]``,
    stacked ``gan.batches_per_step`` at a time for a WGAN critic loop, with the labels for a conditional GAN."""
    from ganlib import data

    if gan.num_classes and labels is None:
        raise ValueError(f"{gan.config['model']} is conditional: pass the images' labels to make_pipeline")
    labels = gan.check_labels(labels) if gan.num_classes else None
    return data.make_pipeline(images, gan.config["batch_size"], seed, labels=labels,
                              batches_per_step=gan.batches_per_step if gan.stacks_batches else None)


def runs_dir(name):
    """Where a notebook keeps the run called ``name``: ``$GANLIB_RUNS_DIR`` (default ``runs``), with
    quick-mode runs kept apart so they never resume a full-size run."""
    return Path(os.environ.get(RUNS_DIR_ENV, "runs")) / (f"{name}-quick" if is_quick() else name)


def load_run_config(run_dir):
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise RunDirError(f"{run_dir} is not a training run (no config.json); train one with "
                          "`python -m ganlib train dcgan --out DIR`")
    return json.loads(path.read_text())


def load_gan(run_dir):
    """Rebuild the GAN saved in ``run_dir`` and restore its latest checkpoint."""
    config = load_run_config(run_dir)
    settings = {k: v for k, v in config.items() if k in MODEL_DEFAULTS.get(config.get("model"), {})}
    gan = build_gan(config["model"], seed=config.get("seed", 0), **settings)
    latest = tf.train.latest_checkpoint(str(Path(run_dir) / "checkpoints"))
    if latest is None:
        raise RunDirError(f"{run_dir} has no checkpoint yet; train it first")
    gan.checkpoint().restore(latest).expect_partial()
    return gan


@dataclass
class History:
    """Per-step losses and per-epoch timings, saved as ``history.json`` beside the checkpoints."""

    steps: dict = field(default_factory=lambda: {"step": []})  # plus one list per value the train step returns
    epochs: dict = field(default_factory=lambda: {"epoch": [], "step": [], "seconds": [], "images_per_second": []})

    @classmethod
    def load(cls, path, up_to_step):
        if not Path(path).is_file():
            return cls()
        saved = json.loads(Path(path).read_text())
        history = cls(saved["steps"], saved["epochs"])
        # keep what the restored checkpoint has seen, so a crash between saves never duplicates steps
        for table in (history.steps, history.epochs):
            keep = sum(1 for s in table["step"] if s <= up_to_step)
            for key in table:
                del table[key][keep:]
        return history

    def save(self, path):
        tmp = Path(path).with_suffix(".tmp")
        tmp.write_text(json.dumps({"steps": self.steps, "epochs": self.epochs}))
        tmp.replace(path)  # atomic: an interrupt never leaves half a file


@dataclass
class FitResult:
    history: History
    epochs_done: int
    stopped_by: str  # "epochs", "budget" or "interrupt"
    run_dir: Path
    gif_path: Path = None


def _prepare_run_dir(run_dir, config):
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise RunDirError(f"{run_dir} is a file, not a run directory; choose another --out")
    config_path = run_dir / "config.json"
    if config_path.is_file():
        saved = json.loads(config_path.read_text())
        changed = {k: (saved.get(k), v) for k, v in config.items() if saved.get(k) != v}
        if changed:
            what = ", ".join(f"{k}: {old!r} there, {new!r} now" for k, (old, new) in changed.items())
            raise RunDirError(f"{run_dir} holds a different run ({what}); choose another run directory")
    elif run_dir.is_dir() and any(run_dir.iterdir()):
        raise RunDirError(f"{run_dir} is not empty and is not a ganlib run; choose another run directory")
    (run_dir / "grids").mkdir(parents=True, exist_ok=True)
    if not config_path.is_file():
        config_path.write_text(json.dumps(config, indent=2) + "\n")
    return run_dir


def fit(gan, dataset, epochs, run_dir, max_minutes=None, extra_config=None, on_epoch_end=None,
        progress=True, verbose=True):
    """Train ``gan`` on ``dataset`` (batches of images in [-1, 1]) up to ``epochs`` epochs in all.

    ``run_dir`` receives config.json, checkpoints/ (one per epoch, restored automatically when the same
    directory is used again), grids/epoch_NNNN.png from the fixed latents, history.json, losses.png and
    training.gif. ``max_minutes`` is a wall-clock budget for this call: when it runs out, the run
    checkpoints and stops; so does an interrupt (Ctrl-C, or the notebook's stop button).
    ``on_epoch_end(epoch, grid_path)`` is called after each epoch's grid is written.
    """
    from tqdm.auto import tqdm

    config = {**gan.config, **(extra_config or {})}
    expected_rank = 5 if gan.stacks_batches else 4
    element = dataset.element_spec
    images_spec = element[0] if isinstance(element, tuple) else element
    if images_spec.shape.rank != expected_rank or isinstance(element, tuple) != bool(gan.num_classes):
        raise ValueError(f"{config['model']} trains on elements of rank {expected_rank}"
                         f"{' with labels' if gan.num_classes else ''}, the pipeline gives {element}; "
                         "build it with train.make_pipeline(gan, images, seed)")
    run_dir = _prepare_run_dir(run_dir, config)
    checkpoint = gan.checkpoint()
    manager = tf.train.CheckpointManager(checkpoint, str(run_dir / "checkpoints"), max_to_keep=3)
    if manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        if verbose:
            print(f"Resumed {run_dir} from epoch {int(gan.epoch)}, step {int(gan.step)}.")
    history = History.load(run_dir / "history.json", up_to_step=int(gan.step))

    steps_per_epoch = int(dataset.cardinality())
    start_epoch = int(gan.epoch)
    deadline = None if max_minutes is None else time.monotonic() + 60 * max_minutes
    stopped_by = "epochs"

    def save():
        manager.save(checkpoint_number=int(gan.step))
        history.save(run_dir / "history.json")

    if start_epoch >= epochs and verbose:
        print(f"{run_dir} has already trained {start_epoch} epochs (asked for {epochs}); nothing to do.")
    bar = tqdm(total=max(0, epochs - start_epoch) * steps_per_epoch, desc=config["model"], unit="step",
               disable=not progress or start_epoch >= epochs, dynamic_ncols=True)
    try:
        for epoch in range(start_epoch + 1, epochs + 1):
            epoch_start, steps_this_epoch, images_this_epoch = time.perf_counter(), 0, 0
            for batch in dataset:
                real_images = batch[0] if isinstance(batch, tuple) else batch
                images_this_epoch += int(np.prod(real_images.shape[:-3]))
                losses = {k: float(v) for k, v in gan.train_step(batch).items()}
                gan.step.assign_add(1)
                steps_this_epoch += 1
                history.steps["step"].append(int(gan.step))
                for key, value in losses.items():
                    history.steps.setdefault(key, []).append(value)
                bar.update(1)
                if steps_this_epoch % 10 == 0:
                    bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items() if k in LIVE_VALUES})
                if deadline is not None and time.monotonic() > deadline:
                    stopped_by = "budget"
                    break
            if stopped_by == "budget":
                break
            seconds = time.perf_counter() - epoch_start
            gan.epoch.assign(epoch)
            history.epochs["epoch"].append(epoch)
            history.epochs["step"].append(int(gan.step))
            history.epochs["seconds"].append(seconds)
            history.epochs["images_per_second"].append(images_this_epoch / seconds)
            grid_path = viz.save_grid(gan.grid_images(), run_dir / "grids" / f"epoch_{epoch:04d}.png",
                                      ncols=GRID_COLUMNS)
            save()
            if verbose:
                recent = slice(-steps_this_epoch, None)
                bar.write(f"epoch {epoch}/{epochs}: d_loss {np.mean(history.steps['d_loss'][recent]):.3f}, "
                          f"g_loss {np.mean(history.steps['g_loss'][recent]):.3f}, "
                          f"{history.epochs['images_per_second'][-1]:,.0f} images/s")
            if on_epoch_end is not None:
                on_epoch_end(epoch, grid_path)
    except KeyboardInterrupt:
        stopped_by = "interrupt"
    finally:
        bar.close()

    if stopped_by != "epochs":
        save()
        viz.save_grid(gan.grid_images(), run_dir / "grids" / f"epoch_{int(gan.epoch) + 1:04d}_partial.png",
                      ncols=GRID_COLUMNS)
        if verbose:
            why = f"time budget of {max_minutes:g} min reached" if stopped_by == "budget" else "interrupted"
            print(f"{why.capitalize()} during epoch {int(gan.epoch) + 1} at step {int(gan.step)}; checkpoint saved. "
                  f"Run again with the same run directory to continue.")
    result = FitResult(history, int(gan.epoch), stopped_by, run_dir)
    if history.steps["step"]:
        viz.plot_losses(history, run_dir / "losses.png")
        grids = sorted((run_dir / "grids").glob("epoch_????.png"))
        if stopped_by != "epochs":
            grids.append(run_dir / "grids" / f"epoch_{int(gan.epoch) + 1:04d}_partial.png")
        result.gif_path = viz.write_gif([viz.read_image(p) for p in grids], run_dir / "training.gif")
    return result
