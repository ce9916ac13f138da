"""The CPU a benchmark ran on, read one way by the benchmarks that name it in their results (time_to_quality,
throughput, own_images; dcgan_quality keeps its architecture-only string, which its kept rows are matched on)."""

import platform
from pathlib import Path


def cpu_name():
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows (processor or architecture)."""
    try:
        return next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()
