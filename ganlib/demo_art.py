"""Demo pictures for chapter 07: fetch a free emoji set from its npm package into a folder, checked and attributed.

    python -m ganlib.demo_art DIR [--set twitter|google] [--no-skin-tones] [--tarball FILE]

The pictures come from ``emoji-datasource-<set>`` (the image packages of iamcal/emoji-data), which ship every
emoji of Emoji 16.0 as a 64×64 PNG on a transparent background: 3,786 pictures (1,911 emoji and 1,875
skin-tone variants of the people among them), all drawn in one style, which suits a GAN at 32×32 px.
Two sets are free to use and offered here:

- ``twitter`` (default): Twemoji, © Twitter, Inc and other contributors, CC BY 4.0: credit them when you
  share the pictures, and (to be safe) samples of a GAN trained on them; ATTRIBUTION.txt has the line;
- ``google``: Noto Emoji, by Google, Apache License 2.0 (its flags: public domain).

(The same family's Apple and Facebook sets are not free to use and are not offered. The packages' own MIT
licence covers their code and data, not the artwork.)

``npm pack`` fetches the pinned version (npm caches it, so a second fetch needs no network). Before
anything is written, the tarball's sha512 is checked against the one pinned below (the registry's
``dist.integrity``), so the pictures are exactly the ones reviewed here. Only the 64-px PNGs are
extracted, one folder per emoji category (``DIR/animals-nature/1f98a.png``...), so deleting a folder
(flags, say) leaves that category out of training; the sprite sheets, most of the download (62 MB for
Twemoji), are not. ATTRIBUTION.txt beside them names the artwork, its licence and where it came from.
Nothing here is committed to the course's repository.
"""

import argparse
import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PICTURE_SIZE = 64
ATTRIBUTION_FILE = "ATTRIBUTION.txt"
NPM_TIMEOUT_S = 900
NETWORK_ERRORS = ("ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET", "ENETUNREACH",
                  "EHOSTUNREACH", "ENETDOWN")


@dataclass(frozen=True)
class EmojiSet:
    """One free emoji set: which npm package holds it, pinned, and how its artwork is licensed."""

    name: str
    artwork: str
    package: str
    version: str
    integrity: str  # the registry's dist.integrity for this version: sha512, base64
    download_mb: float
    licence: str
    credit: str

    @property
    def spec(self):
        return f"{self.package}@{self.version}"


EMOJI_SETS = {
    "twitter": EmojiSet(
        name="twitter", artwork="Twemoji", package="emoji-datasource-twitter", version="16.0.0",
        integrity="sha512-7F+uCuHH+7Qnrc15P5tnbvKkg9E6tlzi4MnT2uW1RlN4pLYTza6cP/dstIfSDMtpjFLWuZewWg8jBbuL2eyELQ==",
        download_mb=61.7,
        licence="Creative Commons Attribution 4.0 International (CC BY 4.0), "
                "https://creativecommons.org/licenses/by/4.0/",
        credit="Twemoji graphics, Copyright 2019 Twitter, Inc and other contributors "
               "(https://github.com/jdecked/twemoji, v16.0.1), licensed under CC BY 4.0. Twemoji's authors ask "
               "for a mention in a README or an About section when the graphics are used.",
    ),
    "google": EmojiSet(
        name="google", artwork="Noto Emoji", package="emoji-datasource-google", version="16.0.0",
        integrity="sha512-ZRexfzs7MVoLnmzZmNsO4TKhnAJp5D++Vm6PpUpH/jEQQlemp3l88CjZ+DoZ2faM9R4QxZkOPJCoT8DlPhfQ3A==",
        download_mb=74.3,
        licence="Apache License 2.0, https://www.apache.org/licenses/LICENSE-2.0",
        credit="Noto Emoji images by Google (https://github.com/googlefonts/noto-emoji, v2.048), licensed under "
               "the Apache License 2.0; its flag images are in the public domain.",
    ),
}


class DemoArtError(RuntimeError):
    """The demo pictures cannot be fetched: no npm, offline, a bad download, or a folder that is in use."""


@dataclass
class Fetched:
    """What ``fetch`` did: how many pictures it wrote where, from which package, and how long it took."""

    folder: Path
    emoji_set: EmojiSet
    pictures: int
    bytes_on_disk: int
    download_bytes: int
    seconds: float
    already_there: bool = False

    def describe(self):
        """One line: the pictures, where they are, where they came from, and their licence."""
        where = f"{self.pictures:,} {self.emoji_set.artwork} pictures ({PICTURE_SIZE}×{PICTURE_SIZE} PNG, " \
                f"{self.bytes_on_disk / 1e6:.1f} MB) in {self.folder}"
        if self.already_there:
            return f"demo art: {where} already, from {self.emoji_set.spec}; nothing to do"
        return (f"demo art: {where} from {self.emoji_set.spec} ({self.download_bytes / 1e6:.1f} MB download, "
                f"sha512 checked) in {self.seconds:.0f} s; licence and credit in {self.folder / ATTRIBUTION_FILE}")


