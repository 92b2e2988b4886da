"""The fixed JSON keys (issue 8), the readable table and the writes-per-second plot."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

TARGETS = (
    "write_calls == necessary_writes",
    "quota_utilization >= 0.90",
    "http_429 <= 1% of calls",
    "lost_changes == 0",
    "events_per_s >= 10x baseline",
    "import_ms <= 400",
    "events_latency: events_per_s >= 20x baseline",
)


def summary(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level counts are chatsync's whole run (events + reorg); ``baseline`` the same events."""
    ev, reorg, cold = raw["events"], raw["reorg"], raw["cold_start"]
    ours, theirs = ev["chatsync"], ev["baseline"]
    calls = reorg["calls"] + ours["write_attempts"] + ours["read_calls"]
    result: dict[str, Any] = {
        "necessary_writes": ev["necessary_writes"] + reorg["necessary_writes"],
        "write_calls": ours["write_calls"] + reorg["write_calls"],
        "write_attempts": ours["write_attempts"] + reorg["write_attempts"],
        "read_calls": ours["read_calls"] + reorg["read_calls"],
        "events": ev["events"] + 1,
        "quota_utilization": reorg["quota_utilization"],
        "http_429": ours["http_429"] + reorg["http_429"],
        "lost_changes": ours["lost_changes"] + reorg["lost_changes"],
        "events_per_s": ours["events_per_s"],
        "import_ms": cold["import_ms"],
        "rss_mb": cold["rss_mb"],
        "baseline": {
            "write_calls": theirs["write_calls"],
            "read_calls": theirs["read_calls"],
            "events_per_s": theirs["events_per_s"],
            "write_attempts": theirs["write_attempts"],
            "necessary_writes": ev["necessary_writes"],
            "lost_changes": theirs["lost_changes"],
            "events": ev["events"],
        },
        "calls": calls,
        "p50_ms": ours["p50_ms"],
        "p99_ms": ours["p99_ms"],
        "events_latency": raw["events_latency"],
        "phases": {
            "events": ev,
            "reorg": {k: v for k, v in reorg.items() if k != "write_offsets_scaled_s"},
        },
    }
    result["targets"] = _targets(result)
    return result


def _targets(r: Mapping[str, Any]) -> dict[str, bool]:
    base = r["baseline"]["events_per_s"]
    return dict(
        zip(
            TARGETS,
            (
                r["write_calls"] == r["necessary_writes"],
                r["quota_utilization"] >= 0.90,
                r["http_429"] <= 0.01 * max(1, r["calls"]),
                r["lost_changes"] == 0,
                base > 0 and r["events_per_s"] >= 10 * base,
                r["import_ms"] <= 400,
                _latency_ratio(r["events_latency"]) >= 20,
            ),
            strict=True,
        )
    )


def _latency_ratio(latency: Mapping[str, Any]) -> float:
    base = float(latency["baseline_events_per_s"])
    return float(latency["events_per_s"]) / base if base > 0 else 0.0


def table(r: Mapping[str, Any]) -> str:
    """Side by side: the events phase (chatsync vs baseline), then the reorg and cold start."""
    ev = r["phases"]["events"]
    ours, theirs = ev["chatsync"], ev["baseline"]
    reorg = r["phases"]["reorg"]
    lat = r["events_latency"]

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}x" if b else "-"

    rows = [
        (f"HR events ({ev['events']}), zero latency", "chatsync", "baseline", "chatsync/baseline"),
        ("necessary writes (oracle)", ev["necessary_writes"], ev["necessary_writes"], ""),
    ]
    for key, label in (
        ("write_calls", "write calls accepted"),
        ("write_attempts", "write attempts"),
        ("read_calls", "read calls"),
    ):
        rows.append((label, ours[key], theirs[key], ratio(ours[key], theirs[key])))
        rows.append(
            (
                "  per event",
                ours["per_event"][key],
                theirs["per_event"][key],
                ratio(ours["per_event"][key], theirs["per_event"][key]),
            )
        )
    rows += [
        ("lost changes", ours["lost_changes"], theirs["lost_changes"], ""),
        (
            "events/s",
            ours["events_per_s"],
            theirs["events_per_s"],
            ratio(ours["events_per_s"], theirs["events_per_s"]),
        ),
        (
            f"  the median of {len(ev.get('rounds', ())) or 1} rounds",
            "",
            "",
            " ".join(f"{x['ratio']:.2f}x" for x in ev.get("rounds", ())),
        ),
        ("overhead p50 / p99 ms", f"{ours['p50_ms']} / {ours['p99_ms']}", "", ""),
        (
            "  before: scheduled reconcile (reads)",
            ours.get("warm_up_reconcile", {}).get("read_calls", 0),
            "",
            "not timed",
        ),
        ("", "", "", ""),
        (
            f"reorg: {reorg['people']} people, {reorg['spaces']} spaces, "
            f"quotas x{reorg['time_scale']:g}",
            "chatsync",
            "",
            "",
        ),
        ("necessary writes (oracle)", reorg["necessary_writes"], "", ""),
        (
            "write calls accepted / attempts",
            f"{reorg['write_calls']} / {reorg['write_attempts']}",
            "",
            "",
        ),
        (
            "read calls (busiest space)",
            f"{reorg['read_calls']} ({reorg['busiest_space_reads']})",
            "",
            "",
        ),
        (
            "quota-bound / elapsed (scaled s)",
            f"{reorg['quota_bound_s']} / {reorg['elapsed_scaled_s']}",
            "",
            "",
        ),
        ("quota_utilization", reorg["quota_utilization"], "", ""),
        ("429 answers / lost changes", f"{reorg['http_429']} / {reorg['lost_changes']}", "", ""),
        ("", "", "", ""),
        (
            f"HR events, {lat['latency_ms']:g} ms a call "
            f"({lat['events']} / {lat['baseline_events']})",
            "chatsync",
            "baseline",
            "chatsync/baseline",
        ),
        (
            "events/s",
            lat["events_per_s"],
            lat["baseline_events_per_s"],
            ratio(lat["events_per_s"], lat["baseline_events_per_s"]),
        ),
        ("", "", "", ""),
        ("cold start: import main (ms) / RSS (MB)", f"{r['import_ms']} / {r['rss_mb']}", "", ""),
    ]
    widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
    lines = [
        "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    lines.append("")
    lines += [f"[{'ok' if ok else 'MISSED'}] {name}" for name, ok in r["targets"].items()]
    return "\n".join(lines) + "\n"


def plot(
    offsets: list[float], *, out: Path, quota_per_s: float = 5.0, window: float = 10.0
) -> Path:
    """Accepted writes a second (scaled time, ``window``-second bins) against the quota line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    end = max(offsets, default=0.0)
    bins = int(end // window) + 1
    counts = [0] * bins
    for t in offsets:
        counts[int(t // window)] += 1
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.step(
        [i * window for i in range(bins)],
        [c / window for c in counts],
        where="post",
        label="chatsync: accepted writes/s",
    )
    ax.axhline(quota_per_s, color="red", linestyle="--", label="quota: 300 writes/min")
    ax.set_xlabel("seconds (quota time)")
    ax.set_ylabel("writes / second")
    ax.set_ylim(0, quota_per_s * 1.4)
    ax.legend(loc="lower right")
    ax.set_title("Bulk reorg: membership writes against the project quota")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
