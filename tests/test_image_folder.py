import io
import os

import numpy as np
import pytest
from PIL import Image

from ganlib import image_folder

RED, GREEN, BLUE, YELLOW, SKY = (255, 0, 0), (0, 160, 0), (0, 0, 255), (255, 255, 0), (0, 128, 255)
SIZE = 32  # so min_size defaults to 16


def solid(width, height, colour, mode="RGB"):
    return Image.new(mode, (width, height), colour)


def bars(width, height, colour, vertical):
    """A picture with black bars at both ends of its long side and ``colour`` in its centred square."""
    pixels = np.zeros((height, width, 3), np.uint8)
    if vertical:
        side = width
        pixels[(height - side) // 2 : (height + side) // 2] = colour
    else:
        side = height
        pixels[:, (width - side) // 2 : (width + side) // 2] = colour
    return Image.fromarray(pixels)


def jpeg_bytes(image):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def make_art(root):
    """Every kind of file a learner's folder may hold; returns the folder."""
    art = root / "art"
    (art / "sub" / "deeper").mkdir(parents=True)
    (art / ".git").mkdir()
    solid(40, 40, RED).save(art / "red.png")
    bars(60, 30, SKY, vertical=False).save(art / "wide.png")
    bars(30, 60, SKY, vertical=True).save(art / "tall.webp", lossless=True)
    (art / "photo.jpg").write_bytes(jpeg_bytes(solid(64, 64, (200, 100, 50))))
    # an emoji: a blue square on fully transparent pixels whose hidden colour is black
    emoji = solid(48, 48, (0, 0, 0, 0), "RGBA")
    emoji.paste((*BLUE, 255), (12, 12, 36, 36))
    emoji.save(art / "sub" / "emoji.png")
    # a palette GIF of two frames: green with a transparent border, then yellow
    first = Image.new("P", (40, 40), 1)
    first.putpalette([0, 0, 0, *GREEN, *YELLOW] + [0] * 759)
    first.paste(0, (0, 0, 40, 4))  # index 0, transparent: the top rows
    second = first.copy()
    second.paste(2, (0, 0, 40, 40))
    first.save(art / "sub" / "deeper" / "anim.gif", save_all=True, append_images=[second], transparency=0, duration=100)
    Image.fromarray(np.full((40, 40), 32896, np.uint16)).save(art / "sub" / "grey16.png")  # 16-bit grey, half-way
    solid(8, 8, RED).save(art / "tiny.png")
    (art / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\nthis is not really a picture")
    (art / "truncated.jpg").write_bytes(jpeg_bytes(bars(64, 64, RED, vertical=True))[:300])
    (art / "notes.txt").write_text("my pictures")
    solid(40, 40, RED).save(art / ".hidden.png")
    solid(40, 40, RED).save(art / ".git" / "inside.png")
    return art


KEPT = ["photo.jpg", "red.png", "sub/deeper/anim.gif", "sub/emoji.png", "sub/grey16.png", "tall.webp", "wide.png"]


@pytest.fixture
def art(tmp_path):
    return make_art(tmp_path)


def picture(result, name):
    return result.images[result.files.index(name)].astype(int)


def test_reads_every_format_recursively_in_sorted_order(art):
    result = image_folder.load(art, SIZE, verbose=False)
    assert result.files == KEPT
    assert result.images.shape == (len(KEPT), SIZE, SIZE, 3) and result.images.dtype == np.uint8
    assert result.skipped == {"corrupt.png": "unreadable", "truncated.jpg": "unreadable", "tiny.png": "smaller than 16 px"}
    assert result.ignored == {".txt": 1}  # hidden files and folders are neither read nor counted


def test_prints_one_summary_line(art, capsys):
    result = image_folder.load(art, SIZE)
    line = f"image folder: 7 images from {art}, 32×32 RGB (skipped 3: 2 unreadable, 1 smaller than 16 px; " \
           "ignored 1 other file (.txt))"
    assert capsys.readouterr().err == line + "\n"
    assert result.describe() == line


def test_a_known_colour_survives_and_jpeg_stays_close(art):
    result = image_folder.load(art, SIZE, verbose=False)
    np.testing.assert_array_equal(picture(result, "red.png"), np.broadcast_to(RED, (SIZE, SIZE, 3)))
    assert np.abs(picture(result, "photo.jpg") - (200, 100, 50)).max() <= 3


def test_the_crop_is_the_centred_square(art):
    result = image_folder.load(art, SIZE, verbose=False)
    for name in ("wide.png", "tall.webp"):  # the black bars at both ends are cropped away
        np.testing.assert_array_equal(picture(result, name), np.broadcast_to(SKY, (SIZE, SIZE, 3)))
    assert image_folder.centre_square(60, 30) == (15, 0, 45, 30)
    assert image_folder.centre_square(30, 61) == (0, 15, 30, 45)


def test_transparency_is_composited_onto_the_background(art):
    emoji = picture(image_folder.load(art, SIZE, verbose=False), "sub/emoji.png")
    np.testing.assert_array_equal(emoji[0, 0], (255, 255, 255))  # not the hidden black
    np.testing.assert_array_equal(emoji[SIZE // 2, SIZE // 2], BLUE)
    on_colour = picture(image_folder.load(art, SIZE, background=(10, 20, 30), verbose=False), "sub/emoji.png")
    np.testing.assert_array_equal(on_colour[0, 0], (10, 20, 30))
    on_named = picture(image_folder.load(art, SIZE, background="#000000", verbose=False), "sub/emoji.png")
    np.testing.assert_array_equal(on_named[0, 0], (0, 0, 0))


def test_a_gif_gives_its_first_frame_with_its_transparent_index_on_white(art):
    gif = picture(image_folder.load(art, SIZE, verbose=False), "sub/deeper/anim.gif")
    np.testing.assert_array_equal(gif[SIZE // 2, SIZE // 2], GREEN)  # not the second frame's yellow
    np.testing.assert_array_equal(gif[0, SIZE // 2], (255, 255, 255))


def test_sixteen_bit_grey_is_rescaled_not_clipped(art):
    grey = picture(image_folder.load(art, SIZE, verbose=False), "sub/grey16.png")
    np.testing.assert_array_equal(grey, np.full((SIZE, SIZE, 3), 128))


def test_one_channel_is_luma(art):
    result = image_folder.load(art, SIZE, channels=1, verbose=False)
    assert result.images.shape == (len(KEPT), SIZE, SIZE, 1)
    assert set(np.unique(picture(result, "red.png"))) == {76}  # 0.299 · 255
    assert "32×32 grey" in result.describe()


def test_min_size_decides_what_is_too_small(art):
    assert "tiny.png" in image_folder.load(art, SIZE, min_size=0, verbose=False).files
    assert "tiny.png" in image_folder.load(art, 16, verbose=False).files  # 8 px is enough for 16 px
    too_small = image_folder.load(art, SIZE, min_size=41, verbose=False).skipped
    assert too_small["red.png"] == "smaller than 41 px" and "photo.jpg" not in too_small


def test_an_upright_photo_follows_its_exif_orientation(tmp_path):
    pixels = np.zeros((40, 20, 3), np.uint8)  # 20 wide, 40 tall: top half red, bottom half blue
    pixels[:20], pixels[20:] = RED, BLUE
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show it
    (tmp_path / "phone").mkdir()
    Image.fromarray(pixels).save(tmp_path / "phone" / "photo.png", exif=exif)
    shown = image_folder.load(tmp_path / "phone", SIZE, verbose=False).images[0].astype(int)
    np.testing.assert_array_equal(shown[SIZE // 2, 2], BLUE)  # rotated: blue on the left, red on the right
    np.testing.assert_array_equal(shown[SIZE // 2, -3], RED)


def test_the_cache_is_used_the_second_time(art, tmp_path, monkeypatch, capsys):
    first = image_folder.load(art, SIZE, cache_dir=tmp_path / "cache", verbose=False)
    assert not first.cached and len(list((tmp_path / "cache").glob("*.npz"))) == 1

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded a picture although the cache was valid")

    monkeypatch.setattr(image_folder, "load_image", no_decoding)
    second = image_folder.load(art, SIZE, cache_dir=tmp_path / "cache")
    assert second.cached and second.files == first.files and second.skipped == first.skipped
    np.testing.assert_array_equal(second.images, first.images)
    assert capsys.readouterr().err.strip().endswith("; from cache)")


def test_a_changed_folder_or_setting_is_read_again(art, tmp_path):
    cache = tmp_path / "cache"
    image_folder.load(art, SIZE, cache_dir=cache, verbose=False)
    solid(40, 40, GREEN).save(art / "sub" / "green.png")
    added = image_folder.load(art, SIZE, cache_dir=cache, verbose=False)
    assert not added.cached and "sub/green.png" in added.files
    assert len(list(cache.glob("*.npz"))) == 1  # the outdated cache was replaced
    solid(40, 40, BLUE).save(art / "sub" / "green.png")  # same name and size, new content and time
    os.utime(art / "sub" / "green.png", ns=(1, 10**18))
    edited = image_folder.load(art, SIZE, cache_dir=cache, verbose=False)
    assert not edited.cached and tuple(picture(edited, "sub/green.png")[0, 0]) == BLUE
    assert not image_folder.load(art, SIZE, background="black", cache_dir=cache, verbose=False).cached
    assert not image_folder.load(art, 16, cache_dir=cache, verbose=False).cached
    assert image_folder.load(art, 16, cache_dir=cache, verbose=False).cached


def test_a_damaged_cache_is_ignored(art, tmp_path):
    image_folder.load(art, SIZE, cache_dir=tmp_path / "cache", verbose=False)
    [cached] = (tmp_path / "cache").glob("*.npz")
    whole = cached.read_bytes()
    for damaged in (b"not a cache", whole[: len(whole) // 2]):  # garbage, and a write cut short
        cached.write_bytes(damaged)
        result = image_folder.load(art, SIZE, cache_dir=tmp_path / "cache", verbose=False)
        assert not result.cached and result.files == KEPT


def one_line_error(folder, match, **kwargs):
    with pytest.raises(image_folder.ImageFolderError, match=match) as err:
        image_folder.load(folder, SIZE, verbose=False, **kwargs)
    assert isinstance(err.value, ValueError) and "\n" not in str(err.value)


def test_a_missing_folder_or_a_file_is_a_clear_error(tmp_path, art):
    one_line_error(tmp_path / "nope", "does not exist; pass the folder that holds your pictures")
    one_line_error(art / "red.png", "is a file, not a folder")


def test_an_empty_folder_or_one_without_pictures_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    one_line_error(tmp_path / "empty", "is empty; put PNG, JPEG, WebP or GIF pictures in it")
    (tmp_path / "phone").mkdir()
    for i in range(4):
        (tmp_path / "phone" / f"IMG_{i}.HEIC").write_bytes(b"...")
    (tmp_path / "phone" / "notes.txt").write_text("")
    one_line_error(tmp_path / "phone", r"holds no PNG, JPEG, WebP or GIF files \(only 5 other files: .heic ×4, .txt\)")


def test_a_folder_without_one_usable_picture_is_a_clear_error(tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.png").write_bytes(b"nope")
    solid(4, 4, RED).save(tmp_path / "bad" / "b.png")
    one_line_error(tmp_path / "bad", r"none of its 2 pictures could be used \(1 smaller than 16 px, 1 unreadable\)")


@pytest.mark.parametrize("kwargs, message", [
    (dict(channels=2), "channels must be 3 \\(RGB\\) or 1 \\(grey\\)"),
    (dict(size=0), "size must be a positive"),
    (dict(background="whiet"), "'whiet' is not a colour"),
    (dict(background=(0, 0, 300)), "is not a colour"),
])
def test_bad_settings_are_clear_errors(art, kwargs, message):
    with pytest.raises(ValueError, match=message):
        image_folder.load(art, **{"size": SIZE, "verbose": False, **kwargs})


def test_a_cache_that_cannot_be_written_costs_one_line_not_the_data(art, tmp_path, capsys):
    (tmp_path / "not-a-folder").write_text("")
    result = image_folder.load(art, SIZE, cache_dir=tmp_path / "not-a-folder", verbose=False)
    assert result.files == KEPT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "could not write the cache" in err
