"""ganlib.demo_art on a small fake package tarball: no network, no npm."""

import dataclasses
import io
import json
import shutil
import subprocess
import tarfile

import numpy as np
import pytest
from PIL import Image

from ganlib import demo_art, image_folder

EMOJI = [  # two emoji, one with two skin-tone variants, in two categories
    {"image": "1f600.png", "category": "Smileys & Emotion",
     "skin_variations": None},
    {"image": "1f44b.png", "category": "People & Body",
     "skin_variations": {"1F3FB": {"image": "1f44b-1f3fb.png"}, "1F3FF": {"image": "1f44b-1f3ff.png"}}},
]


def png(colour):
    buffer = io.BytesIO()
    picture = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    picture.paste((*colour, 255), (16, 16, 48, 48))
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def add(archive, name, data, kind=tarfile.REGTYPE):
    info = tarfile.TarInfo(name)
    info.size, info.type = len(data), kind
    if kind == tarfile.SYMTYPE:
        info.size, info.linkname = 0, "/etc/passwd"
    archive.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def fake_package(path, set_name="twitter"):
    """A tarball laid out like emoji-datasource-<set>: pictures, an unknown picture, sheets, and traps."""
    with tarfile.open(path, "w:gz") as archive:
        add(archive, "package/package.json", b"{}")
        base = f"package/img/{set_name}/64/"
        for name, colour in (("1f600.png", (255, 200, 0)), ("1f44b.png", (250, 180, 120)),
                             ("1f44b-1f3fb.png", (250, 220, 200)), ("1f44b-1f3ff.png", (90, 60, 40)),
                             ("1fae9.png", (0, 0, 255))):  # the last is not in emoji.json
            add(archive, base + name, png(colour))
        add(archive, f"package/img/{set_name}/sheets/64.png", png((0, 0, 0)))  # a sprite sheet: not wanted
        add(archive, base + "../../../../evil.png", png((0, 0, 0)))  # a path that climbs out: never written
        add(archive, base + "2b50.png", b"", kind=tarfile.SYMTYPE)  # a link: never followed
        add(archive, "package/emoji.json", json.dumps(EMOJI).encode())
    return path


@pytest.fixture
def package(tmp_path, monkeypatch):
    """The fake tarball, pinned as the twitter set's integrity, and served by a stand-in for `npm pack`."""
    tarball = fake_package(tmp_path / "emoji-datasource-twitter-16.0.0.tgz")
    pinned = dataclasses.replace(demo_art.EMOJI_SETS["twitter"], integrity=demo_art.sri_sha512(tarball))
    monkeypatch.setitem(demo_art.EMOJI_SETS, "twitter", pinned)
    calls = []

    def fake_npm_pack(spec, into):
        calls.append(spec)
        return shutil.copy(tarball, into)

    monkeypatch.setattr(demo_art, "npm_pack", fake_npm_pack)
    return tarball, calls


EXPECTED = {"people-body/1f44b.png", "people-body/1f44b-1f3fb.png", "people-body/1f44b-1f3ff.png",
            "smileys-emotion/1f600.png", "other/1fae9.png"}


def written(folder):
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_extracts_only_the_pictures_by_category_with_an_attribution(package, tmp_path, capsys):
    result = demo_art.fetch(tmp_path / "art")
    assert package[1] == ["emoji-datasource-twitter@16.0.0"]
    assert written(tmp_path / "art") == EXPECTED | {"ATTRIBUTION.txt"}
    assert not (tmp_path / "evil.png").exists() and not list(tmp_path.glob(".demo-art-*"))
    assert (result.pictures, result.download_bytes) == (5, package[0].stat().st_size)
    attribution = (tmp_path / "art" / "ATTRIBUTION.txt").read_text()
    for words in ("Twemoji", "CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/",
                  "emoji-datasource-twitter, version 16.0.0", "Twitter, Inc and other contributors"):
        assert words in attribution
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("demo art: 5 Twemoji pictures (64×64 PNG") and "sha512 checked" in out[-1]


def test_the_pictures_load_as_an_image_folder(package, tmp_path):
    demo_art.fetch(tmp_path / "art", verbose=False)
    loaded = image_folder.load(tmp_path / "art", 32, verbose=False)
    assert loaded.images.shape == (5, 32, 32, 3) and loaded.ignored == {".txt": 1}
    np.testing.assert_array_equal(loaded.images[loaded.files.index("other/1fae9.png")][16, 16], (0, 0, 255))
    np.testing.assert_array_equal(loaded.images[0][0, 0], (255, 255, 255))  # transparent corner on white


def test_skin_tones_can_be_left_out(package, tmp_path):
    result = demo_art.fetch(tmp_path / "art", skin_tones=False, verbose=False)
    assert result.pictures == 3
    assert written(tmp_path / "art") == EXPECTED - {"people-body/1f44b-1f3fb.png", "people-body/1f44b-1f3ff.png"} \
        | {"ATTRIBUTION.txt"}


