"""Your own pictures as a dataset: a folder of PNG/JPEG/WebP/GIF files as uint8 (N, size, size, channels), cached.

The folder is read recursively, in sorted order of the files' relative paths, skipping hidden files and
folders (".DS_Store", ".git/") and ignoring files of other types. Every picture goes through the same
steps (``load_image``):

1. decode with Pillow; a GIF (or an animated WebP/PNG) gives its first frame; a photo is turned upright
   by its EXIF orientation, as a viewer shows it;
2. transparency is composited onto a solid background (white unless told otherwise): out = α·c + (1 − α)·b.
   Emoji and icons are drawn on transparent pixels whose hidden colour is arbitrary (often black), so
   dropping α would show it;
3. centre-crop to a square with the short side (the generator learns one aspect ratio, and squashing a
   picture would distort it);
4. resize to size×size with Lanczos. When shrinking, Pillow widens the Lanczos kernel by the scale factor,
   so each output pixel averages its whole footprint, like area resampling, and fine detail does not alias
   into moiré;
5. RGB (``channels=3``) or grey (``channels=1``: L = 0.299 R + 0.587 G + 0.114 B, ITU-R 601).

Pictures are skipped, and counted in one line, when Pillow cannot read them, or when their short side is
under ``min_size`` (default size/2): stretching a picture more than 2× shows as blur, which the generator
would learn as part of the style. ``min_size=0`` keeps them all.

Decoding thousands of files takes a while, so the result is cached as an .npz in ``cache_dir`` (when given),
keyed by the folder's path, every file's relative path, size and modification time, and the settings: a
second load is instant, and adding, removing or editing a picture reads the folder again.
"""

import hashlib
import json
import os
import re
import sys
import tempfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".gif")
FORMATS = "PNG, JPEG, WebP or GIF"
CACHE_VERSION = 1  # bump when the decoding steps change, so old caches are not reused
PROGRESS_FROM = 200  # show a progress bar when decoding at least this many files
UNREADABLE = "unreadable"


class ImageFolderError(ValueError):
    """The folder cannot give a dataset: missing, not a folder, empty, or without one usable picture."""


class SkippedImage(Exception):
    """One picture cannot be used; the message is the reason, as counted in the summary line."""


@dataclass
class ImageFolder:
    """Pictures (N, size, size, channels) uint8, their relative file names, and what was left out."""

    images: np.ndarray
    files: list
    folder: str
    skipped: dict = field(default_factory=dict)  # relative file name → reason
    ignored: dict = field(default_factory=dict)  # extension → how many files of that type were ignored
    cached: bool = False

    def describe(self):
        """One line for notebooks and logs: how many pictures, from where, at what size, and what was left out."""
        n, size, _, channels = self.images.shape
        line = f"image folder: {n:,} images from {self.folder}, {size}×{size} {'RGB' if channels == 3 else 'grey'}"
        notes = []
        if self.skipped:
            notes.append(f"skipped {len(self.skipped):,}: {_count_reasons(self.skipped)}")
        if self.ignored:
            count = sum(self.ignored.values())
            notes.append(f"ignored {count:,} other file{'s' if count > 1 else ''} ({_describe_types(self.ignored)})")
        if self.cached:
            notes.append("from cache")
        return line + (f" ({'; '.join(notes)})" if notes else "")


