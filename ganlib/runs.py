"""Run directories: a run's config, loss history and checkpoints, written so that a kill at any instant leaves a run that resumes.

A run directory holds ``config.json`` (the model and its settings: what the run *is*), ``history.json`` (losses
per step, timings per epoch), ``checkpoints/`` (``tf.train.CheckpointManager``, the newest few), ``grids/``
(the fixed latents' samples after every epoch), ``logs/`` (TensorBoard events), ``losses.png`` and
``training.gif``.

Crash safety comes from the order of writes: every side file is written whole to a temporary name and moved
into place (``os.replace`` is atomic), and the checkpoint — written last — is the commit point. A resumed run
restores the newest readable checkpoint and cuts the history back to its step, so a kill between two writes
never leaves a gap or a duplicate.
"""

import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ganlib.quick import is_quick

RUNS_DIR_ENV = "GANLIB_RUNS_DIR"
CHECKPOINTS_KEPT = 3


class RunDirError(ValueError):
    """The run directory cannot be used as asked (another model's run, a file, unreadable, not writable…)."""


def atomic_write_text(path, text):
    """Write ``text`` to ``path`` so that a reader (or a resumed run) sees the old file or the new one, never half."""
    path = Path(path)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def runs_dir(name):
    """Where a notebook keeps the run called ``name``: ``$GANLIB_RUNS_DIR`` (default ``runs``), with
    quick-mode runs kept apart so they never resume a full-size run."""
    return Path(os.environ.get(RUNS_DIR_ENV, "runs")) / (f"{name}-quick" if is_quick() else name)


def read_config(run_dir):
    """The ``config.json`` of a run, or a RunDirError saying why it cannot be used."""
    from ganlib import registry

    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise RunDirError(f"{run_dir} is not a training run (no config.json); train one with "
                          "`python -m ganlib train dcgan --out DIR`")
    try:
        config = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RunDirError(f"{path} is not readable JSON ({err}); restore it or train into another --out") from None
    if not isinstance(config, dict) or not isinstance(config.get("model"), str):
        raise RunDirError(f"{path} does not describe a run (no \"model\"); restore it or train into another --out")
    if config["model"] not in registry.MODELS:
        raise RunDirError(f"{path} names model {config['model']!r}, which this ganlib does not know "
                          f"(it knows {', '.join(registry.MODELS)})")
    defaults = registry.MODELS[config["model"]].defaults
    return {**{k: v for k, v in registry.ADDED_SETTINGS.items() if k in defaults}, **config}


