"""Pictures: image grids, loss curves, GIFs, and inline display helpers for notebooks."""

from pathlib import Path

import imageio.v3 as iio
import numpy as np


def to_uint8(images):
    """Images in [-1, 1] to uint8 pixels: round((x + 1) · 127.5), clipped to [0, 255]."""
    return np.clip(np.rint((np.asarray(images, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def image_grid(images, ncols=None, padding=2, scale=1):
    """Tile images (N, H, W[, C]) in [-1, 1] into one uint8 picture (rows × cols, white padding): grey (H', W')
    for one channel, colour (H', W', 3) for three; each pixel repeated ``scale`` times in both directions."""
    images = to_uint8(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    n, h, w = images.shape[:3]
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    nrows = int(np.ceil(n / ncols))
    grid = np.full((nrows * (h + padding) + padding, ncols * (w + padding) + padding, *images.shape[3:]), 255,
                   np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, ncols)
        top, left = padding + r * (h + padding), padding + c * (w + padding)
        grid[top : top + h, left : left + w] = image
    return grid.repeat(scale, axis=0).repeat(scale, axis=1) if scale > 1 else grid


def upscale(images, size):
    """Images (N, H, W, C) in [-1, 1] resized to ``size``×``size`` with bicubic interpolation (smooth
    strokes for printing, rather than the blocks of repeating pixels), clipped back to [-1, 1]."""
    import tensorflow as tf

    resized = tf.image.resize(tf.convert_to_tensor(images, tf.float32), (size, size), method="bicubic")
    return np.clip(resized.numpy(), -1.0, 1.0)


def save_grid(images, path, ncols=None, scale=2):
    """Write a grid of images in [-1, 1] as a PNG; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(path, image_grid(images, ncols, scale=scale))
    return path


def write_image(picture, path):
    """Write a uint8 picture (e.g. from ``image_grid``) as a PNG; returns the path."""
    iio.imwrite(path, picture)
    return Path(path)


def read_image(path):
    return iio.imread(path)


def write_gif(frames, path, duration_ms=200, last_frame_ms=1500):
    """Write uint8 frames as a looping GIF with imageio v3 (``duration`` is per frame, in ms);
    the last frame is held longer so the final samples can be seen."""
    path = Path(path)
    frames = list(frames)
    durations = [duration_ms] * (len(frames) - 1) + [last_frame_ms]
    if len(frames) == 1:
        durations = last_frame_ms  # Pillow takes a list only for several frames
    iio.imwrite(path, np.stack(frames), duration=durations, loop=0)
    return path


def plot_losses(history, path=None, smooth=20):
    """Plot D and G losses per step (thin) with a moving average over ``smooth`` steps (thick)."""
    import matplotlib.pyplot as plt

    steps = np.asarray(history.steps["step"])
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for key, colour in (("d_loss", "tab:blue"), ("g_loss", "tab:orange")):
        values = np.asarray(history.steps[key])
        ax.plot(steps, values, color=colour, alpha=0.25, linewidth=0.6)
        if len(values) >= smooth:
            kernel = np.ones(smooth) / smooth
            ax.plot(steps[smooth - 1 :], np.convolve(values, kernel, mode="valid"), color=colour, label=key)
        else:
            ax.plot(steps, values, color=colour, label=key)
    ax.set_xlabel("training step")
    ax.set_ylabel("loss")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
        plt.close(fig)
    return fig


def show_images(images, ncols=None, title=None, scale=3):
    """Show a grid of images in [-1, 1] inline (matplotlib)."""
    import matplotlib.pyplot as plt

    grid = image_grid(images, ncols)
    fig, ax = plt.subplots(figsize=(scale * grid.shape[1] / 100, scale * grid.shape[0] / 100))
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=255, interpolation="nearest")
    ax.axis("off")
    if title:
        ax.set_title(title)
    plt.show()


def show_file(path, width=None):
    """Display a PNG or GIF file inline in a notebook."""
    from IPython.display import Image, display

    display(Image(filename=str(path), width=width))
