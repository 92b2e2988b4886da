"""Terraform and the code agree: entry points, environment variables, topic names."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from typing import Any

import pytest

from .conftest import (
    FUNCTIONS,
    REPO,
    TERRAFORM,
    Module,
    environment_names,
    load_json,
    per_instance_rates,
    until_landed,
)

EMULATOR_ONLY = {"CHATSYNC_ACCESS_TOKEN", "CHATSYNC_DIRECTORY_TOKEN"}
LOCAL_PUBSUB = REPO / "scripts" / "local_pubsub.py"


def _is_cloud_event(decorator: ast.expr) -> bool:
    if isinstance(decorator, ast.Call):
        decorator = decorator.func
    if isinstance(decorator, ast.Attribute):
        return (
            decorator.attr == "cloud_event"
            and isinstance(decorator.value, ast.Name)
            and decorator.value.id == "functions_framework"
        )
    return isinstance(decorator, ast.Name) and decorator.id == "cloud_event"


def cloud_event_functions(source: str) -> set[str]:
    """Names of the top-level functions decorated with ``@functions_framework.cloud_event``."""
    return {
        node.name
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and any(_is_cloud_event(d) for d in node.decorator_list)
    }


def test_cloud_event_finder_reads_decorators() -> None:
    """The AST scan finds decorated handlers and ignores helpers."""
    source = (
        "import functions_framework\n"
        "from functions_framework import cloud_event\n"
        "@functions_framework.cloud_event\ndef a(e): ...\n"
        "@cloud_event\ndef b(e): ...\n"
        "@functions_framework.http\ndef c(r): ...\n"
        "def d(): ...\n"
    )
    assert cloud_event_functions(source) == {"a", "b"}


def _handlers() -> set[str]:
    main = FUNCTIONS / "main.py"
    assert main.is_file(), "functions/main.py is missing: Terraform deploys its entry points"
    return cloud_event_functions(main.read_text(encoding="utf-8"))


def test_every_cloud_event_handler_has_a_stream() -> None:
    """Each CloudEvent function in functions/main.py is the entry point of a pubsub.json stream."""
    entry_points = {t["entry_point"] for t in load_json(TERRAFORM / "pubsub.json")["topics"]}
    assert _handlers() <= entry_points


@pytest.mark.parametrize(
    "entry_point",
    [
        until_landed(t["entry_point"], present=t["entry_point"] in _handlers())
        for t in load_json(TERRAFORM / "pubsub.json")["topics"]
    ],
)
def test_every_stream_entry_point_is_a_cloud_event_function(
    module: Module, entry_point: str
) -> None:
    """Terraform deploys each stream's entry point; functions/main.py must define it."""
    assert module.locals["topics"].count("entry_point = t.entry_point") == 1
    assert entry_point in _handlers()


def _settings_names() -> set[str]:
    from chatsync.app.settings import Settings

    return set(Settings.variables())


def test_environment_names_include_the_per_function_settings(module: Module) -> None:
    """Rates, the invocation budget and the fan-out topic are set per function."""
    names = environment_names(module)
    assert {
        "CHATSYNC_WRITES_PER_MINUTE",
        "CHATSYNC_READS_PER_MINUTE",
        "CHATSYNC_INVOCATION_BUDGET_S",
        "CHATSYNC_WORK_TOPIC",
    } <= names


def _environment_params() -> list[Any]:
    from .conftest import load_module

    names = sorted(environment_names(load_module(TERRAFORM)))
    return [until_landed(n, present=n in _settings_names()) for n in names]


@pytest.mark.parametrize("name", _environment_params())
def test_environment_names_are_read_by_settings(name: str) -> None:
    """Every variable Terraform sets on the functions is one chatsync.app.settings reads."""
    assert name in _settings_names(), f"Terraform sets {name}, which the code never reads"


def test_emulator_tokens_are_never_set(module: Module) -> None:
    """CHATSYNC_ACCESS_TOKEN / CHATSYNC_DIRECTORY_TOKEN (emulator only) appear nowhere in .tf."""
    assert not EMULATOR_ONLY & environment_names(module)
    text = module.all_text()
    for name in EMULATOR_ONLY:
        assert not re.search(rf"\b{name}\s*=", text), name


