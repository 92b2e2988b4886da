"""The shipped JSON Schemas agree with the decoders on the reference examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import chatsync

SCHEMAS = Path(chatsync.__file__).parent / "schemas"
DATA = Path(__file__).parent.parent / "data"


def schema(name: str) -> Any:
    loaded = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


@pytest.mark.parametrize("path", sorted((DATA / "events").glob("hr-*.json")), ids=lambda p: p.name)
def test_reference_hr_events_validate_against_the_schema(path: Path) -> None:
    """Every golden HR event is valid per hr-event.v1.json."""
    jsonschema.validate(json.loads(path.read_text()), schema("hr-event.v1.json"))


def test_the_hr_schema_rejects_a_bad_status() -> None:
    """Editors flag the same enum mistakes the decoder rejects."""
    event = json.loads((DATA / "events" / "hr-hire.json").read_text())
    event["person"]["employment_status"] = "fired"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(event, schema("hr-event.v1.json"))


def test_the_example_rules_validate_against_the_schema() -> None:
    """The example rules file is valid per rules.v1.json."""
    document = yaml.safe_load((DATA / "rules" / "example.yaml").read_text())
    jsonschema.validate(document, schema("rules.v1.json"))


@pytest.mark.parametrize("role", ["ROLE_MANAGER", "ROLE_ASSISTANT_MANAGER", "Owner"])
def test_the_rules_schema_rejects_api_role_names(role: str) -> None:
    """Editors reject API enums where a role is expected, as the loader does."""
    document = yaml.safe_load((DATA / "rules" / "example.yaml").read_text())
    document["rules"][0]["role"] = role
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema("rules.v1.json"))
