"""Running train steps: epochs in a resumable order, K steps per ``tf.function`` call on every replica, losses read every few steps, until a step count or a deadline.

``Trainer.run`` is the one "train for N steps or until a deadline" routine: ``train.fit`` adds run directories,
checkpoints and pictures around it, and the benchmarks and chapter 05 call it directly.

Why it is shaped this way:

- The data order is a pure function of (seed, epoch) and the position is the step counter, so a GAN restored
  from a checkpoint taken at any step continues with exactly the batch an uninterrupted run would take next.
- Losses stay on the device: each call returns K steps' values as tensors, and the host reads them only every
  ``read_every_seconds``, so a GPU is not stalled by a Python ``float()`` after every step.
- ``steps_per_call`` > 1 runs K steps inside one graph (a ``tf.range`` loop over the iterator), which removes
  K − 1 Python round trips per call; with a strategy every step runs on every replica (``strategy.run``).
"""

import math
import time

import numpy as np
import tensorflow as tf

from ganlib import data, quiet


class StepRunner:
    """``run(iterator, n)``: n train steps of ``gan`` in one ``tf.function`` call; returns each value's n
    numbers as a device tensor. ``jit_compile`` compiles the per-replica step with XLA."""

    def __init__(self, gan, jit_compile=False):
        self.gan = gan
        replica_step = tf.function(gan.replica_step, jit_compile=True) if jit_compile else gan.replica_step
        strategy, values = gan.strategy, gan.values

        @tf.function
        def run(iterator, n):
            arrays = tuple(tf.TensorArray(tf.float32, size=n) for _ in values)
            for i in tf.range(n):
                per_replica = strategy.run(replica_step, args=(next(iterator),))
                means = [tf.cast(strategy.reduce("MEAN", per_replica[k], axis=None), tf.float32) for k in values]
                arrays = tuple(array.write(i, mean) for array, mean in zip(arrays, means))
                gan.step.assign_add(1)
                gan.after_step()
            return {k: array.stack() for k, array in zip(values, arrays)}

        self._run, self._optimised = run, False

    def run(self, iterator, n):
        if self._optimised:
            return self._run(iterator, n)
        # The first call traces and optimises the graph, and the optimiser logs one known-harmless error for
        # some networks (``quiet.REMAPPER_LEAKY_RELU``): keep it out of the learner's terminal.
        with quiet.filtered_stderr(quiet.REMAPPER_LEAKY_RELU):
            values = self._run(iterator, n)
        self._optimised = True
        return values


