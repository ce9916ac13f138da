"""Fitting a GAN: the training loop a learner runs, with progress, pictures, checkpoints, logs, a budget and clean stops.

``fit`` gives a learner what they expect from long work: a progress bar with live losses; a sample grid from
fixed latents after every epoch (and a GIF of them); the loss history saved and plotted; TensorBoard logs
(``tensorboard --logdir runs``); checkpoints after every epoch and every few minutes, restored automatically
when the same run directory is used again — exactly: the resumed run ends bitwise where an uninterrupted one
would (on a CPU); and a wall-clock budget, Ctrl-C (or the notebook's stop button) and a non-finite loss all
stop it cleanly, keeping the last good checkpoint.

The chapters import the names they need from here: ``train.build_gan``, ``train.fit``, ``train.load_gan``,
``train.runs_dir``.
"""

import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganlib import loop, runs, viz
from ganlib.gan import GAN, GRID_COLUMNS, build_gan  # noqa: F401  (names the chapters use)
from ganlib.runs import RunDirError, load_gan, runs_dir  # noqa: F401

DEFAULT_CHECKPOINT_MINUTES = 2.0  # a hard kill loses at most this much training
LIVE_VALUES = ("d_loss", "g_loss", "wasserstein")  # shown on the progress bar


@dataclass
class FitResult:
    history: runs.History
    epochs_done: int
    stopped_by: str  # "epochs", "steps" (max_steps), "budget", "interrupt" or "nonfinite"
    run_dir: Path
    gif_path: Path = None
    message: str = ""


class StopRequests:
    """While active, Ctrl-C (SIGINT: also a notebook's interrupt) asks the loop to stop after the step in flight
    instead of raising inside TensorFlow; a second Ctrl-C raises KeyboardInterrupt at once."""

    def __init__(self, announce):
        self.requested, self.announce, self.previous = False, announce, None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.announce("Stopping after this step, with a checkpoint (Ctrl-C again to stop at once)...")

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


def _tensorboard_writer(run_dir):
    try:
        import tensorflow as tf

        return tf.summary.create_file_writer(str(run_dir / "logs"))
    except Exception:  # TensorBoard is optional: without it, no event files
        return None


