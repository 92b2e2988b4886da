"""``chatsync bench --quick --json``: every fixed key is there (small sizes, no timing)."""

from __future__ import annotations

import json
from pathlib import Path

from chatsync.tools.cli import main

KEYS = (
    "necessary_writes",
    "write_calls",
    "write_attempts",
    "read_calls",
    "events",
    "quota_utilization",
    "http_429",
    "lost_changes",
    "events_per_s",
    "import_ms",
    "rss_mb",
)


def test_bench_quick_json_has_every_fixed_key(tmp_path: Path) -> None:
    """The JSON holds the issue's top-level keys and the baseline's, and the plot is written."""
    out = tmp_path / "bench.json"

    code = main(
        [
            "bench",
            "--quick",
            "--people",
            "150",
            "--events",
            "4",
            "--time-scale",
            "200",
            "--json",
            str(out),
            "--out",
            str(tmp_path / "bench-out"),
        ]
    )

    assert code == 0
    figures = json.loads(out.read_text())
    assert set(KEYS) <= set(figures)
    assert {"write_calls", "read_calls", "events_per_s"} <= set(figures["baseline"])
    assert figures["lost_changes"] == 0
    assert figures["write_calls"] == figures["necessary_writes"]
    assert (tmp_path / "bench-out" / "writes-per-second.png").stat().st_size > 0
