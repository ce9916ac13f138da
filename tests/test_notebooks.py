"""The committed notebooks stay true without running them: the ganlib source they show is the current source, their
outputs hold no machine's paths, errors or TensorFlow chatter, each is light enough for GitHub, opens with a tagged
Parameters cell and ends with a summary, exercises and references. A doctored copy shows each check bites; and a
claim that stops being true fails nbval."""

import copy
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
SIZE_BUDGET = 1_500_000  # bytes: GitHub's notebook viewer struggles beyond a few MB
ABSOLUTE_PATH = re.compile(r"""(?:^|[\s'"(=\[])(/(?:[\w.-]+/){2,}[\w.-]*)""", re.M)
TEMP_PATH = re.compile(r"(/tmp/|/var/folders/|ganlib-(test-runs|refresh)-|pytest-of-)")
NOISE = re.compile(r"(^|\n)([IWEF]\d{4} \d\d:\d\d|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] |WARNING: All log messages"
                   r"|To enable the following instructions|cuInit|LinAlgWarning|Traceback \(most recent call last\)"
                   # the body of a multi-line C++ warning whose first line (the log prefix) was filtered
                   r"|type_id: TFT_|goo\.gle/debugonly)")
SHOWN = re.compile(r"show_source\(([^)]*)\)")


def output_text(output):
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return "\n".join(output.get("traceback", [])) + output.get("ename", "")
    data = output.get("data", {})
    return "".join(v if isinstance(v, str) else "".join(v) for k, v in data.items() if k.startswith("text/"))


def problems(nb, size=None):
    """Everything wrong with a notebook, as a list of one-line strings (empty: it is fine)."""
    found = []
    if size is not None and size > SIZE_BUDGET:
        found.append(f"{size / 1e6:.1f} MB, over the {SIZE_BUDGET / 1e6:.1f} MB budget")
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not any("parameters" in c.metadata.get("tags", []) for c in code):
        found.append("no code cell tagged 'parameters'")
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for heading in ("What you will learn", "Summary", "Exercises", "References"):
        if not re.search(rf"^#+ .*{heading}", markdown, re.M | re.I):
            found.append(f"no '{heading}' section")
    for i, cell in enumerate(code):
        if cell.get("outputs") and cell.get("execution_count") is None:
            # nbval fails such a cell ("unrun reference cell has outputs"): outputs pasted in, not run
            found.append(f"code cell {i}: outputs without an execution count")
        for output in cell.get("outputs", []):
            text = output_text(output)
            if output.get("output_type") == "error":
                found.append(f"code cell {i}: an error output ({output.get('ename')})")
            for match in ABSOLUTE_PATH.finditer(text):
                found.append(f"code cell {i}: absolute path {match.group(1)}")
            if TEMP_PATH.search(text):
                found.append(f"code cell {i}: a temporary folder's path")
            if NOISE.search(text):
                found.append(f"code cell {i}: TensorFlow/C++ log noise or a warning: {NOISE.search(text).group(0)!r}")
            if "image/gif" in output.get("data", {}):
                found.append(f"code cell {i}: a GIF output (GitHub does not play them; show a still strip)")
        for names in SHOWN.findall(cell.source):
            shown = "\n".join(output_text(o) for o in cell.get("outputs", []))
            for name in filter(None, (n.strip() for n in names.split(","))):
                current = current_source(name)
                if current is not None and current.rstrip() not in shown:
                    found.append(f"code cell {i}: the shown source of {name} is not ganlib's current source")
    return found


def current_source(dotted):
    """inspect.getsource of e.g. ``losses.gradient_penalty`` or ``style.StyleGenerator.call`` (ganlib modules)."""
    import inspect

    parts = dotted.split(".")
    try:
        target = importlib.import_module(f"ganlib.{parts[0]}")
    except ImportError:
        return None
    for part in parts[1:]:
        target = getattr(target, part)
    return inspect.getsource(target)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_the_committed_notebook_is_true_light_and_framed(path):
    assert problems(nbformat.read(path, as_version=4), size=path.stat().st_size) == []


