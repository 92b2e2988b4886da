"""Parsed view of ``terraform/`` for the offline Terraform tests.

Nothing here needs a provider, ``terraform init`` or the network: python-hcl2 (8.x) parses the
files, and the tests assert on the parsed blocks. Expressions stay strings such as
``"${google_pubsub_topic.events[each.key].id}"``, so relations are checked by reference text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
FUNCTIONS = REPO / "functions"


def tf_files() -> list[Path]:
    """Every ``.tf`` file of the root module and any submodule."""
    return sorted(p for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts)


def parse(path: Path) -> dict[str, Any]:
    """One ``.tf`` file as python-hcl2 8.x sees it (string quotes stripped, no comments)."""
    import hcl2

    if not hasattr(hcl2, "SerializationOptions"):
        pytest.fail(
            f"hcl2 at {hcl2.__file__} is not python-hcl2 8.x (checkov's fork bc-python-hcl2 "
            "shares its package directory): keep checkov in .venv-checkov only"
        )
    options = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)
    with path.open(encoding="utf-8") as handle:
        parsed: dict[str, Any] = hcl2.load(handle, serialization_options=options)
    return parsed


def block(value: Any) -> dict[str, Any]:
    """The single nested block *value* (python-hcl2 gives blocks as lists of dicts)."""
    assert isinstance(value, list), f"expected a block, found {value!r}"
    assert len(value) == 1, f"expected one block, found {len(value)}"
    assert isinstance(value[0], dict)
    return value[0]


def blocks(value: Any) -> list[dict[str, Any]]:
    """Every nested block in *value* (empty when the block is absent)."""
    if value is None:
        return []
    assert isinstance(value, list), f"expected blocks, found {value!r}"
    return value


@dataclass
class Module:
    """Resources, data sources, variables, outputs and locals of ``terraform/``, by name."""

    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)
    text: dict[str, str] = field(default_factory=dict)

    def of_type(self, rtype: str) -> dict[str, dict[str, Any]]:
        """Resources of one type, by name (empty when there are none)."""
        return self.resources.get(rtype, {})

    def resource(self, rtype: str, name: str) -> dict[str, Any]:
        """One resource body; fails the test naming it when it is missing."""
        found = self.of_type(rtype).get(name)
        assert found is not None, f"terraform/ has no {rtype}.{name}"
        return found

    def all_resources(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Every resource as (type, name, body)."""
        for rtype, named in sorted(self.resources.items()):
            for name, body in sorted(named.items()):
                yield rtype, name, body

    def all_text(self) -> str:
        """The raw text of every ``.tf`` file, for reference searches."""
        return "\n".join(self.text.values())


def _add(target: dict[str, dict[str, Any]], entries: list[dict[str, Any]], where: str) -> None:
    for entry in entries:
        for rtype, named in entry.items():
            for name, body in named.items():
                existing = target.setdefault(rtype, {})
                assert name not in existing, f"{where}: {rtype}.{name} declared twice"
                existing[name] = body


def load_module(directory: Path) -> Module:
    """The module in ``directory`` (its own ``.tf`` files, not its submodules)."""
    result = Module()
    for path in sorted(directory.glob("*.tf")):
        where = str(path.relative_to(REPO))
        doc = parse(path)
        result.text[where] = path.read_text(encoding="utf-8")
        _add(result.resources, doc.get("resource", []), where)
        _add(result.data, doc.get("data", []), where)
        for entry in doc.get("variable", []):
            result.variables.update(entry)
        for entry in doc.get("output", []):
            result.outputs.update(entry)
        for entry in doc.get("locals", []):
            result.locals.update({k: v for k, v in entry.items() if not k.startswith("__")})
        result.terraform.extend(doc.get("terraform", []))
    return result


@pytest.fixture(scope="session")
def module() -> Module:
    """The root module, parsed once per session."""
    return load_module(TERRAFORM)


@pytest.fixture(scope="session")
def pubsub_config() -> dict[str, Any]:
    """``terraform/pubsub.json``: the one source of Pub/Sub names."""
    loaded: dict[str, Any] = json.loads((TERRAFORM / "pubsub.json").read_text(encoding="utf-8"))
    return loaded


def refs(value: Any) -> str:
    """*value* flattened to text, for asserting which objects an expression refers to."""
    return json.dumps(value, sort_keys=True) if not isinstance(value, str) else value


def unwrap(expression: Any) -> str:
    """``"${x.y}"`` -> ``"x.y"``; anything else as text."""
    text = refs(expression)
    match = re.fullmatch(r"\$\{(.*)\}", text, flags=re.DOTALL)
    return match.group(1) if match else text