def _fetch_line(emoji_set, skin_tones):
    """ATTRIBUTION.txt's record of what was fetched: a folder that has it already holds this fetch."""
    return f"Fetched by ganlib.demo_art: npm package {emoji_set.spec}, skin-tone variants " \
           f"{'included' if skin_tones else 'left out'}."


def sri_sha512(path):
    """The Subresource Integrity string of a file, as npm writes it: "sha512-" + base64(sha512(bytes))."""
    digest = hashlib.sha512()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return "sha512-" + base64.b64encode(digest.digest()).decode()


def check_integrity(tarball, emoji_set):
    """Raise :class:`DemoArtError` unless the tarball is byte for byte the pinned package version."""
    if sri_sha512(tarball) != emoji_set.integrity:
        raise DemoArtError(f"{tarball}: its sha512 is not the one pinned for {emoji_set.spec}; the download is "
                           "corrupt or another file, so nothing was extracted: delete it and fetch again")


def _npm_failure(spec, stderr):
    codes = re.findall(r"npm (?:error|ERR!) code (\S+)", stderr)
    if any(code in NETWORK_ERRORS for code in codes):
        return (f"npm cannot reach its registry to fetch {spec} ({codes[0]}); connect to the internet, or run "
                f"`npm pack {spec}` on a machine that can and pass the file with --tarball")
    details = [line for line in re.findall(r"npm (?:error|ERR!) (.+)", stderr)
               if not re.match(r"(code|errno|syscall|A complete log)\b", line)]
    if codes:
        reason = codes[0] + (f": {details[0].strip()}" if details else "")
    else:
        reason = details[0].strip() if details else "no message from npm"
    return f"`npm pack {spec}` failed ({reason}); run it yourself to see why, or pass a tarball with --tarball"


def npm_pack(spec, into):
    """Fetch the package tarball with ``npm pack`` into the folder ``into``; returns its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise DemoArtError(f"npm is not installed; install Node.js (e.g. `apt-get install npm`), or run "
                           f"`npm pack {spec}` on another machine and pass the file with --tarball")
    command = [npm, "pack", spec, "--prefer-offline", "--ignore-scripts", "--loglevel=error"]
    try:
        done = subprocess.run(command, cwd=into, capture_output=True, text=True, timeout=NPM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise DemoArtError(f"`npm pack {spec}` took over {NPM_TIMEOUT_S // 60} minutes; check the connection "
                           "and try again, or pass a tarball with --tarball") from None
    tarballs = sorted(Path(into).glob("*.tgz"))
    if done.returncode != 0 or len(tarballs) != 1:
        raise DemoArtError(_npm_failure(spec, done.stderr))
    return tarballs[0]


def _slug(category):
    return re.sub(r"[^a-z0-9]+", "-", category.lower()).strip("-") or "other"


def categories(emoji_json):
    """{picture file name: (category folder, is a skin-tone variant)} from the package's emoji.json."""
    found = {}
    for emoji in json.loads(emoji_json):
        folder = _slug(emoji.get("category") or "other")
        found[emoji["image"]] = (folder, False)
        for variant in (emoji.get("skin_variations") or {}).values():
            found[variant["image"]] = (folder, True)
    return found


def extract(tarball, emoji_set, into, skin_tones=True):
    """Write the set's 64-px PNGs from the tarball into ``into``/<category>/; returns how many.

    Only regular files named package/img/<set>/64/<hex codepoints>.png are read, and each is written under a
    name made here, never the archive's own path, so a tarball cannot write anywhere else.
    """
    picture_name = re.compile(rf"package/img/{re.escape(emoji_set.name)}/{PICTURE_SIZE}/([0-9a-f]+(?:-[0-9a-f]+)*\.png)")
    count = 0
    with tarfile.open(tarball, "r:gz") as archive:
        try:
            where = categories(archive.extractfile("package/emoji.json").read())
        except (KeyError, AttributeError, ValueError):
            where = {}  # no usable emoji.json: every picture goes to other/
        for member in archive:
            match = picture_name.fullmatch(member.name)
            if not (match and member.isfile()):
                continue
            folder, is_variant = where.get(match.group(1), ("other", False))
            if is_variant and not skin_tones:
                continue
            target = Path(into) / folder / match.group(1)
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(archive.extractfile(member).read())
            count += 1
    if count == 0:
        raise DemoArtError(f"{tarball} holds no {PICTURE_SIZE}-px {emoji_set.name} pictures; is it {emoji_set.spec}?")
    return count


def write_attribution(folder, emoji_set, skin_tones, pictures):
    text = f"""{emoji_set.artwork}: {pictures:,} emoji pictures, {PICTURE_SIZE}×{PICTURE_SIZE} PNG, unmodified.

Credit: {emoji_set.credit}
Licence of the pictures: {emoji_set.licence}
Source: the npm package {emoji_set.package}, version {emoji_set.version} (https://github.com/iamcal/emoji-data),
integrity {emoji_set.integrity}.
The package's own LICENSE (MIT, Cal Henderson) covers its code and data, not the artwork.

When training, ganlib.image_folder composites each picture onto a background and resizes it; those are
modifications under the licence, so say so when you share the results.

{_fetch_line(emoji_set, skin_tones)}
"""
    (Path(folder) / ATTRIBUTION_FILE).write_text(text, encoding="utf-8")


