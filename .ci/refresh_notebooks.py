"""Re-run chapter notebooks at full size and tidy their outputs for readers on GitHub.

    GANLIB_DATA_DIR=../shared/data python .ci/refresh_notebooks.py notebooks/03_wgan_gp.ipynb

For maintainers: the committed notebooks hold the outputs of a real full-size run. This executes each
notebook in place (GANLIB_QUICK unset, runs under a temporary GANLIB_RUNS_DIR), then

- drops TensorFlow's C++ start-up log lines (CUDA probing and the like) from stderr outputs; other
  stderr, such as the data loader's note, stays;
- gives each tqdm progress-bar widget a text fallback showing its final state: GitHub does not render
  widgets and would otherwise show the bar as it was created, at 0%.
"""

import argparse
import html
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TF_LOG_LINE = re.compile(r"^(WARNING: All log messages before absl|[IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ )")


def tidy_stderr(cell):
    kept = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            lines = [line for line in output["text"].splitlines(keepends=True) if not TF_LOG_LINE.match(line)]
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


def tidy(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            tidy_stderr(cell)
    tidy_progress_bars(nb)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--tidy-only", action="store_true", help="only tidy the outputs already there")
    args = parser.parse_args()
    if not args.tidy_only:
        os.environ.pop("GANLIB_QUICK", None)
        os.environ.pop("MPLBACKEND", None)  # the inline backend must draw the figures
        os.environ["GANLIB_RUNS_DIR"] = tempfile.mkdtemp(prefix="ganlib-refresh-")
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        if not args.tidy_only:
            start = time.perf_counter()
            NotebookClient(nb, timeout=1800, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
            print(f"{path}: executed in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        tidy(nb)
        nbformat.write(nb, path)


if __name__ == "__main__":
    main()
