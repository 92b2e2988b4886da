"""``chatsync bench --scale``: the fixed JSON keys (all under ``scale``, issue 15), the targets
and the figures table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TARGETS = (
    "people >= 100,000 and spaces >= 1,000",
    "plan_s <= 30",
    "reorg.necessary_writes >= 10,000",
    "reorg.write_calls == necessary_writes",
    "reorg.quota_utilization >= 0.90",
    "reorg.lost_changes == 0",
    "reorg.http_429 <= 1% of calls",
    "reorg.max_invocation_s <= invocation_budget_s",
    "reorg.invocations >= 2",
    "rss_mb <= 2048",
    "bench --scale under 25 minutes",
)


def summary(raw: Mapping[str, Any]) -> dict[str, Any]:
    """``{"scale": {...}}``: the issue's keys first, then the phases' other figures."""
    reads, reorg = raw["reads"], raw["reorg"]
    scale: dict[str, Any] = {
        "people": raw["people"],
        "spaces": raw["spaces"],
        "memberships": raw["memberships"],
        "plan_s": raw["plan_s"],
        "read_quota_utilization": reads["read_quota_utilization"],
        "rss_mb": raw["rss_mb"],
        "reorg": {
            "necessary_writes": reorg["necessary_writes"],
            "write_calls": reorg["write_calls"],
            "quota_utilization": reorg["quota_utilization"],
            "http_429": reorg["http_429"],
            "lost_changes": reorg["lost_changes"],
            "invocations": reorg["invocations"],
            "max_invocation_s": reorg["max_invocation_s"],
            "invocation_budget_s": reorg["invocation_budget_s"],
            **{k: v for k, v in reorg.items() if k not in _REORG_KEYS},
        },
        "plan": raw["plan"],
        "changed_people": raw["changed_people"],
        "reads_if_items_by_people": raw["reads_if_items_by_people"],
        "all_hands_members": raw["all_hands_members"],
        "reads": reads,
        "total_s": raw["total_s"],
    }
    scale["targets"] = _targets(scale)
    return {"scale": scale}


_REORG_KEYS = (
    "necessary_writes",
    "write_calls",
    "quota_utilization",
    "http_429",
    "lost_changes",
    "invocations",
    "max_invocation_s",
    "invocation_budget_s",
)


def _targets(s: Mapping[str, Any]) -> dict[str, bool]:
    r = s["reorg"]
    return dict(
        zip(
            TARGETS,
            (
                s["people"] >= 100_000 and s["spaces"] >= 1_000,
                s["plan_s"] <= 30,
                r["necessary_writes"] >= 10_000,
                r["write_calls"] == r["necessary_writes"],
                r["quota_utilization"] >= 0.90,
                r["lost_changes"] == 0,
                r["http_429"] <= 0.01 * max(1, r["calls"]),
                r["max_invocation_s"] <= r["invocation_budget_s"],
                r["invocations"] >= 2,
                s["rss_mb"] <= 2048,
                s["total_s"] < 25 * 60,
            ),
            strict=True,
        )
    )


def table(result: Mapping[str, Any]) -> str:
    """The figures, then one line per target: ``[ok]`` or ``[miss]``."""
    s = result["scale"]
    r, reads = s["reorg"], s["reads"]
    rows = [
        ("org", f"{s['people']:,} people, {s['spaces']:,} spaces, {s['memberships']:,} members"),
        ("largest spaces (members)", ", ".join(f"{n:,}" for n in s["all_hands_members"])),
        ("pure plan of the reorg (s)", s["plan_s"]),
        ("  plan", ", ".join(f"{k} {v:,}" for k, v in s["plan"].items())),
        (
            "  items by people would read",
            f"{s['reads_if_items_by_people']:,} memberships ({s['changed_people']:,} people); "
            "by space: none",
        ),
        (
            f"reads: survey, quota x{reads['read_time_scale']:g}",
            f"{reads['read_calls']:,} Chat reads, {reads['directory_calls']:,} Directory",
        ),
        (
            "  quota-bound / Chat reads took (s)",
            f"{reads['read_quota_bound_s']} / {reads['reads_scaled_s']}",
        ),
        ("  read_quota_utilization", s["read_quota_utilization"]),
        (
            f"reorg: fanned out, quota x{r['time_scale']:g}",
            f"{r['items']} items, {r['instances']} instances x {r['writes_per_instance_minute']:g}"
            " writes/min",
        ),
        ("  necessary writes (oracle)", f"{r['necessary_writes']:,}"),
        ("  write calls accepted / attempts", f"{r['write_calls']:,} / {r['write_attempts']:,}"),
        ("  quota-bound / elapsed (scaled s)", f"{r['quota_bound_s']} / {r['elapsed_scaled_s']}"),
        ("  quota_utilization", r["quota_utilization"]),
        ("  429 answers / lost changes", f"{r['http_429']} / {r['lost_changes']}"),
        (
            "  invocations (continuations)",
            f"{r['invocations']} ({r['continuations']} continuations, {r['redelivered']} "
            "redelivered)",
        ),
        (
            "  longest invocation / budget (scaled s)",
            f"{r['max_invocation_s']} / {r['invocation_budget_s']}",
        ),
        ("peak RSS (MB)", s["rss_mb"]),
        ("whole benchmark (s)", s["total_s"]),
    ]
    width = max(len(str(k)) for k, _ in rows)
    lines = [f"{k.ljust(width)}  {v}" for k, v in rows]
    lines.append("")
    lines += [f"[{'ok' if ok else 'miss'}] {name}" for name, ok in s["targets"].items()]
    return "\n".join(lines) + "\n"
