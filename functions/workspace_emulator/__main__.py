"""``python -m workspace_emulator --port N --seed FILE [--time-scale X] [--no-quotas]
[--latency-ms MS] [--no-retry-hints]``."""

from __future__ import annotations

import argparse

from workspace_emulator import server


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve in the foreground."""
    parser = argparse.ArgumentParser(prog="python -m workspace_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--seed", help="seed file (JSON or YAML); default: an empty world")
    parser.add_argument("--time-scale", type=float, default=1.0, help="quota time speed-up")
    parser.add_argument("--no-quotas", action="store_true", help="do not enforce quotas")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="modelled latency of every API call"
    )
    parser.add_argument(
        "--no-retry-hints",
        action="store_true",
        help="429s carry no Retry-After or RetryInfo (as Google's backend checks)",
    )
    args = parser.parse_args(argv)
    server.serve_forever(
        host=args.host,
        port=args.port,
        seed=args.seed,
        time_scale=args.time_scale,
        quotas=not args.no_quotas,
        latency_ms=args.latency_ms,
        retry_hints=not args.no_retry_hints,
    )


if __name__ == "__main__":
    main()