class Trainer:
    """Trains ``gan`` on ``images`` (uint8, as ``data.load`` gives them; with ``labels`` for a conditional GAN).

    Epoch e visits the images in ``data.step_indices(..., seed, e)`` order; ``gan.step`` and ``gan.epoch`` say
    where it is. ``run`` trains until ``max_steps`` more steps are done, the ``deadline`` (``time.monotonic``)
    passes, or ``should_stop()`` says so, calling ``on_values(first_step, values)`` with the values of every
    step (read from the device every ``read_every_seconds``) and ``on_epoch_end(epoch)`` after each epoch.
    """

    def __init__(self, gan, images, labels=None, steps_per_call=1, jit_compile=False, read_every_seconds=1.0):
        if gan.num_classes and labels is None:
            raise ValueError(f"{gan.spec.name} is conditional: pass the images' labels")
        if labels is not None and len(labels) != len(images):
            raise ValueError(f"{len(labels)} labels for {len(images)} images; pass one label per image")
        if int(steps_per_call) != steps_per_call or steps_per_call < 1:
            raise ValueError(f"steps_per_call must be a whole number ≥ 1, got {steps_per_call!r}")
        replicas = gan.strategy.num_replicas_in_sync
        batch_size = gan.config["batch_size"]
        if batch_size % replicas:
            raise ValueError(f"batch size {batch_size} does not split evenly over {replicas} replicas; "
                             f"use a multiple of {replicas}")
        self.gan, self.n_images = gan, len(images)
        self.labels = None if labels is None else gan.check_labels(labels) if gan.num_classes else None
        self.steps_per_call, self.read_every_seconds = int(steps_per_call), read_every_seconds
        self.images_per_step = batch_size * gan.batches_per_step
        self.steps_per_epoch = len(data.step_indices(len(images), batch_size, gan.seed, 1, gan.batches_per_step))
        with gan.strategy.scope():
            self.images = data.images_tensor(images)
        self.runner = StepRunner(gan, jit_compile)

    def position(self):
        """(epoch in progress, steps of it already done), from the GAN's counters. All steps done means the
        epoch's end (its grid and checkpoint) is still to come: a run can be stopped between the two."""
        epoch, step = int(self.gan.epoch.numpy()), int(self.gan.step.numpy())
        done = step - epoch * self.steps_per_epoch
        if not 0 <= done <= self.steps_per_epoch:
            raise ValueError(f"step {step} is not in epoch {epoch + 1} of {self.steps_per_epoch} steps: the run was "
                             "trained on another number of images or another batch size")
        return epoch + 1, done

    def epoch_iterator(self, epoch, start_step=0):
        """An iterator over epoch ``epoch``'s steps from ``start_step`` on, split over the strategy's replicas."""
        gan = self.gan
        indices = data.step_indices(self.n_images, gan.config["batch_size"], gan.seed, epoch,
                                    gan.batches_per_step)[start_step:]
        stacked = gan.critic_loop
        strategy = gan.strategy
        if strategy.num_replicas_in_sync == 1:
            return iter(data.epoch_batches(self.images, indices, self.labels, stacked))

        def pipeline(context):
            # each input pipeline (one per worker) feeds its share of every step's samples to its replicas
            share = indices.shape[1] // context.num_input_pipelines
            rows = slice(context.input_pipeline_id * share, (context.input_pipeline_id + 1) * share)
            return data.epoch_batches(self.images, indices, self.labels, stacked, rows=rows,
                                      replica_batch=context.get_per_replica_batch_size(indices.shape[1]))

        return iter(strategy.distribute_datasets_from_function(pipeline))

    def run(self, max_steps=None, deadline=None, should_stop=None, on_values=None, on_epoch_end=None):
        """Train; returns why it stopped: "steps", "deadline" or "stop" (``should_stop()`` returned True)."""
        gan = self.gan
        epoch, done = self.position()
        left = math.inf if max_steps is None else int(max_steps)
        pending, state = [], {"first": int(gan.step.numpy()), "last_read": time.monotonic()}

        def read():
            if pending and on_values is not None:
                values = {k: np.concatenate([p[k].numpy() for p in pending]) for k in gan.values}
                on_values(state["first"] + 1, values)
            state["first"] += sum(len(p[gan.values[0]]) for p in pending)
            state["last_read"] = time.monotonic()
            pending.clear()

        reason = "steps"
        try:
            while left > 0:
                iterator = self.epoch_iterator(epoch, done)
                while done < self.steps_per_epoch and left > 0:
                    n = int(min(self.steps_per_call, self.steps_per_epoch - done, left))
                    pending.append(self.runner.run(iterator, tf.constant(n)))
                    done, left = done + n, left - n
                    if time.monotonic() - state["last_read"] >= self.read_every_seconds:
                        read()
                    if deadline is not None and time.monotonic() >= deadline:
                        reason = "deadline"
                        break
                    if should_stop is not None and should_stop():
                        reason = "stop"
                        break
                if done == self.steps_per_epoch:
                    read()
                    gan.epoch.assign(epoch)
                    if on_epoch_end is not None:
                        on_epoch_end(epoch)
                    epoch, done = epoch + 1, 0
                    if reason == "steps" and left > 0 and should_stop is not None and should_stop():
                        reason = "stop"
                if reason != "steps":
                    break
        finally:  # also on KeyboardInterrupt: every step that ran is reported, none lost
            read()
        return reason


def time_to_quality(trainer, marks_minutes, evaluate, progress=True):
    """Train with ``trainer`` and measure at wall-clock marks (minutes of training; the time spent measuring is
    not counted). ``evaluate(gan)`` returns a dict of metrics. Returns one row per mark: minutes, steps,
    images_seen, images_per_second (over the whole run so far) and the metrics."""
    from tqdm.auto import tqdm

    gan, rows, trained_seconds = trainer.gan, [], 0.0
    first_step = int(gan.step.numpy())
    bar = tqdm(total=round(60 * max(marks_minutes)), unit="s", desc=gan.spec.name, disable=not progress,
               bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s of training")
    for mark in sorted(marks_minutes):
        start = time.perf_counter()
        deadline = time.monotonic() + 60 * mark - trained_seconds

        def advance(first, values):
            bar.n = min(bar.total, trained_seconds + time.perf_counter() - start)
            bar.refresh()

        trainer.run(deadline=deadline, on_values=advance)
        trained_seconds += time.perf_counter() - start
        images_seen = (int(gan.step.numpy()) - first_step) * trainer.images_per_step
        rows.append({"minutes": mark, "steps": int(gan.step.numpy()), "images_seen": images_seen,
                     "images_per_second": images_seen / trained_seconds, **evaluate(gan)})
    bar.close()
    return rows
