"""The cold start: ``import main`` (what a new function instance loads before its first event)
in a fresh interpreter, timed, with that interpreter's peak resident memory."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[3]

COLD_START = """
import json, resource, sys, time
t = time.perf_counter()
import main
ms = (time.perf_counter() - t) * 1000
# Peak RSS of this interpreter: VmHWM belongs to the exec'd image; ru_maxrss can carry the
# parent's high-water mark over fork and exec (the bench's own heap), so it is the fallback.
try:
    with open("/proc/self/status") as status:
        rss = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024
except (OSError, StopIteration):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"import_ms": ms, "rss_mb": rss}))
"""


def measure(runs: int = 5) -> dict[str, float]:
    """Import time of functions/main.py in a fresh interpreter (the fastest of ``runs``: other
    work on the machine only ever adds time), and the median peak RSS."""
    samples = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", COLD_START],
            cwd=FUNCTIONS,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {
        "import_ms": round(min(s["import_ms"] for s in samples), 1),
        "rss_mb": round(statistics.median(s["rss_mb"] for s in samples), 1),
    }
