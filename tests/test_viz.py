import imageio.v3 as iio
import numpy as np

from ganlib import viz


def test_to_uint8_maps_minus_one_one_to_pixels_and_clips():
    np.testing.assert_array_equal(viz.to_uint8([-1.0, 0.0, 1.0, -3.0, 2.0]), [0, 128, 255, 0, 255])


def test_image_grid_places_images_row_by_row_with_white_padding():
    # three 2×3 images of distinct greys, two per row: each must land in its own cell, the gaps stay white
    values = (-1.0, -0.5, 0.0)
    images = np.stack([np.full((2, 3), v) for v in values])
    grid = viz.image_grid(images, ncols=2, padding=1)
    assert grid.shape == (2 * 3 + 1, 2 * 4 + 1)
    cells = {(0, 0): 0, (0, 1): 64, (1, 0): 128}  # (row, col) → grey of image 0, 1, 2
    for (r, c), grey in cells.items():
        top, left = 1 + 3 * r, 1 + 4 * c
        np.testing.assert_array_equal(grid[top:top + 2, left:left + 3], grey)
    padding = np.ones_like(grid, bool)
    for r, c in cells:
        padding[1 + 3 * r:3 + 3 * r, 1 + 4 * c:4 + 4 * c] = False
    assert np.all(grid[padding] == 255)  # padding and the empty fourth cell are white
    scaled = viz.image_grid(images, ncols=2, padding=1, scale=3)
    np.testing.assert_array_equal(scaled, np.kron(grid, np.ones((3, 3), np.uint8)))


def test_write_gif_keeps_every_frame_in_order(tmp_path):
    frames = [np.full((8, 8), v, np.uint8) for v in (0, 128, 255)]
    read = iio.imread(viz.write_gif(frames, tmp_path / "a.gif", duration_ms=50), index=None)
    assert len(read) == 3
    np.testing.assert_array_equal([int(f.reshape(-1)[0]) for f in read[..., 0]] if read.ndim == 4 else
                                  [int(f.reshape(-1)[0]) for f in read], [0, 128, 255])
    single = iio.imread(viz.write_gif(frames[:1], tmp_path / "b.gif"), index=None)
    assert len(single) == 1