def _pictures_in(folder):
    files = list(Path(folder).rglob("*.png"))
    return len(files), sum(f.stat().st_size for f in files)


def _check_folder(folder, emoji_set, skin_tones):
    """True when ``folder`` already holds this very fetch; raises when it cannot receive one."""
    if folder.exists() and not folder.is_dir():
        raise DemoArtError(f"{folder} is a file; pass the path of a new or empty folder for the pictures")
    if folder.is_dir() and any(folder.iterdir()):
        attribution = folder / ATTRIBUTION_FILE
        if attribution.is_file() and _fetch_line(emoji_set, skin_tones) in attribution.read_text(encoding="utf-8"):
            return True
        raise DemoArtError(f"{folder} is not empty; pass a new or empty folder (the pictures are written into it)")
    return False


# The category a few CPU minutes learn to draw (bench/README.md, own_images.py): one kind of picture.
FACES = "smileys-emotion"


def fetch(folder, emoji_set="twitter", skin_tones=True, tarball=None, verbose=True):
    """Fetch an emoji set's pictures into ``folder`` (new or empty) and write its ATTRIBUTION.txt.

    ``tarball``: a package tarball already on disk (from ``npm pack`` elsewhere), used instead of npm; it is
    checked all the same. A folder that already holds the same fetch is left as it is. Returns
    :class:`Fetched`; raises :class:`DemoArtError` with one line saying what to do.
    """
    if emoji_set not in EMOJI_SETS:
        raise DemoArtError(f"unknown emoji set {emoji_set!r}; choose {' or '.join(EMOJI_SETS)}")
    chosen = EMOJI_SETS[emoji_set]
    folder = Path(folder).expanduser()
    start = time.monotonic()
    if _check_folder(folder, chosen, skin_tones):
        result = Fetched(folder, chosen, *_pictures_in(folder), 0, time.monotonic() - start, already_there=True)
        if verbose:
            print(result.describe())
        return result
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        # Build it next to the target, then move it in: an interrupted fetch leaves no half-filled folder
        # (the hidden name keeps a leftover out of image_folder's way).
        staging = Path(tempfile.mkdtemp(prefix=".demo-art-", dir=folder.parent))
    except OSError as err:
        raise DemoArtError(f"cannot write into {folder.parent} ({err.strerror or err}); pass a folder you can "
                           "write to") from None
    try:
        if tarball is None:
            if verbose:
                print(f"demo art: fetching {chosen.spec} with npm ({chosen.download_mb:.0f} MB, once: npm caches it) ...",
                      flush=True)
            tarball = npm_pack(chosen.spec, staging)
        elif not Path(tarball).is_file():
            raise DemoArtError(f"tarball {tarball} does not exist; pass the .tgz file that `npm pack {chosen.spec}` wrote")
        download_bytes = Path(tarball).stat().st_size
        check_integrity(tarball, chosen)
        pictures_dir = staging / "pictures"
        pictures_dir.mkdir()
        count = extract(tarball, chosen, pictures_dir, skin_tones)
        write_attribution(pictures_dir, chosen, skin_tones, count)
        if folder.is_dir():  # empty: move the contents in
            for item in pictures_dir.iterdir():
                item.rename(folder / item.name)
        else:
            pictures_dir.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result = Fetched(folder, chosen, *_pictures_in(folder), download_bytes, time.monotonic() - start)
    if verbose:
        print(result.describe())
    return result


def main(argv=None):
    """``python -m ganlib.demo_art DIR``: exit status 0 when the pictures are there, 2 with one line on error."""
    parser = argparse.ArgumentParser(prog="python -m ganlib.demo_art",
                                     description="Fetch free emoji pictures (Twemoji, CC BY 4.0) into DIR for "
                                                 "chapter 07, with their licence and credit in DIR/ATTRIBUTION.txt.")
    parser.add_argument("folder", metavar="DIR", help="a new or empty folder for the pictures")
    parser.add_argument("--set", dest="emoji_set", choices=sorted(EMOJI_SETS), default="twitter",
                        help="twitter: Twemoji, CC BY 4.0 (default); google: Noto Emoji, Apache 2.0")
    parser.add_argument("--no-skin-tones", dest="skin_tones", action="store_false",
                        help="leave out the 1,875 skin-tone variants (near-copies of the people emoji)")
    parser.add_argument("--tarball", help="a package tarball already fetched with `npm pack` (no npm needed)")
    args = parser.parse_args(argv)
    try:
        fetched = fetch(args.folder, args.emoji_set, args.skin_tones, args.tarball)
    except DemoArtError as err:
        print(f"demo_art: error: {err}", file=sys.stderr)
        return 2
    faces = fetched.folder / FACES
    if faces.is_dir():
        print(f"next: python -m ganlib train dcgan --images {faces} --max-minutes 10   # one category, "
              f"{len(list(faces.glob('*.png'))):,} faces: learnt in CPU minutes (the whole set is far more varied)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