def _count_reasons(skipped):
    """"2 unreadable, 1 smaller than 32 px": the reasons for skipping, commonest first."""
    reasons = sorted(Counter(skipped.values()).items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{count:,} {reason}" for reason, count in reasons)


def _describe_types(counts, most=3):
    """".heic ×4, .txt" for the commonest ignored types: tells a learner why her iPhone photos are missing."""
    common = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    words = [ext if count == 1 else f"{ext} ×{count}" for ext, count in common[:most]]
    return ", ".join(words) + (", ..." if len(common) > most else "")


def list_images(folder):
    """(sorted relative paths of the pictures, {extension: count} of other files) under ``folder``.

    Hidden files and folders (name starting with ".") are left out and not counted.
    """
    folder = Path(folder)
    found, ignored = [], Counter()
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # prune hidden folders in place: os.walk skips them
        for name in names:
            if name.startswith("."):
                continue
            extension = os.path.splitext(name)[1].lower()
            if extension in IMAGE_EXTENSIONS:
                found.append((Path(root) / name).relative_to(folder).as_posix())
            else:
                ignored[extension or "(no extension)"] += 1
    return sorted(found), dict(ignored)


def parse_background(background):
    """An (r, g, b) tuple from a colour name ("white"), a hex string ("#ffeedd") or a tuple of 0–255 ints."""
    from PIL import ImageColor

    if isinstance(background, str):
        try:
            return ImageColor.getrgb(background)[:3]
        except ValueError:
            pass
    elif len(background) == 3 and all(isinstance(v, (int, np.integer)) and 0 <= v <= 255 for v in background):
        return tuple(int(v) for v in background)
    raise ValueError(f"background {background!r} is not a colour; pass a name like 'white', "
                     "a hex string like '#ffeedd' or an (r, g, b) tuple of 0–255")


def flatten(image, background=(255, 255, 255)):
    """A Pillow image as RGB, any transparency composited onto the ``background`` colour."""
    from PIL import Image

    if image.mode.startswith("I"):  # 16-bit grey (0–65535): convert() would clip at 255 instead of rescaling
        image = Image.fromarray(np.uint8(np.asarray(image, np.float64) / 257 + 0.5))
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        image = image.convert("RGBA")  # also resolves a palette's transparent index into α
        canvas = Image.new("RGBA", image.size, (*background, 255))
        return Image.alpha_composite(canvas, image).convert("RGB")
    return image.convert("RGB")


def centre_square(width, height):
    """The (left, top, right, bottom) box of the largest centred square in a width × height picture."""
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def load_image(path, size, channels=3, background=(255, 255, 255), min_size=0):
    """One picture as uint8 (size, size, channels), by the steps in the module docstring.

    Raises :class:`SkippedImage` (the reason as its message) when Pillow cannot read the file or its short
    side is under ``min_size``.
    """
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as image:
            short_side = min(image.size)
            if short_side < min_size:
                raise SkippedImage(f"smaller than {min_size} px")
            # JPEG only: decode at 1/2, 1/4 or 1/8 scale straight from the DCT when that still leaves at least
            # twice the target size; a phone photo then decodes many times faster, with no visible loss.
            image.draft(None, (2 * size, 2 * size))
            image.load()  # decode now: a truncated or corrupt file fails here, not later
            try:
                image = ImageOps.exif_transpose(image)
            except Exception:  # a broken EXIF block should not cost the picture; keep it as stored
                pass
            image = flatten(image, background)
    except SkippedImage:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as err:
        raise SkippedImage(UNREADABLE) from err
    if channels == 1:
        image = image.convert("L")
    # crop first: resize(box=...) would let the kernel reach past the box and blend in the cropped-off edges
    image = image.crop(centre_square(*image.size)).resize((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)
    pixels = np.asarray(image, np.uint8)
    return pixels[..., None] if channels == 1 else pixels


def _cache_path(cache_dir, folder, settings, entries):
    """The cache file for this folder's current contents and these settings, and its prefix (shared by the
    caches of the same folder, size and channels, so an outdated one can be removed)."""
    key = json.dumps({"version": CACHE_VERSION, "folder": str(folder), "settings": settings, "files": entries})
    digest = hashlib.sha256(key.encode()).hexdigest()
    folder_id = hashlib.sha256(str(folder).encode()).hexdigest()[:8]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", folder.name) or "folder"
    prefix = f"{name}-{folder_id}-{settings['size']}px-{settings['channels']}ch-"
    return Path(cache_dir) / f"{prefix}{digest[:16]}.npz", prefix


def _read_cache(path):
    try:
        with np.load(path, allow_pickle=False) as arrays:
            skipped = json.loads(str(arrays["skipped"]))
            return np.array(arrays["images"]), [str(f) for f in arrays["files"]], skipped
    except (OSError, KeyError, ValueError, EOFError, zlib.error, zipfile.BadZipFile):
        return None  # missing, partly written or from another version: decode the folder again


def _write_cache(path, prefix, images, files, skipped):
    """Write atomically (temporary file, then rename) and remove this folder's outdated caches."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as f:
            np.savez_compressed(f, images=images, files=np.array(files, dtype=str), skipped=json.dumps(skipped))
        os.replace(f.name, path)
        for old in path.parent.glob(f"{prefix}*.npz"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as err:
        print(f"image folder: could not write the cache {path} ({err}); the pictures will be decoded again next time",
              file=sys.stderr)


def load(folder, size=64, channels=3, background="white", min_size=None, cache_dir=None, progress=None,
         verbose=True):
    """Load every picture under ``folder`` as ``ImageFolder(images (N, size, size, channels) uint8, files, ...)``.

    ``min_size`` (default size // 2) skips pictures whose short side is smaller. ``cache_dir`` keeps the
    decoded array for the next call. ``progress`` shows a bar (default: from 200 files on). ``verbose``
    prints the one-line summary (``describe()``) to stderr. A missing or empty folder, a file, or a folder
    without one usable picture raises :class:`ImageFolderError` saying what to do.
    """
    if not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive whole number of pixels; got {size!r}")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 3 (RGB) or 1 (grey); got {channels!r}")
    background = parse_background(background)
    min_size = size // 2 if min_size is None else int(min_size)
    path = Path(folder).expanduser()
    if not path.exists():
        raise ImageFolderError(f"image folder {folder} does not exist; pass the folder that holds your pictures")
    if not path.is_dir():
        raise ImageFolderError(f"image folder {folder} is a file, not a folder; pass the folder that holds your "
                               "pictures (sub-folders are read too)")

    files, ignored = list_images(path)
    if not files:
        what = (f"holds no {FORMATS} files (only {sum(ignored.values()):,} other files: {_describe_types(ignored)})"
                if ignored else "is empty")
        raise ImageFolderError(f"image folder {folder} {what}; put {FORMATS} pictures in it (sub-folders are read too)")

    settings = {"size": int(size), "channels": channels, "background": list(background), "min_size": min_size}
    cache = None
    if cache_dir is not None:
        entries = [[f, (s := (path / f).stat()).st_size, s.st_mtime_ns] for f in files]
        cache = _cache_path(cache_dir, path.resolve(), settings, entries)
        cached = _read_cache(cache[0])
        if cached is not None:
            result = ImageFolder(*cached[:2], str(folder), skipped=cached[2], ignored=ignored, cached=True)
            if verbose:
                print(result.describe(), file=sys.stderr)
            return result

    from tqdm.auto import tqdm

    pictures, kept, skipped = [], [], {}
    show = len(files) >= PROGRESS_FROM if progress is None else progress
    for name in tqdm(files, desc="decoding pictures", unit="file", disable=not show, leave=False):
        try:
            pictures.append(load_image(path / name, size, channels, background, min_size))
            kept.append(name)
        except SkippedImage as reason:
            skipped[name] = str(reason)
    if not pictures:
        raise ImageFolderError(f"image folder {folder}: none of its {len(files):,} pictures could be used "
                               f"({_count_reasons(skipped)}); "
                               f"check that they open in an image viewer, or lower min_size (now {min_size} px)")
    images = np.stack(pictures)
    if cache is not None:
        _write_cache(*cache, images, kept, skipped)
    result = ImageFolder(images, kept, str(folder), skipped=skipped, ignored=ignored)
    if verbose:
        print(result.describe(), file=sys.stderr)
    return result
