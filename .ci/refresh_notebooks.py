"""Re-run chapter notebooks at full size and tidy their outputs for readers on GitHub.

    GANLIB_DATA_DIR=../shared/data python .ci/refresh_notebooks.py notebooks/03_wgan_gp.ipynb

For maintainers: the committed notebooks hold the outputs of a real full-size run. This executes each
notebook in place (GANLIB_QUICK unset; the kernel works in a fresh temporary folder, so its runs/ and any
path it prints are relative, never a machine's), then

- drops TensorFlow's C++ log lines (``ganlib.quiet.CHATTER``) and Python warnings from stderr outputs; other
  stderr, such as the data loader's note, stays;
- gives each tqdm progress-bar widget a text fallback showing its final state: GitHub does not render
  widgets and would otherwise show the bar as it was created, at 0%;
- re-encodes large PNG figures as 256-colour palette PNGs, to keep each notebook under 1.5 MB.

``tests/test_notebooks.py`` checks the result: no paths, no noise, the shown source current, under 1.5 MB.
"""

import argparse
import base64
import html
import io
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from PIL import Image
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ganlib.quiet import CHATTER  # noqa: E402

WARNING_LINE = re.compile(r"^\S+\.py:\d+: \w*Warning: ")  # "file.py:142: LinAlgWarning: ..." (+ its source line)


def drop_warnings(lines):
    kept, skip_next = [], False
    for line in lines:
        if skip_next and line.startswith("  "):
            skip_next = False
            continue
        skip_next = bool(WARNING_LINE.match(line))
        if not skip_next:
            kept.append(line)
    return kept


def tidy_stderr(cell):
    kept = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            lines = drop_warnings([line for line in output["text"].splitlines(keepends=True)
                                   if not CHATTER.match(line)])
            if not "".join(lines).strip():
                continue
            output["text"] = "".join(lines)
        kept.append(output)
    cell["outputs"] = kept


def final_progress_text(model_id, state):
    """'desc: 100%|██████████| n/total [time, rate, postfix]' from a tqdm HBox widget's saved state."""
    box = state.get(model_id, {}).get("state", {})
    parts = [state.get(child.replace("IPY_MODEL_", ""), {}).get("state", {}) for child in box.get("children", [])]
    if len(parts) != 3:
        return None
    left, bar, right = (html.unescape(str(p.get("value", ""))).replace("\u2007", " ") for p in parts)
    filled = int(10 * float(parts[1].get("value", 0)) / max(float(parts[1].get("max", 1)), 1e-9))
    return f"{left}|{'█' * filled}{' ' * (10 - filled)}|{right}"


def tidy_progress_bars(nb):
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view:
                text = final_progress_text(view["model_id"], state)
                if text:
                    output["data"]["text/plain"] = text


def shrink_pictures(cell, above=64 * 1024):
    """Re-encode large PNG figures as 256-colour palette PNGs (same pixels' size, a third of the bytes): colour
    sample grids would otherwise push a chapter past the 1.5 MB a notebook may weigh."""
    for output in cell.get("outputs", []):
        encoded = output.get("data", {}).get("image/png")
        if not encoded or len(encoded) < above:
            continue
        picture = Image.open(io.BytesIO(base64.b64decode(encoded))).convert("RGB")
        buffer = io.BytesIO()
        picture.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(buffer, "PNG", optimize=True)
        smaller = base64.b64encode(buffer.getvalue()).decode("ascii")
        if len(smaller) < len(encoded):
            output["data"]["image/png"] = smaller


def tidy(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            tidy_stderr(cell)
            shrink_pictures(cell)
    tidy_progress_bars(nb)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--tidy-only", action="store_true", help="only tidy the outputs already there")
    args = parser.parse_args()
    if not args.tidy_only:
        os.environ.pop("GANLIB_QUICK", None)
        os.environ.pop("MPLBACKEND", None)  # the inline backend must draw the figures
        os.environ.pop("GANLIB_RUNS_DIR", None)  # runs/ inside the kernel's own folder
        if os.environ.get("GANLIB_DATA_DIR"):
            os.environ["GANLIB_DATA_DIR"] = os.path.abspath(os.environ["GANLIB_DATA_DIR"])
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        if not args.tidy_only:
            start = time.perf_counter()
            workdir = tempfile.mkdtemp(prefix="refresh-")
            try:
                NotebookClient(nb, timeout=1800, kernel_name="python3",
                               resources={"metadata": {"path": workdir}}).execute()
            except CellExecutionError:
                # keep what ran (the numbers behind a failed claim) for the maintainer; the notebook stays as it was
                partial = Path(workdir) / path.name
                nbformat.write(nb, partial)
                print(f"{path}: a cell failed; the outputs so far are in {partial}", file=sys.stderr)
                raise
            print(f"{path}: executed in {time.perf_counter() - start:.0f} s", file=sys.stderr)
            shutil.rmtree(workdir)  # the runs it trained (~100 MB); kept above only when a cell failed
        tidy(nb)
        nbformat.write(nb, path)


if __name__ == "__main__":
    main()
