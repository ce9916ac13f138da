"""Throughput: training images per second for each model × loop mode, on the machine at hand.

    GANLIB_DATA_DIR=../shared/data python bench/throughput.py                      # every model and mode
    python bench/throughput.py --models dcgan --modes graph graph_k xla --seconds 20

Modes: eager (the step as plain Python, op by op), graph_sync (one ``tf.function`` call per step with every loss
read back to Python after each step: the loop before ``loop.Trainer``), graph (one call per step, losses read
about once a second: the default), graph_k (``steps_per_call`` = 16 steps per call), xla (graph with
``jit_compile``), mixed_float16 and mixed_bfloat16 (graph with a mixed-precision policy). Every timed mode goes through ``loop.Trainer`` — the loop
``fit`` uses — after a warm-up that pays for tracing; eager and graph_sync call the same step function directly.
The repeats go round all modes in turn, so that each mode's median is measured side by side with the others'.

Writes bench/results/throughput.{json,md}, naming the machine (CPU model, cores, GPU if any). A benchmark, not
a test.
"""

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ganlib import quiet  # noqa: E402

tf = quiet.import_tensorflow()

import numpy as np  # noqa: E402

from ganlib import data, loop, registry, train  # noqa: E402
from machine_info import cpu_name  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
MODES = ("eager", "graph_sync", "graph", "graph_k", "xla", "mixed_float16", "mixed_bfloat16")
K = 16


def machine():
    gpus = [tf.config.experimental.get_device_details(g).get("device_name", g.name)
            for g in tf.config.list_physical_devices("GPU")]
    return f"{cpu_name()}, {os.cpu_count()} cores" + (f", GPU: {', '.join(gpus)}" if gpus else ", no GPU")


def measure(model, mode, images, labels, seconds):
    precision = mode if mode.startswith("mixed") else "float32"
    gan = train.build_gan(model, seed=0, precision=precision)
    trainer = loop.Trainer(gan, images, labels if gan.num_classes else None,
                           steps_per_call=K if mode == "graph_k" else 1, jit_compile=mode == "xla")
    if mode in ("eager", "graph_sync"):
        batches = itertools.chain.from_iterable(trainer.epoch_iterator(epoch) for epoch in itertools.count(1))
        step = gan.replica_step if mode == "eager" else tf.function(gan.replica_step)
        step(next(batches))  # warm-up (and tracing)
        start, steps = time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            values = step(next(batches))
            if mode == "graph_sync":
                values = {name: float(value) for name, value in values.items()}  # a host sync per step
            steps += 1
        float(values["d_loss"])
    else:
        trainer.run(max_steps=2 * (K if mode == "graph_k" else 1))  # warm-up: tracing and compiling
        before = int(gan.step.numpy())
        start = time.perf_counter()
        trainer.run(deadline=time.monotonic() + seconds)
        steps = int(gan.step.numpy()) - before
    elapsed = time.perf_counter() - start
    return {"model": model, "mode": mode, "steps": steps, "seconds": elapsed,
            "images_per_second": steps * trainer.images_per_step / elapsed}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=list(registry.MODELS), choices=list(registry.MODELS))
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--seconds", type=float, default=10.0, help="timed seconds per model and mode")
    parser.add_argument("--repeat", type=int, default=1, help="measure each cell this many times (median kept)")
    args = parser.parse_args()
    mnist = data.load("mnist", verbose=False)
    rows = []
    for model in args.models:
        runs = {mode: [] for mode in args.modes}
        for _ in range(args.repeat):  # round after round over the modes: swings in the machine's speed hit all
            for mode in args.modes:
                runs[mode].append(measure(model, mode, mnist.images, mnist.labels, args.seconds))
        for mode, measured in runs.items():
            best = sorted(measured, key=lambda r: r["images_per_second"])[len(measured) // 2]
            best["all_images_per_second"] = [r["images_per_second"] for r in measured]
            rows.append(best)
            print(f"{model:12s} {mode:15s} {best['images_per_second']:9,.0f} images/s (runs: "
                  f"{', '.join(f'{r:,.0f}' for r in best['all_images_per_second'])})", flush=True)
    report = {"machine": machine(), "tensorflow": tf.__version__, "k": K, "seconds": args.seconds, "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "throughput.json").write_text(json.dumps(report, indent=2) + "\n")
    modes = [m for m in MODES if m in args.modes]
    lines = [f"Machine: {report['machine']}; TensorFlow {report['tensorflow']}; {args.seconds:g} s per cell "
             f"(median of {args.repeat}); graph_k = {K} steps per call. Images/s (ratio to graph):", "",
             "| model | " + " | ".join(modes) + " |", "|---" * (len(modes) + 1) + "|"]
    for model in args.models:
        cells = {r["mode"]: r["images_per_second"] for r in rows if r["model"] == model}
        base = cells.get("graph")
        lines.append(f"| {model} | " + " | ".join(
            f"{cells[m]:,.0f}" + (f" ({cells[m] / base:.2f}×)" if base and m != "graph" else "") for m in modes) + " |")
    (RESULTS / "throughput.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
