"""Rules-review snapshots (``rules_review_snapshot``): the bucket, its two grants, the reconcile
function's ``CHATSYNC_SNAPSHOT_URI`` and the output, all behind one switch that is off by default.

Like the other tests of the root module these read the parsed HCL: the switch is checked on each
``count`` / ``for_each`` and conditional by its text.
"""

from __future__ import annotations

import re
from typing import Any

from .conftest import TERRAFORM, Module, block, blocks, refs, unwrap

ENABLED = "var.rules_review_snapshot.enabled"
GATE_ONE = "${var.rules_review_snapshot.enabled ? 1 : 0}"
BUCKET = "google_storage_bucket.snapshots"
URI = "CHATSYNC_SNAPSHOT_URI"


def _snapshot_resources(module: Module) -> dict[str, dict[str, Any]]:
    """The bucket and every resource that refers to it (``type.name`` -> body)."""
    found = {BUCKET: module.resource("google_storage_bucket", "snapshots")}
    for rtype, name, body in module.all_resources():
        if rtype == "google_cloudfunctions2_function":
            continue  # reaches the bucket only through the environment local (tested below)
        if re.search(rf"\b{re.escape(BUCKET)}\b", refs(body)):
            found[f"{rtype}.{name}"] = body
    return found


def _max_length(module: Module, variable: str) -> int:
    """The longest value a name variable's validation accepts: ``^[a-z]X{m,n}[a-z0-9]$``."""
    condition = block(module.variables[variable]["validation"])["condition"]
    (upper,) = re.findall(r"\{\d+,(\d+)\}", condition)
    return int(upper) + 2


def test_the_switch_is_off_by_default(module: Module) -> None:
    """``rules_review_snapshot`` defaults to off with no readers; the example leaves it off."""
    variable = module.variables["rules_review_snapshot"]
    assert variable["default"] == {}
    assert variable["type"] == (
        "${object({enabled = optional(bool, false), readers = optional(list(string), [])})}"
    )
    example = (TERRAFORM / "terraform.tfvars.example").read_text(encoding="utf-8")
    assert not re.search(r"^\s*rules_review_snapshot\s*=", example, flags=re.MULTILINE)


def test_with_the_switch_off_nothing_is_created(module: Module) -> None:
    """The bucket and its grants are the only snapshot resources, and each exists only when
    the switch is on: a 0/1 count, or a for_each that is empty when off."""
    resources = _snapshot_resources(module)
    assert set(resources) == {
        BUCKET,
        "google_storage_bucket_iam_member.runtime_writes_snapshots",
        "google_storage_bucket_iam_member.snapshot_readers",
    }
    for name, body in resources.items():
        if "for_each" in body:
            assert body["for_each"] == (
                f"${{{ENABLED} ? toset(var.rules_review_snapshot.readers) : toset([])}}"
            ), name
            assert "count" not in body, name
        else:
            assert body["count"] == GATE_ONE, name
    # Every other reference to the bucket is inside the switch's own conditional.
    assert module.locals["rules_review_snapshot_uri"] == (
        f'${{({ENABLED} ? "gs://${{one({BUCKET}[*].name)}}/snapshots/latest.json" : null)}}'
    )


def test_the_bucket_name_is_a_valid_bucket_name(module: Module) -> None:
    """``<project_id>-<name_prefix>-snapshots`` stays within 63 characters for the longest
    project id and prefix the validations accept."""
    name = module.locals["rules_review_snapshot_bucket"]
    assert name == "${var.project_id}-${var.name_prefix}-snapshots"
    longest = _max_length(module, "project_id") + 1 + _max_length(module, "name_prefix")
    assert longest + len("-snapshots") <= 63
    bucket = module.resource("google_storage_bucket", "snapshots")
    assert bucket["name"] == "${local.rules_review_snapshot_bucket}"


def test_the_bucket_is_private_uniform_versioned_and_kept(module: Module) -> None:
    """Styled like the source bucket: uniform access, public access prevention enforced,
    versioning with noncurrent versions deleted within a month, labels, no force_destroy."""
    bucket = module.resource("google_storage_bucket", "snapshots")
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    assert bucket["force_destroy"] is False
    assert block(bucket["versioning"])["enabled"] is True
    assert bucket["labels"] == "${var.labels}"
    assert bucket["location"] == "${var.region}"
    assert bucket["project"] == "${var.project_id}"
    (rule,) = blocks(bucket["lifecycle_rule"])
    assert block(rule["action"])["type"] == "Delete"
    days = block(rule["condition"])["days_since_noncurrent_time"]
    assert 1 <= days <= 30, "old snapshots name people: keep them a short while"
    assert "dynamic" not in bucket
    text = module.text["terraform/snapshots.tf"]
    skips = re.findall(r"checkov:skip=([A-Z0-9_]+)", text)
    assert skips == ["CKV_GCP_62"], "only access logs may be skipped on the snapshot bucket"


