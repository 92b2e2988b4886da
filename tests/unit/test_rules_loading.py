"""Loading rules files: a valid file becomes a Ruleset; every mistake names file, rule and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatsync.domain import errors, model
from chatsync.domain.rules import load_rules, load_rules_text, schema

EXAMPLE = Path(__file__).parent.parent / "data" / "rules" / "example.yaml"

HEAD = """\
version: 1
spaces:
  - {id: eng, name: spaces/AAAAeng, mode: authoritative}
  - {id: all, name: spaces/AAAAall, mode: additive}
"""


def rules(body: str) -> str:
    return HEAD + "rules:\n" + body


def test_the_example_file_loads() -> None:
    """The documented example loads with its spaces, rules, protected people and safety."""
    ruleset = load_rules(EXAMPLE)
    assert [s.id for s in ruleset.spaces] == ["announcements", "engineering", "eng-leads"]
    assert [s.name for s in ruleset.spaces] == sorted(s.name for s in ruleset.spaces)
    assert [r.id for r in ruleset.rules][:3] == ["eng-everyone", "eng-managers", "eng-owners"]
    assert ruleset.protected == {"ceo@example.com", "it-admin@example.com"}
    assert ruleset.safety.max_removal_percent == 20.0
    assert ruleset.uses_groups
    assert ruleset.space("engineering") is ruleset.space("spaces/AAAAeng")
    admins = ruleset.rules[-1]
    assert admins.spaces == tuple(sorted(ruleset.managed))
    assert admins.role is model.Role.OWNER


def test_a_rule_reads_into_a_condition_tree() -> None:
    """Several keys under ``when`` are ANDed; operators become attribute tests."""
    ruleset = load_rules_text(
        rules("""\
  - id: leads
    spaces: [eng]
    role: owner
    when:
      is_people_manager: true
      department: {in: [Platform, Data]}
      title: {regex: "^(Staff|Principal)"}
      group: leads@Example.com