def fit(gan, images, epochs, run_dir, labels=None, max_minutes=None, max_steps=None,
        checkpoint_minutes=DEFAULT_CHECKPOINT_MINUTES, steps_per_call=1, jit_compile=False, extra_config=None,
        on_epoch_end=None, progress=True, verbose=True):
    """Train ``gan`` on ``images`` (uint8, as ``data.load`` gives them; ``labels`` too for a conditional GAN) up
    to ``epochs`` epochs in all, in ``run_dir``.

    ``run_dir`` receives config.json, checkpoints/ (after every epoch and every ``checkpoint_minutes``; the
    newest readable one is restored when the same directory is used again), grids/epoch_NNNN.png from the
    fixed latents, history.json, logs/ (TensorBoard), losses.png and training.gif. ``max_minutes`` is a
    wall-clock budget for this call: when it runs out, the run checkpoints and stops; so do ``max_steps`` steps
    of this call, and Ctrl-C. A loss
    that is not finite stops the run without checkpointing the broken weights. ``steps_per_call`` and
    ``jit_compile``: see ``loop.Trainer``. ``on_epoch_end(epoch, grid_path)`` is called after each epoch.
    """
    from tqdm.auto import tqdm

    config = {**gan.config, **(extra_config or {}), "images": int(len(images))}
    trainer = loop.Trainer(gan, images, labels, steps_per_call, jit_compile)  # checks its input before any write
    run_dir = runs.prepare(run_dir, config)
    checkpoints = runs.Checkpoints(gan.checkpoint(), run_dir / "checkpoints")
    if checkpoints.restore() and verbose:
        print(f"Resumed {run_dir} from epoch {int(gan.epoch.numpy())}, step {int(gan.step.numpy())}.")
    try:
        start_epoch, _ = trainer.position()
    except ValueError as err:
        raise RunDirError(f"{run_dir}: {err}") from None
    history = runs.History.load(run_dir / "history.json", up_to_step=int(gan.step.numpy()))
    steps_left = epochs * trainer.steps_per_epoch - int(gan.step.numpy())
    step_budget = steps_left if max_steps is None else min(steps_left, int(max_steps))
    writer = _tensorboard_writer(run_dir)
    grids = run_dir / "grids"
    clock = {"saved": time.monotonic(), "epoch_started": time.perf_counter(), "epoch_steps": 0}
    failure = {}

    bar = None  # made at the first reading of the losses, so that its rate leaves out the step's tracing
    show_bar = progress and step_budget > 0

    def say(text):
        (bar.write if bar is not None else print)(text)

    def save():
        history.save(run_dir / "history.json")  # side files first: the checkpoint, written last, commits them
        return checkpoints.save(int(gan.step.numpy()), gan.checkpoint_variables())

    def record(first_step, values):
        bad = [k for k, v in values.items() if not np.all(np.isfinite(v))]
        if bad and not failure:
            at = first_step + int(np.argmax(~np.isfinite(values[bad[0]])))
            failure["message"] = (f"{bad[0]} became {values[bad[0]][at - first_step]} at step {at}: training "
                                  f"stopped, the last good checkpoint (step {checkpoints.saved_step}) is kept; "
                                  "try a lower learning_rate")
        nonlocal bar
        history.add_steps(first_step, values)
        n = len(values[gan.values[0]])
        clock["epoch_steps"] += n
        if bar is None and show_bar:
            bar = tqdm(total=step_budget, initial=n, desc=config["model"], unit="step", dynamic_ncols=True,
                       mininterval=1.0, smoothing=0.1)
        elif bar is not None:
            bar.update(n)
        if bar is not None:
            bar.set_postfix({k: f"{float(np.mean(v)):.3f}" for k, v in values.items() if k in LIVE_VALUES},
                            refresh=False)
        if writer is not None:
            with writer.as_default():
                for k, array in values.items():
                    for i, value in enumerate(array):
                        _scalar(k, float(value), first_step + i)
        if not failure and time.monotonic() - clock["saved"] >= 60 * checkpoint_minutes:
            save()
            clock["saved"] = time.monotonic()

    def epoch_end(epoch):
        if failure:
            return
        seconds = time.perf_counter() - clock["epoch_started"]
        history.add_epoch(epoch, int(gan.step.numpy()), seconds, clock["epoch_steps"] * trainer.images_per_step)
        grid_path = viz.save_grid(gan.grid_images(), grids / f"epoch_{epoch:04d}.png", ncols=GRID_COLUMNS)
        for partial in grids.glob("*_partial.png"):  # the epoch it showed is complete now
            partial.unlink()
        if writer is not None:
            with writer.as_default():
                _image("samples", viz.read_image(grid_path), epoch)
        save()
        clock.update(saved=time.monotonic(), epoch_started=time.perf_counter(), epoch_steps=0)
        if verbose:
            recent = slice(-trainer.steps_per_epoch, None)
            say(f"epoch {epoch}/{epochs}: d_loss {np.mean(history.steps['d_loss'][recent]):.3f}, "
                f"g_loss {np.mean(history.steps['g_loss'][recent]):.3f}, "
                f"{history.epochs['images_per_second'][-1]:,.0f} images/s")
        if on_epoch_end is not None:
            on_epoch_end(epoch, grid_path)

    if steps_left <= 0 and verbose:
        print(f"{run_dir} has already trained {int(gan.epoch.numpy())} epochs (asked for {epochs}); nothing to do.")
    deadline = None if max_minutes is None else time.monotonic() + 60 * max_minutes
    with StopRequests(say) as stop:
        try:
            reason = trainer.run(max(0, step_budget), deadline, should_stop=lambda: stop.requested or bool(failure),
                                 on_values=record, on_epoch_end=epoch_end) if steps_left > 0 else "steps"
        except KeyboardInterrupt:  # a second Ctrl-C, or one raised by a callback: stop here, as cleanly
            reason = "stop"
        finally:
            if bar is not None:
                bar.close()
    finished = int(gan.step.numpy()) >= epochs * trainer.steps_per_epoch
    stopped_by = ("nonfinite" if failure else "epochs" if finished else
                  {"steps": "steps", "deadline": "budget", "stop": "interrupt"}[reason])
    message = ""
    if stopped_by == "nonfinite":
        history.truncate(checkpoints.saved_step or 0)
        message = failure["message"]
    elif stopped_by != "epochs" and history.steps["step"][-1:] != [int(gan.step.numpy())]:
        message = (f"interrupted at step {int(gan.step.numpy())} before its losses were read: the last checkpoint "
                   f"(step {checkpoints.saved_step}) is kept. Run again with the same run directory to continue.")
    elif stopped_by != "epochs":
        if not save():
            stopped_by, message = "nonfinite", ("the weights are no longer finite: training stopped, the last good "
                                                f"checkpoint (step {checkpoints.saved_step}) is kept")
        else:
            epoch_now = int(gan.epoch.numpy()) + 1
            viz.save_grid(gan.grid_images(), grids / f"epoch_{epoch_now:04d}_partial.png", ncols=GRID_COLUMNS)
            why = {"budget": f"time budget of {max_minutes or 0:g} min reached", "interrupt": "interrupted",
                   "steps": f"{max_steps} steps done"}[stopped_by]
            message = (f"{why.capitalize()} during epoch {epoch_now} at step {int(gan.step.numpy())}; checkpoint "
                       "saved. Run again with the same run directory to continue.")
    if message and verbose:
        print(message, file=sys.stderr if stopped_by == "nonfinite" else sys.stdout)
    if writer is not None:
        writer.close()
    result = FitResult(history, int(gan.epoch.numpy()), stopped_by, run_dir, message=message)
    if history.steps["step"]:
        viz.plot_losses(history, run_dir / "losses.png")
        frames = sorted(grids.glob("epoch_????.png")) + sorted(grids.glob("epoch_????_partial.png"))
        if frames:
            result.gif_path = viz.write_gif([viz.read_image(p) for p in frames], run_dir / "training.gif")
    return result


def _scalar(name, value, step):
    import tensorflow as tf

    tf.summary.scalar(name, value, step=step)


def _image(name, picture, step):
    import tensorflow as tf

    picture = picture if picture.ndim == 3 else picture[..., None]
    tf.summary.image(name, picture[None], step=step)
