"""YAML -> ``Ruleset``, validated eagerly: every error names the file, the rule and the field.

    rules.yaml: rule 'eng-leads': role: 'ROLE_MANAGER' is an API enum, write 'owner'
    (Chat UI 'Owner', API ROLE_MANAGER)

The format is documented in docs/rules.md and described for editors by
``chatsync/schemas/rules.v1.json``.

Why it is long: it checks every section of the format field by field, so that each error can
name the exact field; splitting it by section would spread one grammar over several files.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import cast

import yaml

from chatsync.domain import errors, facts, model
from chatsync.domain.rules import schema

VERSIONS = (1,)
ROLE_NAMES = {role.value: role for role in model.Role}
API_ROLES = {role.api: role for role in model.Role}
MODES = ("authoritative", "additive")
OPERATORS = ("equals", "in", "regex", "prefix")
TOP_KEYS = ("version", "spaces", "protected", "rules", "safety", "facts")
SPACE_KEYS = ("id", "name", "mode", "description", "outsiders")
OUTSIDERS = ("remove", "keep")
RULE_KEYS = ("id", "description", "spaces", "role", "when", "unless")
COMBINATORS = ("all", "any", "not", "group", "everyone")
SAFETY_COUNTS = (
    "max_removals_per_event",
    "max_removals_per_run",
    "min_space_size_for_percent",
    "max_removals_per_window",
)
SAFETY_KEYS = (*SAFETY_COUNTS, "max_removal_percent", "window_minutes")
FACTS_KEYS = ("owners", "group_changes_hours")
SOURCES = tuple(source.value for source in facts.Source)
HANDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
STATUSES = tuple(status.value for status in model.EmploymentStatus)


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML keeps the last one silently)."""


