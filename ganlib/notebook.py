"""Notebook helpers every chapter uses: the set-up call (devices, quiet TensorFlow, runs kept on Google Drive in Colab), showing ganlib's own source, and pictures inline.

Each chapter opens with two cells: one that installs this package on Colab (it cannot live here — this module is
not installed yet at that point), and, after the Parameters cell, ``notebook.setup(...)``.
"""

import inspect
import os
import sys
from pathlib import Path

DRIVE_RUNS = Path("/content/drive/MyDrive/gan-course/runs")


def in_colab():
    return "google.colab" in sys.modules


def setup(seed=0, keep_runs_on_drive=False):
    """Import TensorFlow quietly, seed Python, NumPy and TensorFlow, say which devices will train, and on Colab
    with ``keep_runs_on_drive`` mount Google Drive and keep every run there (``$GANLIB_RUNS_DIR``): a runtime
    that disconnects loses nothing, and re-running the chapter resumes each run where it stopped."""
    from ganlib import quiet

    tf = quiet.import_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        print(f"Training on {len(gpus)} GPU{'s' if len(gpus) > 1 else ''}: "
              + ", ".join(tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus))
    elif in_colab():
        print("Training on the CPU. For a GPU: Runtime → Change runtime type → T4 GPU, then run the notebook again.")
    else:
        print("Training on the CPU.")
    if keep_runs_on_drive:
        if not in_colab():
            print("keep_runs_on_drive: not in Colab, so runs stay in the local runs/ folder.")
        else:
            from google.colab import drive

            drive.mount("/content/drive")
            DRIVE_RUNS.mkdir(parents=True, exist_ok=True)
            os.environ["GANLIB_RUNS_DIR"] = str(DRIVE_RUNS)
            print(f"Runs are kept on Google Drive ({DRIVE_RUNS}): after a disconnect, run the notebook again to resume.")


def claim(holds, statement, full_size_only=False):
    """A chapter's claim, checked where it is made: prints "✔ statement" when ``holds``, and raises otherwise, so the
    notebook test fails the day the claim stops being true (a claim is code, not prose).

    ``full_size_only``: a claim about what a full-size run achieves (e.g. after minutes of training), which quick
    mode's seconds cannot show; it is checked when the notebook runs at full size (as its committed outputs were
    made) and reported as not checked in quick mode."""
    from ganlib.quick import is_quick

    if full_size_only and is_quick():
        print(f"○ {statement} (checked at full size only)")
        return
    if not bool(holds):
        raise AssertionError(f"claim does not hold: {statement}")
    print(f"✔ {statement}")


def show_source(*functions):
    """Show the code of ganlib functions as the package has it now: what a chapter shows is what runs."""
    from IPython.display import Markdown, display

    for function in functions:
        display(Markdown(f"```python\n{inspect.getsource(function).rstrip()}\n```"))


def show_file(path, width=None):
    """Display a PNG or GIF file inline."""
    from IPython.display import Image, display

    display(Image(filename=str(path), width=width))


def show_strip(path, frames=8, width=None, title=None):
    """An animation (a GIF) as a strip of ``frames`` evenly spaced stills: light, and readable on GitHub, which
    does not play GIFs in notebooks. Returns nothing, so that a cell ending with it shows only the strip."""
    import imageio.v3 as iio
    import matplotlib.pyplot as plt
    import numpy as np

    all_frames = iio.imread(path, index=None)
    picks = np.unique(np.linspace(0, len(all_frames) - 1, min(frames, len(all_frames))).round().astype(int))
    fig, axes = plt.subplots(1, len(picks), figsize=(width or 2.2 * len(picks), 2.4), squeeze=False)
    for ax, i in zip(axes[0], picks):
        frame = all_frames[i]
        ax.imshow(frame if frame.ndim == 3 else frame, cmap=None if frame.ndim == 3 else "gray")
        ax.set_title(f"frame {i + 1}", fontsize=8)
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    plt.show()