def test_each_check_bites_on_a_doctored_copy():
    original = nbformat.read(NOTEBOOKS[0], as_version=4)
    assert problems(original) == []

    def doctored(change):
        nb = copy.deepcopy(original)
        change(nb)
        return problems(nb)

    def first_code(nb, source_has=""):
        return next(c for c in nb.cells if c.cell_type == "code" and source_has in c.source and c.get("outputs"))

    def stale_source(nb):  # a shown function that has since changed in ganlib
        cell = next(c for c in nb.cells if c.cell_type == "code" and "show_source(" in c.source)
        for output in cell.outputs:
            if "data" in output:
                output["data"]["text/markdown"] = output["data"]["text/markdown"].replace("return", "return  ")

    def stream(text):
        return lambda nb: first_code(nb).outputs.append(nbformat.v4.new_output("stream", name="stderr", text=text))

    assert any("shown source" in p for p in doctored(stale_source))
    assert any("absolute path" in p for p in doctored(stream("loaded 10,000 images from /home/ana/data/mnist\n")))
    assert any("temporary" in p for p in doctored(stream("runs in /tmp/ganlib-refresh-x1/02\n")))
    assert any("log noise" in p for p in doctored(stream(
        "E0000 00:00:1795647739.316783   11254 cuda_platform.cc:52] failed call to cuInit: UNKNOWN ERROR (303)\n")))
    assert any("log noise" in p for p in doctored(stream("LinAlgWarning: Matrix is singular.\n")))
    assert any("error output" in p for p in doctored(lambda nb: first_code(nb).outputs.append(
        nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=[]))))
    assert any("execution count" in p for p in doctored(lambda nb: first_code(nb).__setitem__("execution_count", None)))
    assert any("GIF" in p for p in doctored(lambda nb: first_code(nb).outputs.append(
        nbformat.v4.new_output("display_data", data={"image/gif": "R0lGOD", "text/plain": "<Image>"}))))

    def untag(nb):
        for cell in nb.cells:
            cell.metadata.pop("tags", None)

    assert "no code cell tagged 'parameters'" in doctored(untag)
    assert any("References" in p for p in doctored(lambda nb: nb.cells.__setitem__(
        slice(None), [c for c in nb.cells if "References" not in c.source])))
    assert any("over the" in p for p in [*problems(original, size=SIZE_BUDGET + 1)])


def test_a_claim_that_stops_being_true_fails_nbval(tmp_path):
    """A chapter's claims are asserts (notebook.claim): doctor one threshold in a copy of chapter 01 and the
    notebook test fails; the undoctored copy passes."""
    source = nbformat.read(NOTEBOOKS[0], as_version=4)
    claim_index = next(i for i, c in enumerate(source.cells) if c.cell_type == "code" and "claim(" in c.source)
    first_number = re.compile(r"(claim\([^,]*?)(\d+(?:\.\d+)?(?:e-?\d+)?)")  # the threshold of the first claim
    for name, doctor in (("true", lambda s: s), ("doctored", lambda s: first_number.sub(r"\g<1>-1", s, 1))):
        nb = copy.deepcopy(source)
        nb.cells = nb.cells[: claim_index + 1]  # up to the first claim: fast
        nb.cells[claim_index].source = doctor(nb.cells[claim_index].source)
        path = tmp_path / f"{name}.ipynb"
        nbformat.write(nb, path)
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                               "--nbval-current-env", str(path), "-o", "addopts=", "--rootdir", str(tmp_path)],
                              capture_output=True, text=True, cwd=tmp_path, timeout=600)
        if name == "true":
            assert done.returncode == 0, done.stdout[-3000:]
        else:
            assert done.returncode != 0 and "claim" in done.stdout, done.stdout[-3000:]


def test_refresh_tidies_what_the_test_forbids():
    """.ci/refresh_notebooks.py strips the noise a real run leaves (TF log lines, warnings) from outputs."""
    sys.path.insert(0, str(REPO / ".ci"))
    refresh = importlib.import_module("refresh_notebooks")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", outputs=[nbformat.v4.new_output(
        "stream", name="stderr",
        text="I0000 00:00:1795647735.233928   11254 cudart_stub.cc:31] Could not find cuda drivers\n"
             "/work/main/ganlib/metrics.py:142: LinAlgWarning: Matrix is singular.\n"
             "  covmean = scipy.linalg.sqrtm(cov_a @ cov_b)\n"
             "ganlib.data: only the test split of mnist is at $GANLIB_DATA_DIR/mnist\n")])])
    refresh.tidy(nb)
    assert json.dumps(nb["cells"][0]["outputs"]).count("\\n") == 1
    assert "only the test split" in nb.cells[0].outputs[0]["text"]