def _mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        mark = key_node.start_mark
        try:
            duplicate = key in seen
        except TypeError:  # a flow mapping or list used as a key: `{not: ,{a: b}}`
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be text, not a {type(key).__name__}", mark
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {mark.line + 1})", mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_rules(path: str | Path) -> schema.Ruleset:
    """Read and validate a rules file; raise ``RuleConfigError`` naming file, rule and field."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.RuleConfigError(name, f"cannot read: {exc}") from None
    return load_rules_text(text, file=Path(path).name)


def load_rules_text(text: str, *, file: str = "<rules>") -> schema.Ruleset:
    """Validate rules given as YAML text; ``file`` names it in errors."""
    try:
        loader = _Loader(text)  # a SafeLoader subclass; it rejects unprintable text at once
        loader.name = file  # marks say "in 'rules.yaml', line 62", not "<unicode string>"
        try:
            document = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise errors.RuleConfigError(
            file, f"not valid YAML: {' '.join(str(exc).split())}"
        ) from None
    return _Reader(file).ruleset(document)


def _suggest(word: object, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Reader:
    """Walks the YAML document; ``rule`` is the id of the rule being read, for messages."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.rule: str | None = None
        self.handles: dict[str, model.SpaceName] = {}

    def fail(self, field: str, problem: str) -> errors.RuleConfigError:
        return errors.RuleConfigError(self.file, problem, rule=self.rule, field=field)

    def mapping(self, value: object, field: str, allowed: Iterable[str]) -> Mapping[str, object]:
        if not isinstance(value, Mapping):
            raise self.fail(field, f"expected a mapping, got {_show(value)}")
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                where = f"{field}.{key}" if field else str(key)
                raise self.fail(
                    where,
                    f"unknown key{_suggest(key, allowed)}; expected one of {', '.join(allowed)}",
                )
        return cast(Mapping[str, object], value)

    def sequence(self, value: object, field: str) -> list[object]:
        if not isinstance(value, list):
            raise self.fail(field, f"expected a list, got {_show(value)}")
        return value

    def text(self, value: object, field: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, f"expected a non-empty string, got {_show(value)}")
        return value

    def ruleset(self, document: object) -> schema.Ruleset:
        if document is None:
            raise self.fail("", "the file is empty")
        top = self.mapping(document, "", TOP_KEYS)
        for key in ("version", "spaces", "rules"):
            if key not in top:
                raise self.fail(key, "missing")
        if top["version"] not in VERSIONS or isinstance(top["version"], bool):
            raise self.fail(
                "version", f"{_show(top['version'])} is not a supported version (supported: 1)"
            )
        spaces = self.spaces(top["spaces"])
        protected = frozenset(
            self.email(item, f"protected[{i}]")
            for i, item in enumerate(self.sequence(top.get("protected") or [], "protected"))
        )
        rules = self.rules(top["rules"])
        safety = self.safety(top.get("safety"))
        return schema.Ruleset(
            spaces=spaces,
            rules=rules,
            protected=protected,
            safety=safety,
            source=self.file,
            facts=self.facts_section(top.get("facts")),
        )

    def spaces(self, value: object) -> tuple[schema.Space, ...]:
        items = self.sequence(value, "spaces")
        if not items:
            raise self.fail("spaces", "list at least one managed space")
        spaces: list[schema.Space] = []
        seen: dict[str, str] = {}
        for i, item in enumerate(items):
            path = f"spaces[{i}]"
            entry = self.mapping(item, path, SPACE_KEYS)
            for key in ("id", "name", "mode"):
                if key not in entry:
                    raise self.fail(f"{path}.{key}", "missing")
            handle = self.text(entry["id"], f"{path}.id")
            if not HANDLE.match(handle):
                raise self.fail(
                    f"{path}.id",
                    f"{_show(handle)} is not a handle (letters, digits, '_', '.', '-')",
                )
            try:
                name = model.space_name(self.text(entry["name"], f"{path}.name"))
            except ValueError as exc:
                raise self.fail(f"{path}.name", str(exc)) from None
            mode = entry["mode"]
            if mode not in MODES:
                raise self.fail(
                    f"{path}.mode",
                    f"{_show(mode)} is not one of {', '.join(MODES)}{_suggest(mode, MODES)}",
                )
            for key, what in ((handle, "id"), (name, "name")):
                if key in seen:
                    raise self.fail(
                        f"{path}.{what}", f"space {key!r} is listed twice ({seen[key]} and {path})"
                    )
                seen[key] = path
            description = entry.get("description") or ""
            if not isinstance(description, str):
                raise self.fail(f"{path}.description", "expected a string")
            outsiders = entry.get("outsiders", "remove")
            if outsiders not in OUTSIDERS:
                raise self.fail(
                    f"{path}.outsiders",
                    f"{_show(outsiders)} is not one of {', '.join(OUTSIDERS)}"
                    f"{_suggest(outsiders, OUTSIDERS)}",
                )
            self.handles[handle] = name
            spaces.append(
                schema.Space(
                    id=handle,
                    name=name,
                    mode=cast(schema.Mode, mode),
                    description=description,
                    outsiders=cast(schema.Outsiders, outsiders),
                )
            )
        return tuple(sorted(spaces, key=lambda s: s.name))

    def rules(self, value: object) -> tuple[schema.Rule, ...]:
        rules: list[schema.Rule] = []
        seen: set[str] = set()
        for i, item in enumerate(self.sequence(value, "rules")):
            self.rule = None
            path = f"rules[{i}]"
            if isinstance(item, Mapping) and isinstance(item.get("id"), str) and item["id"].strip():
                self.rule = item["id"]
                path = ""
            entry = self.mapping(item, path, RULE_KEYS)
            at = f"{path}." if path else ""
            if "id" not in entry:
                raise self.fail(f"{at}id", "missing")
            rule_id = self.text(entry["id"], f"{at}id")
            if not HANDLE.match(rule_id):
                raise self.fail(
                    "id", f"{_show(rule_id)} is not an id (letters, digits, '_', '.', '-')"
                )
            if rule_id in seen:
                raise self.fail(
                    "id",
                    f"duplicate rule id (rule ids must be unique; this is {path or f'rules[{i}]'})",
                )
            seen.add(rule_id)
            for key in ("spaces", "role", "when"):
                if key not in entry:
                    raise self.fail(key, "missing")
            description = entry.get("description") or ""
            if not isinstance(description, str):
                raise self.fail("description", "expected a string")
            unless = entry.get("unless")
            rules.append(
                schema.Rule(
                    id=rule_id,
                    role=self.role(entry["role"], "role"),
                    spaces=self.rule_spaces(entry["spaces"]),
                    when=self.condition(entry["when"], "when"),
                    unless=None if unless is None else self.condition(unless, "unless"),
                    description=description,
                )
            )
        self.rule = None
        return tuple(rules)

    def role(self, value: object, field: str) -> model.Role:
        if isinstance(value, str) and value in ROLE_NAMES:
            return ROLE_NAMES[value]
        if isinstance(value, str) and value in API_ROLES:
            role = API_ROLES[value]
            raise self.fail(
                field,
                f"{value!r} is an API enum, write {role.value!r} "
                f"(Chat UI {role.ui_label!r}, API {role.api})",
            )
        if isinstance(value, str) and value.lower() in ROLE_NAMES:
            role = ROLE_NAMES[value.lower()]
            raise self.fail(
                field,
                f"{value!r}: write {role.value!r} in lower case "
                f"(Chat UI {role.ui_label!r}, API {role.api})",
            )
        raise self.fail(
            field,
            f"{_show(value)} is not a role; write owner, manager or member"
            f"{_suggest(value, ROLE_NAMES)}",
        )

    def rule_spaces(self, value: object) -> tuple[model.SpaceName, ...]:
        if value == "*":
            return tuple(sorted(self.handles.values()))
        items = self.sequence(value, "spaces")
        if not items:
            raise self.fail(
                "spaces", "list at least one space handle, or write '*' for every managed space"
            )
        names: list[model.SpaceName] = []
        by_name: dict[str, model.SpaceName] = {name: name for name in self.handles.values()}
        for i, item in enumerate(items):
            if not isinstance(item, str) or (item not in self.handles and item not in by_name):
                raise self.fail(
                    f"spaces[{i}]",
                    f"{_show(item)} is not a managed space{_suggest(item, self.handles)}; "
                    f"known: {', '.join(sorted(self.handles))}",
                )
            name = self.handles.get(item) or by_name[item]
            if name in names:
                raise self.fail(f"spaces[{i}]", f"{item!r} is listed twice")
            names.append(name)
        return tuple(sorted(names))

    def email(self, value: object, field: str) -> model.Email:
        try:
            return model.email(value)  # type: ignore[arg-type]
        except ValueError as exc:
            raise self.fail(field, str(exc)) from None

    def condition(self, value: object, field: str) -> schema.Condition:
        """A mapping of tests, all of which must hold."""
        if not isinstance(value, Mapping) or not value:
            raise self.fail(field, f"expected a mapping of conditions, got {_show(value)}")
        tests: list[schema.Condition] = []
        for key, item in value.items():
            path = f"{field}.{key}"
            if key in ("all", "any"):
                entries = self.sequence(item, path)
                if not entries:
                    raise self.fail(path, "must list at least one condition")
                parts = tuple(
                    self.condition(entry, f"{path}[{i}]") for i, entry in enumerate(entries)
                )
                tests.append(schema.AllOf(parts) if key == "all" else schema.AnyOf(parts))
            elif key == "not":
                tests.append(schema.Not(self.condition(item, path)))
            elif key == "group":
                tests.append(self.group(item, path))
            elif key == "everyone":
                if item is not True:
                    raise self.fail(path, "write 'everyone: true' (or leave it out)")
                tests.append(schema.AllOf(()))
            elif isinstance(key, str) and (key in schema.ATTRIBUTES or key.startswith("custom.")):
                if key == "custom.":
                    raise self.fail(path, "name the custom attribute: custom.<key>")
                tests.append(self.attribute(key, item, path))
            else:
                known = (*schema.ATTRIBUTES, *COMBINATORS)
                raise self.fail(
                    path,
                    f"unknown attribute or condition{_suggest(key, known)}; expected one of "
                    f"{', '.join(known)} or custom.<key>",
                )
        return tests[0] if len(tests) == 1 else schema.AllOf(tuple(tests))

    def group(self, value: object, field: str) -> schema.GroupTest:
        if isinstance(value, str):
            return schema.GroupTest((self.email(value, field),))
        entry = self.mapping(value, field, ("any", "all"))
        if len(entry) != 1:
            raise self.fail(field, "write either {any: [...]} or {all: [...]}")
        ((key, items),) = entry.items()
        emails = self.sequence(items, f"{field}.{key}")
        if not emails:
            raise self.fail(f"{field}.{key}", "list at least one group email")
        groups = tuple(self.email(item, f"{field}.{key}[{i}]") for i, item in enumerate(emails))
        return schema.GroupTest(groups, require_all=key == "all")

    def attribute(self, name: str, value: object, field: str) -> schema.AttributeTest:
        if isinstance(value, list):
            raise self.fail(
                field, "a bare list is ambiguous; write {in: [...]} to match any of the values"
            )
        if value is None:
            raise self.fail(field, "missing a value")
        if not isinstance(value, Mapping):
            return schema.AttributeTest(name, "equals", (self.value(name, value, field),))
        entry = self.mapping(value, field, OPERATORS)
        if len(entry) != 1:
            raise self.fail(field, f"use exactly one operator of {', '.join(OPERATORS)}")
        ((operator, operand),) = entry.items()
        path = f"{field}.{operator}"
        if name in schema.BOOLEAN_ATTRIBUTES and operator in ("regex", "prefix"):
            raise self.fail(path, f"{name} is true or false; write '{name}: true'")
        if operator == "in":
            items = self.sequence(operand, path)
            if not items:
                raise self.fail(path, "list at least one value")
            values = tuple(self.value(name, item, f"{path}[{i}]") for i, item in enumerate(items))
            return schema.AttributeTest(name, "in", values)
        if operator == "equals":
            return schema.AttributeTest(name, "equals", (self.value(name, operand, path),))
        text = self.text(operand, path)
        if operator == "prefix":
            return schema.AttributeTest(
                name, "prefix", (text.lower() if name in schema.EMAIL_ATTRIBUTES else text,)
            )
        try:
            pattern = re.compile(text, re.IGNORECASE if name in schema.EMAIL_ATTRIBUTES else 0)
        except re.error as exc:
            raise self.fail(path, f"{text!r} is not a valid regular expression: {exc}") from None
        return schema.AttributeTest(name, "regex", (text,), pattern)

    def value(self, name: str, value: object, field: str) -> str | bool:
        if name in schema.BOOLEAN_ATTRIBUTES:
            if not isinstance(value, bool):
                raise self.fail(field, f"{name} is true or false, got {_show(value)}")
            return value
        if isinstance(value, bool):
            raise self.fail(
                field, f"{value} is a YAML boolean; quote the text you mean (e.g. '{name}: \"no\"')"
            )
        if isinstance(value, int | float):
            value = str(value)
        if not isinstance(value, str):
            raise self.fail(field, f"expected a text value, got {_show(value)}")
        if name == "employment_status" and value not in STATUSES:
            raise self.fail(
                field, f"{value!r} is not one of {', '.join(STATUSES)}{_suggest(value, STATUSES)}"
            )
        if name in schema.EMAIL_ATTRIBUTES:
            return self.email(value, field)
        return value

    def safety(self, value: object) -> schema.Safety:
        if value is None:
            return schema.Safety()
        entry = self.mapping(value, "safety", SAFETY_KEYS)
        counts: dict[str, int | None] = {}
        for key in SAFETY_COUNTS:
            item = entry.get(key)
            if item is not None and (
                isinstance(item, bool) or not isinstance(item, int) or item < 0
            ):
                raise self.fail(f"safety.{key}", f"expected a whole number >= 0, got {_show(item)}")
            counts[key] = item
        percent = entry.get("max_removal_percent")
        if percent is not None and (
            isinstance(percent, bool)
            or not isinstance(percent, int | float)
            or not 0 <= percent <= 100
        ):
            raise self.fail(
                "safety.max_removal_percent",
                f"expected a number from 0 to 100, got {_show(percent)}",
            )
        minutes = entry.get("window_minutes", 60)
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
            raise self.fail(
                "safety.window_minutes",
                f"expected a whole number of minutes >= 1, got {_show(minutes)}",
            )
        return schema.Safety(
            max_removals_per_event=counts["max_removals_per_event"],
            max_removals_per_run=counts["max_removals_per_run"],
            max_removal_percent=None if percent is None else float(percent),
            min_space_size_for_percent=counts["min_space_size_for_percent"],
            max_removals_per_window=counts["max_removals_per_window"],
            window_minutes=minutes,
        )

    def facts_section(self, value: object) -> facts.Policy:
        """``facts:``: which source owns which attribute, and how long group changes hold."""
        if value is None:
            return facts.Policy()
        entry = self.mapping(value, "facts", FACTS_KEYS)
        owners = dict(facts.DEFAULT_OWNERS)
        custom: dict[str, facts.Source] = {}
        table = entry.get("owners")
        if table is not None and not isinstance(table, Mapping):
            raise self.fail(
                "facts.owners",
                f"expected a mapping of attribute: hr or directory, got {_show(table)}",
            )
        for key, source in (table or {}).items():
            path = f"facts.owners.{key}"
            if key in facts.DIRECTORY_ONLY:
                raise self.fail(path, f"{key} is always the Directory's (HR events carry none)")
            if key == "custom.":
                raise self.fail(path, "name the custom attribute: custom.<key>")
            if not isinstance(key, str) or (
                key not in facts.OWNABLE and not key.startswith("custom.")
            ):
                raise self.fail(
                    path,
                    f"not an attribute a source can own{_suggest(key, facts.OWNABLE)}; expected "
                    f"one of {', '.join(facts.OWNABLE)} or custom.<key>",
                )
            owner = self.source(source, path)
            if key.startswith("custom."):
                custom[key.removeprefix("custom.")] = owner
            else:
                owners[key] = owner
        hours = entry.get("group_changes_hours", facts.DEFAULT_GROUP_CHANGES_HOURS)
        if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
            raise self.fail(
                "facts.group_changes_hours",
                f"expected a number of hours greater than 0, got {_show(hours)}",
            )
        return facts.Policy(MappingProxyType(owners), MappingProxyType(custom), float(hours))

    def source(self, value: object, field: str) -> facts.Source:
        if isinstance(value, str) and value in SOURCES:
            return facts.Source(value)
        if isinstance(value, str) and value.lower() in SOURCES:
            raise self.fail(field, f"{value!r}: write {value.lower()!r} in lower case")
        raise self.fail(
            field,
            f"{_show(value)} is not a source; write hr or directory{_suggest(value, SOURCES)}",
        )