def test_the_runtime_account_may_write_this_bucket_alone(module: Module) -> None:
    """objectUser (create, and delete to replace) for the runtime account, on the snapshot
    bucket only; it holds no other Cloud Storage role anywhere."""
    grant = module.resource("google_storage_bucket_iam_member", "runtime_writes_snapshots")
    assert grant["role"] == "roles/storage.objectUser"
    assert unwrap(grant["member"]) == "google_service_account.runtime.member"
    assert unwrap(grant["bucket"]) == f"{BUCKET}[0].name"
    assert grant["count"] == GATE_ONE
    storage_grants = [
        (rtype, name)
        for rtype, name, body in module.all_resources()
        if rtype.endswith("_iam_member")
        and unwrap(body["member"]) == "google_service_account.runtime.member"
        and "storage" in refs(body.get("role"))
    ]
    assert storage_grants == [("google_storage_bucket_iam_member", "runtime_writes_snapshots")]
    object_users = [
        name
        for rtype, name, body in module.all_resources()
        if rtype.endswith("_iam_member") and body.get("role") == "roles/storage.objectUser"
    ]
    assert object_users == ["runtime_writes_snapshots"]


def test_readers_may_read_this_bucket_and_nothing_more(module: Module) -> None:
    """Each reader gets objectViewer on the snapshot bucket; readers are validated members."""
    grant = module.resource("google_storage_bucket_iam_member", "snapshot_readers")
    assert grant["role"] == "roles/storage.objectViewer"
    assert grant["member"] == "${each.value}"
    assert unwrap(grant["bucket"]) == f"{BUCKET}[0].name"
    for rtype, name, body in module.all_resources():
        if (rtype, name) != ("google_storage_bucket_iam_member", "snapshot_readers"):
            assert "rules_review_snapshot.readers" not in refs(body), f"{rtype}.{name}"
    rules = blocks(module.variables["rules_review_snapshot"]["validation"])
    assert any("serviceAccount:" in r["condition"] for r in rules)


def test_only_the_reconcile_function_is_told_the_uri(
    module: Module, pubsub_config: dict[str, Any]
) -> None:
    """CHATSYNC_SNAPSHOT_URI is set by one local, per function: the URI for the key reconcile
    when the switch is on, nothing for any other key or when it is off. The Pub/Sub functions
    merge it; the HR bridges do not."""
    env = module.locals["function_snapshot_environment"]
    assert env == (
        "${{for k in keys(local.topics) : k => "
        f'(k == "reconcile" && {ENABLED} ? {{{URI} = local.rules_review_snapshot_uri}} : {{}})}}}}'
    )
    assert "reconcile" in {t["key"] for t in pubsub_config["topics"]}
    for name, value in module.locals.items():
        if name != "function_snapshot_environment":
            assert URI not in refs(value), f"local {name} sets {URI}"
    function = module.resource("google_cloudfunctions2_function", "this")
    merged = block(function["service_config"])["environment_variables"]
    assert "local.function_snapshot_environment[each.key]" in merged
    bridge = module.resource("google_cloudfunctions2_function", "hr_bridge")
    assert "snapshot" not in refs(block(bridge["service_config"])["environment_variables"])
    assert "local.function_snapshot_environment" not in refs(bridge)
    # The first run after an apply can publish: the functions wait for the write grant.
    assert "google_storage_bucket_iam_member.runtime_writes_snapshots" in {
        unwrap(d) for d in function["depends_on"]
    }


def test_the_uri_is_an_output_and_names_the_bucket(module: Module) -> None:
    """Output ``rules_review_snapshot_uri`` is the URI the reconcile function gets (null when
    off), an object under the snapshot bucket that adapters.bucket accepts."""
    from chatsync.adapters.bucket import parse_uri

    output = module.outputs["rules_review_snapshot_uri"]
    assert output["value"] == "${local.rules_review_snapshot_uri}"
    assert "null" in output["description"].lower()
    example = "gs://my-chatsync-123-chatsync-snapshots/snapshots/latest.json"
    assert parse_uri(example) == ("my-chatsync-123-chatsync-snapshots", "snapshots/latest.json")


def test_docs_point_to_the_input() -> None:
    """docs/rules-review.md sets the bucket up through the input, gcloud as the alternative."""
    docs = (TERRAFORM.parent / "docs" / "rules-review.md").read_text(encoding="utf-8")
    assert "rules_review_snapshot" in docs
    assert "rules_review_snapshot_uri" in docs
    assert "does not set it yet" not in docs
    assert "gcloud storage buckets create" in docs
