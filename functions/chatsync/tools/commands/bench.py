"""``chatsync bench [--quick] [--json FILE] [--out DIR]``: chatsync against the naive baseline;
``chatsync bench --scale [--json FILE]``: the 100,000-person org (keys under ``scale``)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from chatsync.tools.commands.subcommands import Subcommands


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "bench",
        help="benchmark chatsync against a naive baseline on the local emulator",
        description="HR events at zero latency (chatsync and a naive baseline side by side), a "
        "bulk reorg at the documented quotas time-scaled, and cold start. Prints a table; "
        "--json writes the figures; their keys are stable for scripts and CI (README, "
        "Throughput and quotas).",
    )
    p.add_argument("--quick", action="store_true", help="a smaller org: under a minute")
    p.add_argument(
        "--scale",
        action="store_true",
        help="the 100,000-person, 1,025-space org: plan, survey reads, a reorg fanned out as "
        "work items (a few minutes)",
    )
    p.add_argument(
        "--instances", type=int, metavar="N", help="work instances in the --scale reorg (3)"
    )
    p.add_argument(
        "--item-size", type=int, metavar="N", help="operations per work item in --scale (50)"
    )
    p.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    p.add_argument(
        "--out",
        metavar="DIR",
        default="bench-out",
        help="where the plot and generated rules go (default: bench-out)",
    )
    p.add_argument("--people", type=int, metavar="N", help="org size (overrides the preset)")
    p.add_argument("--events", type=int, metavar="N", help="HR events in the events phase")
    p.add_argument("--time-scale", type=float, metavar="X", help="quota time speed-up (reorg)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.scale:
        return scale(args)
    from chatsync.tools.benchmarking import reporting, running

    out = Path(args.out)
    cfg = running.Config.quick(out) if args.quick else running.Config.full(out)
    cfg = replace(
        cfg,
        people=args.people or cfg.people,
        events=args.events or cfg.events,
        time_scale=args.time_scale or cfg.time_scale,
    )
    raw = running.run(cfg, progress=lambda text: print(f"bench: {text}", file=sys.stderr))
    result = reporting.summary(raw)
    try:
        result["plot"] = str(
            reporting.plot(
                raw["reorg"]["write_offsets_scaled_s"], out=out / "writes-per-second.png"
            )
        )
    except ImportError:
        result["plot"] = None  # matplotlib is in the dev extra only
    sys.stdout.write(reporting.table(result))
    if result["plot"]:
        print(f"plot: {result['plot']}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def scale(args: argparse.Namespace) -> int:
    from chatsync.tools.benchmarking import scale_bench, scale_report

    cfg = scale_bench.ScaleConfig(out_dir=Path(args.out))
    cfg = replace(
        cfg,
        people=args.people or cfg.people,
        time_scale=args.time_scale or cfg.time_scale,
        instances=args.instances or cfg.instances,
        item_size=args.item_size or cfg.item_size,
    )
    from chatsync.tools.benchmarking.scale_org import peak_rss_mb

    raw = scale_bench.run(
        cfg,
        progress=lambda text: print(
            f"bench: {text} (peak RSS {peak_rss_mb():.0f} MB)", file=sys.stderr
        ),
    )
    result = scale_report.summary(raw)
    sys.stdout.write(scale_report.table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0
