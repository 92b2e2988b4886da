"""Configuring where facts come from: the rules file's ``facts`` section (loader and JSON
Schema agree) and the Directory's custom schema and field mapping (settings)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import chatsync
from chatsync.adapters.directory import DirectoryMapping, person_from_json
from chatsync.domain import errors
from chatsync.domain.facts import DEFAULT_OWNERS, Source
from chatsync.domain.model import Account, EmploymentStatus
from chatsync.domain.rules import load_rules, load_rules_text

pytestmark = pytest.mark.facts

EXAMPLE = Path(__file__).parent.parent / "data" / "rules" / "example.yaml"
SCHEMA = json.loads((Path(chatsync.__file__).parent / "schemas" / "rules.v1.json").read_text())
HEAD = "version: 1\nspaces:\n  - {id: s, name: spaces/AAAA, mode: additive}\nrules: []\n"


def test_the_example_facts_section_loads_and_validates() -> None:
    """The documented example gives location and one custom key to the Directory and keeps
    the other defaults; the JSON Schema accepts the same section."""
    policy = load_rules(EXAMPLE).facts

    assert policy.owner("location") is Source.DIRECTORY
    assert policy.owner("custom.badge") is Source.DIRECTORY
    assert policy.owner("custom.grade") is Source.HR
    assert policy.owner("title") is DEFAULT_OWNERS["title"] is Source.HR
    assert policy.group_changes_hours == 12.0
    jsonschema.validate(yaml.safe_load(EXAMPLE.read_text()), SCHEMA)


@pytest.mark.parametrize(
    ("section", "field", "problem"),
    [
        ("{owners: {groups: hr}}", "facts.owners.groups", "always the Directory's"),
        ("{owners: {titel: hr}}", "facts.owners.titel", "did you mean 'title'?"),
        ("{owners: {title: HR}}", "facts.owners.title", "write 'hr' in lower case"),
        ("{owners: {title: payroll}}", "facts.owners.title", "write hr or directory"),
        ("{group_changes_hours: 0}", "facts.group_changes_hours", "greater than 0"),
        ("{ownrs: {}}", "facts.ownrs", "did you mean 'owners'?"),
    ],
)
def test_a_bad_facts_section_names_the_field_and_the_schema_refuses_it_too(
    section: str, field: str, problem: str
) -> None:
    """Every mistake stops loading with the field path; editors flag the same section."""
    text = f"{HEAD}facts: {section}\n"
    with pytest.raises(errors.RuleConfigError) as caught:
        load_rules_text(text, file="rules.yaml")

    assert f"rules.yaml: {field}: " in str(caught.value)
    assert problem in str(caught.value)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load(text), SCHEMA)


USER: dict[str, Any] = {
    "primaryEmail": "tom.berg@example.com",
    "id": "1001",
    "orgUnitPath": "/Engineering/Platform",
    "organizations": [{"title": "Software Engineer", "department": "Platform", "primary": True}],
    "customSchemas": {
        "HR": {"job_level": "IC3", "is_people_manager": False},
        "Employment": {"grade": "M1", "manages": True, "status": "pre_hire"},
    },
}


def test_the_directory_schema_and_fields_come_from_the_settings() -> None:
    """By default the HR schema's same-named fields; CHATSYNC_DIRECTORY_SCHEMA and
    CHATSYNC_DIRECTORY_FIELDS point at another schema and other field names."""
    default = person_from_json(USER)
    mapping = DirectoryMapping.parse(
        "Employment", "job_level=grade, is_people_manager=manages, employment_status=status"
    )
    mapped = person_from_json(USER, mapping=mapping)

    assert (default.job_level, default.is_people_manager) == ("IC3", False)
    assert default.employment_status is EmploymentStatus.ACTIVE
    assert (mapped.job_level, mapped.is_people_manager) == ("M1", True)
    assert mapped.employment_status is EmploymentStatus.PRE_HIRE
    assert mapped.custom["Employment.grade"] == "M1" and mapped.custom["HR.job_level"] == "IC3"


@pytest.mark.parametrize(
    ("schema", "fields", "problem"),
    [
        ("", "", "CHATSYNC_DIRECTORY_SCHEMA is empty"),
        ("HR", "job_level", "CHATSYNC_DIRECTORY_FIELDS: 'job_level' is not attribute=field"),
        ("HR", "title=role", "CHATSYNC_DIRECTORY_FIELDS: 'title' is not one of job_level"),
    ],
)
def test_a_bad_directory_mapping_names_the_variable(schema: str, fields: str, problem: str) -> None:
    """A deployment with a mistake in the mapping fails at cold start, saying which variable."""
    with pytest.raises(errors.ConfigError, match=problem):
        DirectoryMapping.parse(schema, fields)


@pytest.mark.parametrize(
    ("flags", "account"),
    [
        ({"suspended": True}, Account.SUSPENDED),
        ({"archived": True}, Account.ARCHIVED),
        ({}, Account.ACTIVE),
    ],
)
def test_the_account_state_is_read_from_suspended_and_archived(
    flags: dict[str, bool], account: Account
) -> None:
    """The User resource's booleans become the account state; an inactive account is not
    active whatever its custom employment status says."""
    person = person_from_json({**USER, **flags})

    assert person.account is account
    assert person.active is (account is Account.ACTIVE)