def test_production_settings_parse(module: Module) -> None:
    """The literal values Terraform sets are accepted by Settings.from_env."""
    from chatsync.app.settings import Settings

    env = module.locals["function_environment"]
    literal = {k: v for k, v in env.items() if isinstance(v, str) and "${" not in v}
    functions = module.variables["functions"]["default"]
    writes = per_instance_rates(
        functions, module.variables["chat_writes_per_minute_budget"]["default"]
    )
    reads = per_instance_rates(
        functions, module.variables["chat_reads_per_minute_budget"]["default"]
    )
    defaults = {
        "CHATSYNC_AUTH_MODE": module.variables["auth_mode"]["default"],
        "CHATSYNC_ADMIN_SUBJECT": "admin@example.com",
        "CHATSYNC_DRIFT_MODE": module.variables["drift_mode"]["default"],
        "CHATSYNC_LOG_LEVEL": module.variables["log_level"]["default"],
        "CHATSYNC_WRITES_PER_MINUTE": str(writes["reconcile"]),
        "CHATSYNC_READS_PER_MINUTE": str(reads["reconcile"]),
        "CHATSYNC_DRY_RUN": "false",
        "CHATSYNC_HASH_EMAILS": "false",
    }
    settings = Settings.from_env({**literal, **defaults})
    assert settings.state_backend == "firestore"
    assert settings.writes_per_minute == writes["reconcile"]
    assert settings.reads_per_minute == reads["reconcile"]


def _local_pubsub_topics() -> set[str]:
    spec = importlib.util.spec_from_file_location("_chatsync_local_pubsub", LOCAL_PUBSUB)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    # Registered while it runs, so dataclasses and typing in the script resolve their module.
    sys.modules[spec.name] = script
    try:
        spec.loader.exec_module(script)
    finally:
        del sys.modules[spec.name]
    for name in ("topic_names", "topics", "list_topics", "all_topics"):
        found = getattr(script, name, None)
        if callable(found):
            return {str(t) for t in found()}
    for name in ("TOPICS", "TOPIC_NAMES"):
        found = getattr(script, name, None)
        if found is not None:
            return {str(t) for t in found}
    pytest.skip(
        "scripts/local_pubsub.py exposes none of topic_names(), topics(), list_topics(), "
        "all_topics(), TOPICS, TOPIC_NAMES: cannot compare its topics with Terraform's"
    )


def test_topic_names_match_the_local_pubsub_script(pubsub_config: dict[str, Any]) -> None:
    """The local Pub/Sub script creates the same topics (and dead-letter topics) as Terraform."""
    if not LOCAL_PUBSUB.is_file():
        pytest.skip("scripts/local_pubsub.py does not exist yet: nothing to compare")
    created = _local_pubsub_topics()
    ours = {t["topic"] for t in pubsub_config["topics"]}
    dead = {t["topic"] + pubsub_config["dead_letter_suffix"] for t in pubsub_config["topics"]}
    assert ours <= created, f"local script lacks {sorted(ours - created)}"
    assert created <= ours | dead, (
        f"local script has topics Terraform lacks: {sorted(created - ours - dead)}"
    )


def _http_functions() -> set[str]:
    """Top-level functions of functions/main.py decorated with ``@functions_framework.http``."""
    tree = ast.parse((FUNCTIONS / "main.py").read_text(encoding="utf-8"))
    found = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Attribute) and target.attr == "http":
                    found.add(node.name)
    return found


@pytest.mark.parametrize(
    "entry_point",
    [until_landed(e, present=e in _http_functions()) for e in ("on_scim", "on_hr_webhook")],
)
def test_hr_bridge_entry_points_are_http_functions(module: Module, entry_point: str) -> None:
    """The two HR bridges Terraform deploys are HTTP functions of functions/main.py."""
    assert f'entry_point = "{entry_point}"' in module.text["terraform/hr_bridges.tf"]
    assert entry_point in _http_functions()
