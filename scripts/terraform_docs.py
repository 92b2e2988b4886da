"""Regenerate the Inputs and Outputs tables of terraform/README.md from the root module.

terraform-docs cannot be installed here (it is a Go binary from GitHub releases), so this writes
the same table shape between the ``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->``
markers, from the variables and outputs python-hcl2 parses::

    .venv/bin/python scripts/terraform_docs.py          # rewrite the README's tables
    .venv/bin/python scripts/terraform_docs.py --check  # exit 1 if they are out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TERRAFORM = REPO / "terraform"
README = TERRAFORM / "README.md"
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def _blocks(kind: str) -> dict[str, dict[str, Any]]:
    import hcl2

    options = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(TERRAFORM.glob("*.tf")):
        with path.open(encoding="utf-8") as handle:
            doc = hcl2.load(handle, serialization_options=options)
        for entry in doc.get(kind, []):
            found.update(entry)
    return found


def _escape(name: str) -> str:
    return name.replace("_", "\\_")


def _one_line(text: str) -> str:
    words = str(text).split()
    if words and words[0] in ("<<-EOT", "<<EOT") and words[-1] == "EOT":
        words = words[1:-1]  # a heredoc as python-hcl2 returns it
    return " ".join(words).replace("|", "\\|")


def _expression(text: str) -> str:
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def _hcl(value: Any, *, depth: int = 0) -> str:
    """A default value as HCL-ish text (strings quoted; maps as ``{"key" = {attr = v}}``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = (
            f"{json.dumps(k) if depth == 0 else k} = {_hcl(v, depth=depth + 1)}"
            for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_hcl(v, depth=depth + 1) for v in value) + "]"
    return json.dumps(value)


def _default(body: dict[str, Any]) -> str:
    if "default" not in body:
        return "n/a"
    text = _hcl(body["default"])
    return (
        f"<pre>{text}</pre>"
        if isinstance(body["default"], dict) and body["default"]
        else f"`{text}`"
    )


def tables() -> str:
    """The Markdown between the markers."""
    lines = [
        "### Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
    ]
    for name, body in sorted(_blocks("variable").items()):
        lines.append(
            f'| <a name="input_{name}"></a> [{_escape(name)}](#input\\_{_escape(name)}) '
            f"| {_one_line(body.get('description', ''))} "
            f"| `{_one_line(_expression(str(body.get('type', 'any'))))}` "
            f"| {_default(body)} | {'no' if 'default' in body else 'yes'} |"
        )
    lines += ["", "### Outputs", "", "| Name | Description |", "|------|-------------|"]
    for name, body in sorted(_blocks("output").items()):
        lines.append(
            f'| <a name="output_{name}"></a> [{_escape(name)}](#output\\_{_escape(name)}) '
            f"| {_one_line(body.get('description', ''))} |"
        )
    return "\n".join(lines)


def render(readme: str) -> str:
    """``readme`` with fresh tables between the markers."""
    head, marker, rest = readme.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not marker or not end:
        msg = f"{README} lacks the {BEGIN} ... {END} markers"
        raise SystemExit(msg)
    return f"{head}{BEGIN}\n{tables()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the tables are stale")
    args = parser.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if args.check:
        if fresh != current:
            print(f"{README.relative_to(REPO)}: tables are out of date; run {__file__}")
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
