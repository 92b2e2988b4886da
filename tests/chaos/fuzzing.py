"""A small deterministic mutational fuzzer: seeds from the sample messages and rules files.

Mutations work on three levels, chosen at random per input:

* structure: decode the JSON (or YAML) tree, then delete, duplicate, retype or replace a node
  with a hostile value (names with ``..``, ``/``, ``?``, ``%2F``, control characters, huge or
  negative numbers, deep nesting, wrong types);
* bytes: flip, insert, delete or truncate bytes of the payload (so base64 and UTF-8 break);
* envelope: drop or retype ``data``, ``attributes``, ids and times of the Pub/Sub message.
"""

from __future__ import annotations

import base64
import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chatsync.domain import messages

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "functions" / "chatsync" / "samples"
RULES = [
    ROOT / "functions" / "rules.yaml",
    *sorted((ROOT / "tests" / "data" / "rules").glob("*.yaml")),
]

HOSTILE_STRINGS = (
    "",
    " ",
    "spaces/../users/x",
    "spaces/AAAA/../../v1/spaces",
    "spaces/AAAA?useAdminAccess=true",
    "spaces/AAAA%2F..",
    "spaces/AAAA\n",
    "spaces/",
    "spaces/" + "A" * 300,
    "users/",
    "users/../spaces/AAAA",
    "../admin@example.com",
    "a..b@example.com",
    ".a@example.com",
    "a@example.com/../../x",
    "a@example.com?x=1",
    "a@example.com#frag",
    "a b@example.com",
    "a@example.com\r\nX-Header: 1",
    "ROLE_MANAGER",
    "owner",
    "\x00",
    "\ud800",
    "ü@exämple.com",
    "%00",
    "${jndi:ldap://x}",
    "1e309",
    "NaN",
    "-1",
    "9" * 40,
    "2026-13-45T99:99:99Z",
    "terminated",
    "person.terminated",
    "google.workspace.chat.membership.v1.deleted",
    "dirsync.hr.v1",
    "approve",
    "reconcile",
)
HOSTILE_VALUES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    2**63,
    -(2**63),
    1.5,
    float("inf"),
    [],
    {},
    [None],
    {"": None},
    *HOSTILE_STRINGS,
)


def seed_messages() -> list[dict[str, Any]]:
    """Every sample message (demo story and the per-source libraries) as a Pub/Sub message."""
    files = sorted(SAMPLES.rglob("*.json"))
    out = []
    for message in messages.load(files):
        out.append(message.to_pubsub())
    out.append({"data": "", "attributes": {}, "messageId": "1"})
    out.append({"attributes": {}, "messageId": "2"})
    out.append(
        {
            "data": base64.b64encode(b'{"kind": "approve", "plan_id": "hold-1"}').decode(),
            "messageId": "3",
        }
    )
    return out


SMALL_RULES = """\
version: 1
spaces:
  - {id: eng, name: spaces/AAAAeng, mode: authoritative}
  - {id: all, name: spaces/AAAAall, mode: additive}
protected: [ceo@example.com]
rules:
  - id: eng
    spaces: [eng]
    role: member
    when: {department: {in: [Platform, Data]}, is_people_manager: false}
  - id: leads
    spaces: [eng, all]
    role: owner
    when: {any: [{title: {regex: "Eng.* Manager"}}, {group: leads@example.com}]}
    unless: {not: {employment_status: active}}
safety: {max_removals_per_event: 5, max_removal_percent: 20, min_space_size_for_percent: 4}
"""


def seed_rules() -> list[str]:
    """The real files once, the small file (fast to load) the rest of the time."""
    return [path.read_text() for path in RULES] + [SMALL_RULES] * 6


