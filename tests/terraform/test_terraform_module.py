"""The root module parses and follows the layout rules: versions, typed and described inputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import REPO, TERRAFORM, Module, blocks, parse, tf_files

ROOT_FILES = ("versions.tf", "main.tf", "variables.tf", "outputs.tf")


@pytest.mark.parametrize("path", tf_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_tf_file_parses(path: Path) -> None:
    """python-hcl2 parses each file without error."""
    assert isinstance(parse(path), dict)


def test_root_module_has_the_conventional_files() -> None:
    """versions.tf, main.tf, variables.tf and outputs.tf exist, with a README and example tfvars."""
    for name in (*ROOT_FILES, "README.md", "terraform.tfvars.example"):
        assert (TERRAFORM / name).is_file(), f"terraform/{name} is missing"


def test_versions_pin_terraform_and_every_provider(module: Module) -> None:
    """required_version is set and each provider has a source and a bounded version range."""
    assert module.terraform, "no terraform {} block"
    settings = module.terraform[0]
    assert settings.get("required_version", "").startswith(">=")
    providers = blocks(settings.get("required_providers"))[0]
    assert {"google", "archive"} <= set(providers) - {"__is_block__"}
    for name, spec in providers.items():
        if name.startswith("__"):
            continue
        assert spec["source"] == f"hashicorp/{name}"
        assert "<" in spec["version"], f"{name}: version {spec['version']!r} has no upper bound"


def test_provider_block_carries_no_credentials(module: Module) -> None:
    """Deployers use their own ADC; no credentials file or token is configured in code."""
    text = module.all_text()
    assert not re.search(r"^\s*(credentials|access_token)\s*=", text, flags=re.MULTILINE)


def test_every_variable_is_typed_described_and_validated(module: Module) -> None:
    """Each variable has a type and description; all but booleans have a validation block."""
    assert module.variables
    for name, body in module.variables.items():
        assert body.get("type"), f"variable {name} has no type"
        assert len(body.get("description", "")) > 10, f"variable {name} has no description"
        if body["type"] != "bool":
            assert blocks(body.get("validation")), f"variable {name} has no validation block"
        for rule in blocks(body.get("validation")):
            assert rule.get("error_message"), f"variable {name}: validation without a message"


def test_every_output_is_described(module: Module) -> None:
    """Each output has a description."""
    assert module.outputs
    for name, body in module.outputs.items():
        assert len(body.get("description", "")) > 10, f"output {name} has no description"


def test_no_unused_variables_or_locals(module: Module) -> None:
    """Every declared variable and local is referenced somewhere (tflint's unused-declarations)."""
    text = module.all_text()
    for name in module.variables:
        assert re.search(rf"\bvar\.{name}\b", text), f"variable {name} is never used"
    for name in module.locals:
        assert re.search(rf"\blocal\.{name}\b", text), f"local {name} is never used"


def test_every_resource_sets_its_project_explicitly(module: Module) -> None:
    """Resources that take a project name it, instead of relying on the provider default."""
    projectless = {
        "google_storage_bucket_object",  # the bucket fixes the project
        "google_storage_bucket_iam_member",
        "google_service_account_iam_member",  # the account id fixes the project
        "google_logging_organization_sink",  # organization-level
    }
    for rtype, name, body in module.all_resources():
        if rtype.startswith("google_") and rtype not in projectless:
            assert body.get("project") == "${var.project_id}", f"{rtype}.{name} has no project"


def test_collections_use_for_each_never_count_lists(module: Module) -> None:
    """Repeated resources are keyed by name; count only toggles singletons (0 or 1)."""
    for rtype, name, body in module.all_resources():
        count = body.get("count")
        if count is not None:
            assert re.fullmatch(r"\$\{.+\? 0 : 1\}|\$\{.+\? 1 : 0\}", str(count)), (
                f"{rtype}.{name}: count {count!r} is not a 0/1 toggle; use for_each"
            )


def test_iam_is_additive_only(module: Module) -> None:
    """Only *_iam_member resources: _iam_binding and _iam_policy would remove others' grants."""
    for rtype, name, _ in module.all_resources():
        assert not rtype.endswith(("_iam_binding", "_iam_policy")), f"{rtype}.{name}"


def test_readme_documents_every_input_and_output(module: Module) -> None:
    """The README's Inputs and Outputs tables list every variable and output."""
    readme = (TERRAFORM / "README.md").read_text(encoding="utf-8")
    for kind, names in (("input", module.variables), ("output", module.outputs)):
        for name in names:
            assert f'| <a name="{kind}_{name}"></a>' in readme, (
                f"README has no row for {kind} {name}"
            )


def test_example_tfvars_sets_required_inputs_and_only_known_ones(module: Module) -> None:
    """terraform.tfvars.example names only declared variables and every one without a default."""
    text = (TERRAFORM / "terraform.tfvars.example").read_text(encoding="utf-8")
    assigned = set(re.findall(r"^([a-z_]+)\s*=", text, flags=re.MULTILINE))
    mentioned = set(re.findall(r"^(?:# ?)?([a-z_]+) *=", text, flags=re.MULTILINE))
    assert mentioned <= set(module.variables), mentioned - set(module.variables)
    required = {name for name, body in module.variables.items() if "default" not in body}
    assert required <= assigned, f"example does not set {required - assigned}"


def test_readme_tables_are_generated_from_the_module() -> None:
    """The Inputs/Outputs tables are exactly what scripts/terraform_docs.py renders now."""
    import importlib.util
    import sys

    script = REPO / "scripts" / "terraform_docs.py"
    spec = importlib.util.spec_from_file_location("_chatsync_terraform_docs", script)
    assert spec is not None and spec.loader is not None
    docs = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = docs
    try:
        spec.loader.exec_module(docs)
    finally:
        del sys.modules[spec.name]
    readme = (TERRAFORM / "README.md").read_text(encoding="utf-8")
    assert docs.render(readme) == readme, "run: .venv/bin/python scripts/terraform_docs.py"