"""),
        file="r.yaml",
    )
    (rule,) = ruleset.rules
    assert isinstance(rule.when, schema.AllOf)
    first, second, third, fourth = rule.when.conditions
    assert first == schema.AttributeTest("is_people_manager", "equals", (True,))
    assert second == schema.AttributeTest("department", "in", ("Platform", "Data"))
    assert isinstance(third, schema.AttributeTest) and third.pattern is not None
    assert fourth == schema.GroupTest(("leads@example.com",))


R = "rules.yaml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            rules(
                "  - {id: eng-leads, spaces: [eng], role: ROLE_MANAGER,"
                " when: {is_people_manager: true}}\n"
            ),
            "rules.yaml: rule 'eng-leads': role: 'ROLE_MANAGER' is an API enum, write 'owner' "
            "(Chat UI 'Owner', API ROLE_MANAGER)",
        ),
        (
            rules(
                "  - {id: x, spaces: [eng], role: ROLE_ASSISTANT_MANAGER, when: {everyone: true}}\n"
            ),
            "rules.yaml: rule 'x': role: 'ROLE_ASSISTANT_MANAGER' is an API enum, write 'manager' "
            "(Chat UI 'Manager', API ROLE_ASSISTANT_MANAGER)",
        ),
        (
            rules("  - {id: x, spaces: [eng], role: ROLE_MEMBER, when: {everyone: true}}\n"),
            "rule 'x': role: 'ROLE_MEMBER' is an API enum, write 'member'",
        ),
        (
            rules("  - {id: x, spaces: [eng], role: Owner, when: {everyone: true}}\n"),
            "rule 'x': role: 'Owner': write 'owner' in lower case",
        ),
        (
            rules("  - {id: x, spaces: [eng], role: admin, when: {everyone: true}}\n"),
            "rule 'x': role: 'admin' is not a role; write owner, manager or member",
        ),
        (
            rules("  - {id: x, spaces: [eng], role: member, when: {departmnet: Data}}\n"),
            "rules.yaml: rule 'x': when.departmnet: unknown attribute or condition "
            "(did you mean 'department'?)",
        ),
        (
            rules(
                "  - {id: x, spaces: [eng], role: member, when: {title: {regex: '(unclosed'}}}\n"
            ),
            "rule 'x': when.title.regex: '(unclosed' is not a valid regular expression",
        ),
        (
            rules("  - {id: x, spaces: [eng], role: member, when: {title: {like: 'a'}}}\n"),
            "rule 'x': when.title.like: unknown key",
        ),
        (
            rules("  - {id: x, spaces: [eng], role: member, when: {title: {in: a, prefix: b}}}\n"),
            "rule 'x': when.title: use exactly one operator",
        ),
        (
            rules("  - {id: x, spaces: [eng], role: member, when: {department: [a, b]}}\n"),
            "rule 'x': when.department: a bare list is ambiguous; write {in: [...]}",
        ),
        (
            rules("  - {id: x, spaces: [eng], role: member, when: {location: no}}\n"),
            "rule 'x': when.location: False is a YAML boolean; quote the text you mean",
        ),
        (
            rules("  - {id: x, spaces: [eng], role: member, when: {is_people_manager: 'yes'}}\n"),
            "rule 'x': when.is_people_manager: is_people_manager is true or false, got 'yes'",
        ),
        (
            rules(
                "  - {id: x, spaces: [eng], role: member,"
                " when: {employment_status: {in: [active, fired]}}}\n"
            ),
            "rule 'x': when.employment_status.in[1]: 'fired' is not one of",
        ),
        (
            rules("  - {id: x, spaces: [eng], role: member, when: {group: not-an-email}}\n"),
            "rule 'x': when.group: 'not-an-email' is not an email address",
        ),
        (
            rules(
                "  - {id: x, spaces: [eng], role: member, when: {any: [{title: a}, {titel: b}]}}\n"
            ),
            "rule 'x': when.any[1].titel: unknown attribute or condition (did you mean 'title'?)",
        ),
        (
            rules("  - {id: x, spaces: [eng], role: member, when: {}}\n"),
            "rule 'x': when: expected a mapping of conditions",
        ),
        (
            rules(
                "  - {id: x, spaces: [eng], role: member,"
                " when: {everyone: true}, unless: {not: {}}}\n"
            ),
            "rule 'x': unless.not: expected a mapping of conditions",
        ),
        (
            rules("  - {id: x, spaces: [engg], role: member, when: {everyone: true}}\n"),
            "rule 'x': spaces[0]: 'engg' is not a managed space (did you mean 'eng'?)",
        ),
        (
            rules("  - {id: x, spaces: [eng, eng], role: member, when: {everyone: true}}\n"),
            "rule 'x': spaces[1]: 'eng' is listed twice",
        ),
        (
            rules("  - {id: x, spaces: [], role: member, when: {everyone: true}}\n"),
            "rule 'x': spaces: list at least one space handle",
        ),
        (
            rules("  - {id: x, spaces: [eng], role: member}\n"),
            "rules.yaml: rule 'x': when: missing",
        ),
        (
            rules(
                "  - {id: x, spaces: [eng], role: member, when: {everyone: true}, grant: owner}\n"
            ),
            "rules.yaml: rule 'x': grant: unknown key",
        ),
        (
            rules(
                "  - {id: x, spaces: [eng], role: member, when: {everyone: true}}\n"
                "  - {id: x, spaces: [all], role: member, when: {everyone: true}}\n"
            ),
            "rules.yaml: rule 'x': id: duplicate rule id",
        ),
        (
            rules("  - {spaces: [eng], role: member, when: {everyone: true}}\n"),
            "rules.yaml: rules[0].id: missing",
        ),
        (
            HEAD.replace("spaces/AAAAall", "spaces/AAAAeng") + "rules: []\n",
            "rules.yaml: spaces[1].name: space 'spaces/AAAAeng' is listed twice "
            "(spaces[0] and spaces[1])",
        ),
        (
            HEAD.replace("id: all", "id: eng") + "rules: []\n",
            "rules.yaml: spaces[1].id: space 'eng' is listed twice",
        ),
        (
            HEAD.replace("spaces/AAAAall", "AAAAall") + "rules: []\n",
            "rules.yaml: spaces[1].name: 'AAAAall' is not a space name (expected 'spaces/<id>')",
        ),
        (
            HEAD.replace("mode: additive", "mode: addditive") + "rules: []\n",
            "rules.yaml: spaces[1].mode: 'addditive' is not one of authoritative, additive "
            "(did you mean 'additive'?)",
        ),
        (
            HEAD.replace("mode: additive}", "mode: additive, outsiders: kept}") + "rules: []\n",
            "rules.yaml: spaces[1].outsiders: 'kept' is not one of remove, keep "
            "(did you mean 'keep'?)",
        ),
        (
            HEAD + "rules: []\nprotected: [boss]\n",
            "rules.yaml: protected[0]: 'boss' is not an email",
        ),
        (
            HEAD + "rules: []\nsafety: {max_removals_per_run: -1}\n",
            "rules.yaml: safety.max_removals_per_run:",
        ),
        (
            HEAD + "rules: []\nsafety: {max_removal_percent: 120}\n",
            "safety.max_removal_percent: expected a number",
        ),
        (
            HEAD + "rules: []\nsafety: {max_removal: 3}\n",
            "safety.max_removal: unknown key (did you mean",
        ),
        (HEAD + "rules: []\nrule: []\n", "rules.yaml: rule: unknown key (did you mean 'rules'?)"),
        (
            HEAD.replace("version: 1", "version: 2") + "rules: []\n",
            "rules.yaml: version: 2 is not a supported",
        ),
        (HEAD, "rules.yaml: rules: missing"),
        ("", "rules.yaml: the file is empty"),
        (
            "version: 1\nversion: 1\n",
            "rules.yaml: not valid YAML: duplicate key 'version' (line 2)",
        ),
        ("spaces: [\n", "rules.yaml: not valid YAML"),
        (
            "version: 1\nx: {not: ,{a: b}}\n",
            "rules.yaml: not valid YAML: a key must be text, not a dict",
        ),
    ],
)
def test_every_mistake_is_reported_with_file_rule_and_field(text: str, message: str) -> None:
    """RuleConfigError messages locate the problem and say how to fix it."""
    with pytest.raises(errors.RuleConfigError) as caught:
        load_rules_text(text, file=R)
    assert message in str(caught.value)


def test_a_missing_file_is_a_rule_config_error(tmp_path: Path) -> None:
    """An unreadable rules file is reported, not a bare OSError."""
    with pytest.raises(errors.RuleConfigError, match="cannot read"):
        load_rules(tmp_path / "nope.yaml")
