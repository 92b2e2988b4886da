"""``python -m workspace_emulator --port N --seed FILE [--time-scale X] [--no-quotas]``."""

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
    args = parser.parse_args(argv)
    server.serve_forever(
        host=args.host,
        port=args.port,
        seed=args.seed,
        time_scale=args.time_scale,
        quotas=not args.no_quotas,
    )


if __name__ == "__main__":
    main()