def prepare(run_dir, config):
    """Make ``run_dir`` ready for a run with ``config``: a new directory, or the same run to resume.
    Refuses (RunDirError) a file, another run, a non-empty folder that is not a run, or a folder it cannot write."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise RunDirError(f"{run_dir} is a file, not a run directory; choose another --out")
    config_path = run_dir / "config.json"
    if config_path.exists():
        saved = read_config(run_dir)
        changed = {k: (saved.get(k), v) for k, v in config.items() if saved.get(k) != v}
        if changed:
            what = ", ".join(f"{k}: {old!r} there, {new!r} now" for k, (old, new) in changed.items())
            raise RunDirError(f"{run_dir} holds a different run ({what}); choose another run directory")
    elif run_dir.is_dir() and any(run_dir.iterdir()):
        raise RunDirError(f"{run_dir} is not empty and is not a ganlib run; choose another run directory")
    try:
        (run_dir / "grids").mkdir(parents=True, exist_ok=True)
        if not config_path.exists():
            atomic_write_text(config_path, json.dumps(config, indent=2) + "\n")
        else:  # resuming: a run directory that has become read-only would fail at the first checkpoint
            atomic_write_text(run_dir / ".writable", "")
            (run_dir / ".writable").unlink()
    except OSError as err:
        raise RunDirError(f"cannot write to {run_dir} ({err.strerror or err}); choose a folder you can write to")
    for leftover in run_dir.glob("**/*_temp*"):  # a checkpoint write that a kill interrupted
        _remove(leftover)
    return run_dir


def _remove(path):
    import shutil

    shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


@dataclass
class History:
    """Per-step values (losses…) and per-epoch timings, saved as ``history.json`` beside the checkpoints."""

    steps: dict = field(default_factory=lambda: {"step": []})  # plus one list per value the train step returns
    epochs: dict = field(default_factory=lambda: {"epoch": [], "step": [], "seconds": [], "images_per_second": []})

    @classmethod
    def load(cls, path, up_to_step):
        """The saved history, cut back to ``up_to_step`` (the restored checkpoint's step)."""
        if not Path(path).is_file():
            return cls()
        try:
            saved = json.loads(Path(path).read_text())
            history = cls(saved["steps"], saved["epochs"])
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise RunDirError(f"{path} is not a readable history ({err}); move it aside to start a new one") from None
        history.truncate(up_to_step)
        if history.steps["step"] and history.steps["step"][-1] != up_to_step:
            raise RunDirError(f"{path} ends at step {history.steps['step'][-1]} but the checkpoint is at step "
                              f"{up_to_step}; the history is missing steps, so it cannot continue")
        return history

    def truncate(self, up_to_step):
        for table in (self.steps, self.epochs):
            keep = sum(1 for s in table["step"] if s <= up_to_step)
            for key in table:
                del table[key][keep:]

    def add_steps(self, first_step, values):
        """Append the values of consecutive steps first_step, first_step + 1, … (arrays of equal length)."""
        n = len(next(iter(values.values())))
        self.steps["step"].extend(range(first_step, first_step + n))
        for key, array in values.items():
            self.steps.setdefault(key, []).extend(np.asarray(array, np.float64).tolist())

    def add_epoch(self, epoch, step, seconds, images):
        for key, value in (("epoch", epoch), ("step", step), ("seconds", seconds),
                           ("images_per_second", images / max(seconds, 1e-9))):
            self.epochs[key].append(value)

    def save(self, path):
        atomic_write_text(path, json.dumps({"steps": self.steps, "epochs": self.epochs}))


class Checkpoints:
    """The run's checkpoints (``tf.train.CheckpointManager``): save the newest, restore the newest readable one.

    ``restore`` is strict: every variable of the GAN must be in the checkpoint with its shape, and everything in
    the checkpoint must be used — a checkpoint of another architecture is an error, never a partial load.
    A corrupt newest checkpoint falls back to an older one, with a one-line warning.
    """

    def __init__(self, checkpoint, directory):
        import tensorflow as tf

        self.checkpoint, self.directory = checkpoint, Path(directory)
        self.manager = tf.train.CheckpointManager(checkpoint, str(directory), max_to_keep=CHECKPOINTS_KEPT)
        self.saved_step = None

    def candidates(self):
        """Checkpoint prefixes, newest first: those the manager lists, then any others on disk."""
        listed = list(reversed(self.manager.checkpoints))
        on_disk = sorted((str(p.with_suffix("")) for p in self.directory.glob("ckpt-*.index")),
                         key=lambda p: int(p.rsplit("-", 1)[-1]), reverse=True)
        return listed + [p for p in on_disk if p not in listed]

    def restore(self, warn=True):
        """Restore the newest readable checkpoint; returns its prefix, or None if there is none."""
        candidates = self.candidates()
        problems = []
        for prefix in candidates:
            try:
                status = self.checkpoint.restore(prefix)
                status.assert_consumed()
            except Exception as err:  # a damaged file fails in many ways (OpError, IndexError, assertion...)
                problems.append((prefix, _first_line(err)))
                continue
            if problems and warn:
                print(f"ganlib: warning: {Path(problems[0][0]).name} in {self.directory} cannot be restored "
                      f"({problems[0][1]}); using the older {Path(prefix).name}", file=sys.stderr)
            self.saved_step = _step_of(prefix)
            return prefix
        if problems:
            name, why = Path(problems[0][0]).name, problems[0][1]
            raise RunDirError(f"no checkpoint in {self.directory} can be restored ({name}: {why}); the run does not "
                              "match this model or its files are damaged — train into another --out")
        return None

    def save(self, step, variables):
        """Checkpoint at ``step`` unless already done; refuses (returns False) when a variable is not finite,
        so that NaN weights never replace a good checkpoint."""
        if step == self.saved_step:
            return True
        values = [np.asarray(v) for v in variables]
        if not all(np.all(np.isfinite(v)) for v in values if np.issubdtype(v.dtype, np.floating)):
            return False
        self.manager.save(checkpoint_number=step)
        self.saved_step = step
        return True


def _step_of(prefix):
    try:
        return int(str(prefix).rsplit("-", 1)[-1])
    except ValueError:
        return None


def _first_line(err):
    text = str(err).strip().splitlines()
    return (text[0] if text else type(err).__name__)[:200]


def load_gan(run_dir, strategy=None):
    """Rebuild the GAN saved in ``run_dir`` and restore its newest readable checkpoint (strictly)."""
    from ganlib import gan as gan_module
    from ganlib import registry

    config = read_config(run_dir)
    spec = registry.MODELS[config["model"]]
    settings = {k: v for k, v in config.items() if k in spec.defaults}
    try:
        gan = gan_module.build_gan(spec.name, seed=config.get("seed", 0),
                                   precision=config.get("precision", "float32"), strategy=strategy, **settings)
    except ValueError as err:
        raise RunDirError(f"{Path(run_dir) / 'config.json'}: {err}") from None
    if Checkpoints(gan.checkpoint(), Path(run_dir) / "checkpoints").restore() is None:
        raise RunDirError(f"{run_dir} has no checkpoint yet; train it first")
    gan.config.update(config)  # what the run was trained on (dataset, image folder...) as well as its settings
    return gan
