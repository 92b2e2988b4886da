"""The rules language: which people get which role in which managed Chat space.

    ruleset = load_rules("rules.yaml")          # eager validation, RuleConfigError on any mistake
    decisions = evaluate(ruleset, person)      # one model.Decision per managed space
    explanation = explain(ruleset, person)     # facts, every rule's verdict, outcome per space

See docs/rules.md for the format.
"""

from __future__ import annotations

from chatsync.domain.rules.evaluating import (
    Check,
    Explanation,
    RuleExplanation,
    SpaceExplanation,
    evaluate,
    explain,
)
from chatsync.domain.rules.loading import load_rules, load_rules_text
from chatsync.domain.rules.schema import Rule, Ruleset, Safety, Space

__all__ = [
    "Check",
    "Explanation",
    "Rule",
    "RuleExplanation",
    "Ruleset",
    "Safety",
    "Space",
    "SpaceExplanation",
    "evaluate",
    "explain",
    "load_rules",
    "load_rules_text",
]