def test_an_empty_existing_folder_is_filled_and_the_same_fetch_again_does_nothing(package, tmp_path, capsys):
    (tmp_path / "art").mkdir()
    demo_art.fetch(tmp_path / "art", verbose=False)
    again = demo_art.fetch(tmp_path / "art")
    assert again.already_there and again.pictures == 5 and len(package[1]) == 1  # npm was not run again
    assert capsys.readouterr().out.strip().endswith("already, from emoji-datasource-twitter@16.0.0; nothing to do")
    with pytest.raises(demo_art.DemoArtError, match="is not empty"):  # another fetch into the same folder
        demo_art.fetch(tmp_path / "art", skin_tones=False, verbose=False)


def test_a_tarball_that_is_not_the_pinned_one_is_refused_and_nothing_is_written(package, tmp_path):
    other = fake_package(tmp_path / "other.tgz", set_name="google")
    with pytest.raises(demo_art.DemoArtError, match="not the one pinned for emoji-datasource-twitter@16.0.0") as err:
        demo_art.fetch(tmp_path / "art", tarball=other, verbose=False)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "art").exists() and not list(tmp_path.glob(".demo-art-*"))


def test_a_given_tarball_is_used_instead_of_npm(package, tmp_path):
    result = demo_art.fetch(tmp_path / "art", tarball=package[0], verbose=False)
    assert result.pictures == 5 and package[1] == []
    with pytest.raises(demo_art.DemoArtError, match="does not exist"):
        demo_art.fetch(tmp_path / "art2", tarball=tmp_path / "missing.tgz", verbose=False)


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_text("x"), "is a file; pass the path of a new or empty folder"),
    (lambda p: (p.mkdir(), (p / "mine.png").write_bytes(b"")), "is not empty; pass a new or empty folder"),
])
def test_a_folder_in_use_is_a_clear_error(package, tmp_path, make, message):
    make(tmp_path / "art")
    with pytest.raises(demo_art.DemoArtError, match=message):
        demo_art.fetch(tmp_path / "art", verbose=False)
    assert package[1] == []


def test_a_folder_that_cannot_be_written_is_a_clear_error(package, tmp_path, monkeypatch):
    def refuse(**kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(demo_art.tempfile, "mkdtemp", refuse)
    with pytest.raises(demo_art.DemoArtError, match=r"cannot write into .* \(Permission denied\); pass a folder"):
        demo_art.fetch(tmp_path / "art", verbose=False)


NPM_OFFLINE = """npm error code ENOTFOUND
npm error syscall getaddrinfo
npm error errno ENOTFOUND
npm error network request to https://example.invalid/emoji-datasource-twitter failed, reason: getaddrinfo ENOTFOUND
npm error A complete log of this run can be found in: /root/.npm/_logs/debug-0.log
"""
NPM_NO_VERSION = """npm error code ETARGET
npm error notarget No matching version found for emoji-datasource-twitter@16.0.0.
"""


@pytest.mark.parametrize("stderr, message", [
    (NPM_OFFLINE, r"npm cannot reach its registry to fetch emoji-datasource-twitter@16.0.0 \(ENOTFOUND\); "
                  "connect to the internet, or run `npm pack"),
    (NPM_NO_VERSION, r"failed \(ETARGET: notarget No matching version found"),
])
def test_npm_failures_are_one_line(tmp_path, monkeypatch, stderr, message):
    monkeypatch.setattr(demo_art.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(demo_art.subprocess, "run",
                        lambda *a, **k: subprocess.CompletedProcess(a[0], 1, stdout="", stderr=stderr))
    with pytest.raises(demo_art.DemoArtError, match=message) as err:
        demo_art.npm_pack("emoji-datasource-twitter@16.0.0", tmp_path)
    assert "\n" not in str(err.value)


def test_no_npm_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(demo_art.shutil, "which", lambda name: None)
    with pytest.raises(demo_art.DemoArtError, match="npm is not installed; install Node.js .* --tarball"):
        demo_art.npm_pack("emoji-datasource-twitter@16.0.0", tmp_path)


def test_the_command_line_exits_0_or_2_with_one_line(package, tmp_path, capsys):
    assert demo_art.main([str(tmp_path / "art"), "--no-skin-tones"]) == 0
    assert len(list((tmp_path / "art").rglob("*.png"))) == 3
    # what to train next: the faces, a folder that exists
    assert f"--images {tmp_path / 'art' / demo_art.FACES} " in capsys.readouterr().out.splitlines()[-1]
    (tmp_path / "file").write_text("")
    assert demo_art.main([str(tmp_path / "file")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("demo_art: error: ")


def test_the_pinned_integrities_are_sha512():
    for emoji_set in demo_art.EMOJI_SETS.values():
        assert emoji_set.integrity.startswith("sha512-") and len(emoji_set.integrity) == 7 + 88


def test_the_chapter_07_modules_stay_low():
    """image_folder, augment and demo_art sit under train/metrics/cli: they must not import them."""
    import ast
    from pathlib import Path

    for module in ("image_folder", "augment", "demo_art"):
        tree = ast.parse((Path(demo_art.__file__).parent / f"{module}.py").read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {f"{node.module}.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                     for alias in node.names if node.module}
        assert not {name for name in imported if name.split(".")[:2] in (["ganlib", "train"], ["ganlib", "metrics"],
                                                                          ["ganlib", "cli"])}, module
