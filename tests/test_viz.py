import imageio.v3 as iio
import numpy as np

from ganlib import viz


def test_to_uint8_maps_minus_one_one_to_pixels_and_clips():
    np.testing.assert_array_equal(viz.to_uint8([-1.0, 0.0, 1.0, -3.0, 2.0]), [0, 128, 255, 0, 255])


def test_image_grid_places_images_row_by_row_with_padding():
    images = np.stack([np.full((2, 3), v) for v in (-1.0, 1.0, -1.0)])
    grid = viz.image_grid(images, ncols=2, padding=1)
    assert grid.shape == (2 * 3 + 1, 2 * 4 + 1)
    assert grid[1, 1] == 0 and grid[1, 5] == 255 and grid[4, 1] == 0  # image 0, 1 (top row), 2 (next row)
    assert grid[4, 5] == 255  # the empty cell stays white
    assert viz.image_grid(images, ncols=2, padding=1, scale=3).shape == (21, 27)


def test_write_gif_keeps_every_frame(tmp_path):
    frames = [np.full((8, 8), v, np.uint8) for v in (0, 128, 255)]
    path = viz.write_gif(frames, tmp_path / "a.gif", duration_ms=50)
    read = iio.imread(path, index=None)
    assert len(read) == 3
    single = viz.write_gif(frames[:1], tmp_path / "b.gif")
    assert single.is_file()