class Mutator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    # -- values ---------------------------------------------------------------------------------
    def value(self, depth: int = 0) -> Any:
        r = self.rng.random()
        if r < 0.6 or depth > 3:
            return copy.deepcopy(self.rng.choice(HOSTILE_VALUES))
        if r < 0.8:
            return [self.value(depth + 1) for _ in range(self.rng.randint(0, 3))]
        if r < 0.95:
            return {self.rng.choice(HOSTILE_STRINGS): self.value(depth + 1) for _ in range(2)}
        nested: Any = "x"
        for _ in range(self.rng.choice((50, 200, 400))):
            nested = [nested]
        return nested

    def tree(self, node: Any, budget: int = 3) -> Any:
        """Mutate ``node`` (a JSON/YAML tree) in ``budget`` places."""
        node = copy.deepcopy(node)
        for _ in range(self.rng.randint(1, budget)):
            node = self._once(node)
        return node

    def _once(self, node: Any) -> Any:
        paths = list(_paths(node))
        if not paths:
            return self.value()
        path = self.rng.choice(paths)
        parent, key = _resolve(node, path)
        if parent is None:
            return self.value()
        action = self.rng.random()
        if action < 0.25 and isinstance(parent, dict):
            parent.pop(key, None)
        elif action < 0.35 and isinstance(parent, list) and parent:
            parent.pop(key)
        elif action < 0.45:
            current = parent[key]
            parent[key] = self._string_mutation(current) if isinstance(current, str) else current
            if isinstance(current, str):
                pass
            else:
                parent[key] = self.value()
        elif action < 0.55 and isinstance(parent, dict):
            parent[self.rng.choice(HOSTILE_STRINGS)] = self.value()
        else:
            parent[key] = self.value()
        return node

    def _string_mutation(self, text: str) -> str:
        choice = self.rng.random()
        if choice < 0.3:
            return text + self.rng.choice(("/..", "?x=1", "\n", "%2F", "/members/1", "@", ".."))
        if choice < 0.5:
            return self.rng.choice(("../", "/", " ", ".")) + text
        if choice < 0.7 and text:
            i = self.rng.randrange(len(text))
            return text[:i] + self.rng.choice("/.?#%@ \x00\n:") + text[i + 1 :]
        if choice < 0.85:
            return text.upper()
        return self.rng.choice(HOSTILE_STRINGS)

    # -- bytes ----------------------------------------------------------------------------------
    def bytes_(self, data: bytes) -> bytes:
        buf = bytearray(data)
        for _ in range(self.rng.randint(1, 4)):
            op = self.rng.random()
            if not buf or op < 0.25:
                buf[self.rng.randint(0, len(buf)) : self.rng.randint(0, len(buf))] = bytes(
                    self.rng.randrange(256) for _ in range(self.rng.randint(1, 4))
                )
            elif op < 0.5:
                i = self.rng.randrange(len(buf))
                buf[i] ^= 1 << self.rng.randrange(8)
            elif op < 0.75:
                del buf[self.rng.randrange(len(buf)) :]
            else:
                i = self.rng.randrange(len(buf))
                buf[i:i] = self.rng.choice((b'"', b"{", b"}", b"[", b"\\u0000", b"\xff", b"\\"))
        return bytes(buf)

    # -- Pub/Sub messages ----------------------------------------------------------------------
    def message(self, seed: dict[str, Any]) -> Any:
        message = copy.deepcopy(seed)
        r = self.rng.random()
        if r < 0.55:
            payload = _payload(message)
            if payload is not None:
                message["data"] = base64.b64encode(
                    json.dumps(self.tree(payload)).encode("utf-8", "surrogatepass")
                ).decode()
        elif r < 0.75:
            raw = base64.b64decode(message.get("data") or "")
            message["data"] = base64.b64encode(self.bytes_(raw)).decode()
        elif r < 0.77:
            depth = self.rng.choice((1_000, 100_000))
            message["data"] = base64.b64encode(b"[" * depth + b"]" * depth).decode()
        elif r < 0.85 and isinstance(message.get("data"), str):
            message["data"] = self._string_mutation(message["data"])
        elif r < 0.95:
            message = self.tree(message)
        else:
            return self.value()
        if self.rng.random() < 0.2 and isinstance(message, dict):
            message["attributes"] = self.tree(message.get("attributes") or {})
        return message

    def rules_text(self, seed: str) -> str:
        import yaml

        r = self.rng.random()
        if r < 0.5:
            tree = yaml.load(seed, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            try:
                dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
                return str(yaml.dump(self.tree(tree, budget=4), Dumper=dumper, allow_unicode=True))
            except (yaml.YAMLError, RecursionError, UnicodeEncodeError):
                return seed
        if r < 0.8:
            lines = seed.splitlines()
            for _ in range(self.rng.randint(1, 4)):
                i = self.rng.randrange(len(lines))
                action = self.rng.random()
                if action < 0.3:
                    del lines[i]
                elif action < 0.5:
                    lines.insert(i, lines[self.rng.randrange(len(lines))])
                elif action < 0.8:
                    lines[i] = self._string_mutation(lines[i])
                else:
                    lines[i] = lines[i] + self.rng.choice(
                        (" &a", " *a", " !!python/object:os.system", " ~", ": [", " {", "\t", " |")
                    )
            return "\n".join(lines)
        return self.bytes_(seed.encode()).decode("utf-8", "replace")


def _payload(message: dict[str, Any]) -> Any:
    try:
        return json.loads(base64.b64decode(message.get("data") or ""))
    except ValueError:
        return None


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if len(prefix) > 6:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node[:20]):
            yield from _paths(value, (*prefix, i))


def _resolve(node: Any, path: tuple[Any, ...]) -> tuple[Any, Any]:
    if not path:
        return None, None
    parent = node
    for key in path[:-1]:
        parent = parent[key]
    return parent, path[-1]