PPM = 1_000_000
"""Shares are counted in millionths (main.tf's ``quota_share_ppm``)."""


def per_instance_rates(functions: dict[str, dict[str, Any]], budget: int) -> dict[str, int]:
    """``floor(budget x quota_share / max_instances)`` per function, in exact arithmetic.

    Mirrors main.tf's ``chat_rates``: shares rounded to millionths; with no share anywhere, the
    equal split per instance ``floor(budget / sum of max_instances)``.
    """
    total = sum(int(f["max_instances"]) for f in functions.values())
    rates = {}
    for key, f in functions.items():
        share = f.get("quota_share")
        if share is None:
            rates[key] = budget // total
        else:
            ppm = math.floor(Fraction(str(share)) * PPM + Fraction(1, 2))
            rates[key] = budget * ppm // (int(f["max_instances"]) * PPM)
    return rates


def environment_names(module: Module) -> set[str]:
    """Every variable Terraform sets on the functions: shared and per-function rate names."""
    shared = set(module.locals["function_environment"])
    per_function = set()
    for name in PER_FUNCTION_ENVIRONMENT:
        per_function |= set(re.findall(r"\b([A-Z][A-Z0-9_]+) =", module.locals[name]))
    publish = module.locals["function_publish_environment"]
    per_function |= {
        f"CHATSYNC_{t['key'].upper()}_TOPIC"
        for t in load_json(TERRAFORM / "pubsub.json")["topics"]
        if t.get("publishers")
    }
    assert '"CHATSYNC_${upper(target)}_TOPIC" =>' in publish
    return shared | per_function


PER_FUNCTION_ENVIRONMENT = (
    "function_rate_environment",
    "function_budget_environment",
    "function_snapshot_environment",
)
"""Locals that hold environment variables set per function (maps by function key)."""


SCOPES_JSON = FUNCTIONS / "chatsync" / "scopes.json"
AUDIT_EVENTS_JSON = TERRAFORM / "auditlog_events.json"
TABLES_MODULE = TERRAFORM / "modules" / "tables"


def load_json(path: Path) -> Any:
    """A JSON file of the repository."""
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class Tables:
    """``modules/tables`` applied for real by the ``terraform`` binary (it has no provider)."""

    workdir: Path
    terraform: str
    cache: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _run(self, *args: str) -> str:
        import subprocess

        result = subprocess.run(
            [self.terraform, *args, "-no-color"],
            cwd=self.workdir,
            env={"PATH": "/usr/bin:/bin", "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"terraform {args[0]}: {result.stdout}{result.stderr}"
        return result.stdout

    def outputs(self, auth_mode: str) -> dict[str, Any]:
        """Every output's value with ``auth_mode`` (the repository's real JSON files as inputs)."""
        if auth_mode not in self.cache:
            self._run(
                "apply",
                "-auto-approve",
                "-input=false",
                f"-var=auth_mode={auth_mode}",
                f"-var=scopes_file={SCOPES_JSON}",
                f"-var=audit_events_file={AUDIT_EVENTS_JSON}",
            )
            raw = json.loads(self._run("output", "-json"))
            self.cache[auth_mode] = {name: out["value"] for name, out in raw.items()}
        return self.cache[auth_mode]


@pytest.fixture(scope="session")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Tables:
    """A copy of the provider-free ``modules/tables``, initialised offline (skips without the
    ``terraform`` binary, like the other checks that need it)."""
    import shutil

    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("no terraform binary on PATH: modules/tables is evaluated where one exists")
    workdir = tmp_path_factory.mktemp("tables")
    for source in TABLES_MODULE.glob("*.tf"):
        shutil.copy(source, workdir / source.name)
    found = Tables(workdir, terraform)
    found._run("init", "-backend=false", "-input=false")
    return found


LANDING_ELSEWHERE: dict[str, str] = {
    "changeUserRelation": "parser support for manager changes (the HR sources work)",
    "on_scim": "the SCIM bridge's HTTP entry point (the HR sources work)",
    "on_hr_webhook": "the HR webhook bridge's HTTP entry point (the HR sources work)",
}
"""Names Terraform already uses whose code lands on another branch. While one is missing from the
code, the test naming it is an expected failure; once the code has it, the mark no longer applies
and the test runs as any other (delete the entry then)."""


def until_landed(name: str, present: bool) -> Any:
    """``pytest.param(name)``, expected to fail while the code for ``name`` has not landed."""
    if present or name not in LANDING_ELSEWHERE:
        return pytest.param(name, id=name)
    reason = f"{name}: waits for {LANDING_ELSEWHERE[name]}"
    return pytest.param(name, id=name, marks=pytest.mark.xfail(reason=reason, strict=True))
