"""Least privilege: no keys, no basic roles, no public members, every grant scoped."""

from __future__ import annotations

import re

from .conftest import TERRAFORM, Module, block, unwrap

BASIC_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
ACCOUNTS = {"runtime", "push_invoker", "hr_publisher", "build", "hr_bridge"}


def _grants(module: Module) -> list[tuple[str, str, dict[str, object]]]:
    return [
        (rtype, name, body)
        for rtype, name, body in module.all_resources()
        if rtype.endswith("_iam_member")
    ]


def _holder(member: object, account: str) -> bool:
    return unwrap(member) == f"google_service_account.{account}.member"


def _holder_each(member: object, account: str) -> bool:
    """Held by one of a for_each set of accounts (``google_service_account.x[...].member``)."""
    return unwrap(member).startswith(f"google_service_account.{account}[")


def test_no_service_account_keys(module: Module) -> None:
    """No google_service_account_key anywhere: domain-wide delegation is keyless (signJwt)."""
    assert "google_service_account_key" not in module.resources
    assert "google_service_account_key" not in module.all_text()


def test_no_basic_roles(module: Module) -> None:
    """No owner, editor or viewer grant."""
    for rtype, name, body in _grants(module):
        assert body["role"] not in BASIC_ROLES, f"{rtype}.{name} grants {body['role']}"


def test_public_members_only_on_the_exposed_hr_bridges(module: Module) -> None:
    """allAuthenticatedUsers nowhere; allUsers only as the invoker of the two HR bridges, and that
    grant exists only when expose_hr_bridges is set (default off)."""
    for path in [*TERRAFORM.rglob("*.tf"), *TERRAFORM.glob("*.tfvars*")]:
        assert "allAuthenticatedUsers" not in path.read_text(encoding="utf-8"), path.name
    public = [(t, n, b) for t, n, b in _grants(module) if b["member"] in PUBLIC_MEMBERS]
    assert [(t, n) for t, n, _ in public] == [
        ("google_cloud_run_v2_service_iam_member", "hr_bridge_public")
    ]
    (_, _, grant) = public[0]
    assert grant["for_each"] == "${var.expose_hr_bridges ? local.hr_bridges : {}}"
    assert grant["role"] == "roles/run.invoker"
    assert unwrap(grant["name"]) == (
        "google_cloudfunctions2_function.hr_bridge[each.key].service_config[0].service"
    )
    assert module.variables["expose_hr_bridges"]["default"] is False
    for path in TERRAFORM.glob("*.tfvars*"):
        assert "expose_hr_bridges = true" not in path.read_text(encoding="utf-8")


def test_hr_bridges_are_reachable_from_outside_only_when_exposed(module: Module) -> None:
    """Ingress ALLOW_ALL only with expose_hr_bridges; the event functions never take ALLOW_ALL by
    this switch."""
    bridge = block(
        module.resource("google_cloudfunctions2_function", "hr_bridge")["service_config"]
    )
    assert bridge["ingress_settings"] == (
        '${var.expose_hr_bridges ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"}'
    )
    events = block(module.resource("google_cloudfunctions2_function", "this")["service_config"])
    assert events["ingress_settings"] == "${var.ingress_settings}"
    text = " ".join(module.text["terraform/hr_bridges.tf"].split())
    for needle in ("bearer token", "signature", "constant time", "hmac.compare_digest"):
        assert needle in text, f"hr_bridges.tf must say why exposing is safe: {needle}"


def test_each_hr_bridge_publishes_to_the_hr_topic_and_reads_its_own_secrets_only(
    module: Module,
) -> None:
    """A bridge's account holds publisher on the HR topic and accessor on its own secrets."""
    held = sorted(
        (t, n, b["role"]) for t, n, b in _grants(module) if _holder_each(b["member"], "hr_bridge")
    )
    assert held == [
        (
            "google_pubsub_topic_iam_member",
            "hr_bridge_publishes_hr",
            "roles/pubsub.publisher",
        ),
        (
            "google_secret_manager_secret_iam_member",
            "hr_bridge_reads_own_secret",
            "roles/secretmanager.secretAccessor",
        ),
    ]
    publish = module.resource("google_pubsub_topic_iam_member", "hr_bridge_publishes_hr")
    assert unwrap(publish["topic"]) == 'google_pubsub_topic.events["hr"].name'
    assert unwrap(publish["member"]) == "google_service_account.hr_bridge[each.key].member"
    read = module.resource("google_secret_manager_secret_iam_member", "hr_bridge_reads_own_secret")
    assert read["for_each"] == "${local.hr_bridge_secrets}"
    assert unwrap(read["secret_id"]) == "google_secret_manager_secret.hr_bridge[each.key].secret_id"
    # The secret's own bridge, not any bridge: the key of each secret names its bridge.
    assert unwrap(read["member"]) == ("google_service_account.hr_bridge[each.value.bridge].member")
    bridge = block(
        module.resource("google_cloudfunctions2_function", "hr_bridge")["service_config"]
    )
    assert unwrap(bridge["service_account_email"]) == (
        "google_service_account.hr_bridge[each.key].email"
    )


def test_hr_bridge_secrets_are_created_empty_and_mounted_not_stored(module: Module) -> None:
    """Containers only (no version resource, so no value in state); a container per SCIM token
    and per webhook vendor; mounted as files at version latest in their own bridge only."""
    assert "google_secret_manager_secret_version" not in module.resources
    secret = module.resource("google_secret_manager_secret", "hr_bridge")
    assert secret["for_each"] == "${local.hr_bridge_secrets}"
    assert block(block(secret["replication"])["auto"]) is not None
    bridges = module.locals["hr_bridges"]
    assert set(bridges["scim"]["secrets"]) == {"scim-token"}
    assert (
        'for vendor in var.hr_webhook_vendors : "webhook-${vendor}" =>'
        in (bridges["webhook"]["secrets"])
    )
    assert module.variables["hr_webhook_vendors"]["default"]
    bridge = block(
        module.resource("google_cloudfunctions2_function", "hr_bridge")["service_config"]
    )
    assert "secret_environment_variables" not in bridge
    (volumes,) = bridge["dynamic"]
    volume = volumes["secret_volumes"]
    assert volume["for_each"] == (
        "${{for key, s in local.hr_bridge_secrets : key => s if s.bridge == each.key}}"
    )
    content = block(volume["content"])
    assert block(content["versions"])["version"] == "latest"
    function = module.resource("google_cloudfunctions2_function", "hr_bridge")
    assert "google_secret_manager_secret_iam_member.hr_bridge_reads_own_secret" in {
        unwrap(d) for d in function["depends_on"]
    }


def test_no_project_wide_impersonation_roles(module: Module) -> None:
    """Token Creator and Service Account User are never granted on the whole project."""
    for name, body in module.of_type("google_project_iam_member").items():
        assert body["role"] not in {
            "roles/iam.serviceAccountTokenCreator",
            "roles/iam.serviceAccountUser",
        }, f"google_project_iam_member.{name}"


def test_project_level_grants_are_the_expected_few(module: Module) -> None:
    """Only roles with no narrower scope are granted project-wide."""
    granted = {
        (b["role"], unwrap(b["member"]))
        for b in module.of_type("google_project_iam_member").values()
    }
    assert granted == {
        ("roles/datastore.user", "google_service_account.runtime.member"),
        ("roles/logging.logWriter", "google_service_account.build.member"),
        ("roles/storage.objectViewer", "google_service_account.build.member"),
    }
    for name, body in module.of_type("google_project_iam_member").items():
        if body["role"] not in {"roles/logging.logWriter"}:
            assert body.get("condition"), f"{name}: a project-wide data role needs a condition"


def test_firestore_grant_is_narrowed_to_the_chatsync_database(module: Module) -> None:
    """The runtime's datastore.user carries a condition naming the configured database."""
    grant = module.resource("google_project_iam_member", "runtime_firestore")
    (condition,) = grant["condition"]
    assert "databases/${var.firestore_database}" in condition["expression"]


def test_run_invoker_only_on_cloud_run_services(module: Module) -> None:
    """run.invoker goes on the Cloud Run service (the function-level IAM resource rejects it)."""
    for rtype, name, body in _grants(module):
        if body["role"] == "roles/run.invoker":
            assert rtype in {
                "google_cloud_run_service_iam_member",
                "google_cloud_run_v2_service_iam_member",
            }, f"{rtype}.{name}"


def test_push_invoker_may_invoke_each_function_and_nothing_else(module: Module) -> None:
    """The push identity gets run.invoker on each function's own service, and no other role."""
    invoke = module.resource("google_cloud_run_v2_service_iam_member", "push_invoker")
    assert invoke["for_each"] == "${local.topics}"
    assert unwrap(invoke["name"]) == (
        "google_cloudfunctions2_function.this[each.key].service_config[0].service"
    )
    assert invoke["location"] == "${var.region}"
    holders = [(t, n) for t, n, b in _grants(module) if _holder(b["member"], "push_invoker")]
    assert holders == [("google_cloud_run_v2_service_iam_member", "push_invoker")]


def test_runtime_signs_jwts_only_as_itself(module: Module) -> None:
    """Keyless DWD: Token Creator on the runtime account itself, held by that account."""
    grants = module.of_type("google_service_account_iam_member")
    own = [
        b
        for b in grants.values()
        if b["role"] == "roles/iam.serviceAccountTokenCreator" and _holder(b["member"], "runtime")
    ]
    assert len(own) == 1
    assert unwrap(own[0]["service_account_id"]) == "google_service_account.runtime.name"


def test_hr_publisher_may_publish_to_the_hr_topic_only(module: Module) -> None:
    """The HR bridge's account has exactly one grant: publisher on the HR events topic."""
    held = [(t, b) for t, _, b in _grants(module) if _holder(b["member"], "hr_publisher")]
    assert len(held) == 1
    rtype, body = held[0]
    assert rtype == "google_pubsub_topic_iam_member"
    assert body["role"] == "roles/pubsub.publisher"
    assert unwrap(body["topic"]) == 'google_pubsub_topic.events["hr"].name'


def test_build_account_is_scoped_to_bucket_repository_and_logs(module: Module) -> None:
    """The build account reads both source buckets, writes its own repository, writes logs."""
    held = {(t, b["role"]) for t, _, b in _grants(module) if _holder(b["member"], "build")}
    assert held == {
        ("google_project_iam_member", "roles/logging.logWriter"),
        ("google_project_iam_member", "roles/storage.objectViewer"),
        ("google_storage_bucket_iam_member", "roles/storage.objectViewer"),
        ("google_artifact_registry_repository_iam_member", "roles/artifactregistry.writer"),
    }


def test_build_can_read_the_functions_sources_bucket_before_it_exists(module: Module) -> None:
    """First apply: the build fetches from gcf-v2-sources-<project number>-<region>, which Cloud
    Functions creates during that same deployment; the grant is project-level, conditioned on
    that bucket and its objects only, and every function waits for it."""
    bucket = module.locals["functions_sources_bucket"]
    assert bucket == "gcf-v2-sources-${data.google_project.this.number}-${var.region}"
    grant = module.resource("google_project_iam_member", "build_reads_functions_sources")
    assert grant["role"] == "roles/storage.objectViewer"
    assert unwrap(grant["member"]) == "google_service_account.build.member"
    (condition,) = grant["condition"]
    expression = condition["expression"]
    prefix = "projects/_/buckets/${local.functions_sources_bucket}"
    assert f'resource.name == "{prefix}"' in expression
    # The trailing / keeps europe-west10's bucket out when the region is europe-west1.
    assert f'resource.name.startsWith("{prefix}/")' in expression
    assert expression.count("resource.name") == 2, "nothing else may be readable"
    function = module.resource("google_cloudfunctions2_function", "this")
    needed = {
        "google_project_iam_member.build_reads_functions_sources",
        "google_storage_bucket_iam_member.build_reads_source",
        "google_project_iam_member.build_writes_logs",
        "google_artifact_registry_repository_iam_member.build_writes_images",
    }
    assert needed <= {unwrap(d) for d in function["depends_on"]}


def test_the_service_accounts_exist(module: Module) -> None:
    """Runtime, push invoker, HR publisher, build and one per HR bridge, with display names."""
    accounts = module.of_type("google_service_account")
    assert set(accounts) == ACCOUNTS
    for name, body in accounts.items():
        assert body.get("display_name"), name


def test_log_sink_writer_may_publish_to_the_group_topic_only(module: Module) -> None:
    """The optional org sink targets the group topic; its writer identity publishes there only."""
    sink = module.resource("google_logging_organization_sink", "workspace_audit")
    assert sink["count"] == '${var.org_id == "" ? 0 : 1}'
    assert sink["include_children"] is True
    assert 'google_pubsub_topic.events["group"].id' in sink["destination"]
    assert unwrap(sink["filter"]) == "module.tables.workspace_audit_filter"
    grant = module.resource("google_pubsub_topic_iam_member", "audit_sink_publisher")
    assert unwrap(grant["member"]) == (
        "google_logging_organization_sink.workspace_audit[0].writer_identity"
    )
    assert unwrap(grant["topic"]) == 'google_pubsub_topic.events["group"].name'
    assert grant["role"] == "roles/pubsub.publisher"


def test_chat_events_publisher_is_granted_on_the_chat_topic_only(module: Module) -> None:
    """Workspace Events delivery (chat-api-push) may publish to the chat events topic."""
    grant = module.resource("google_pubsub_topic_iam_member", "chat_events_publisher")
    assert unwrap(grant["topic"]) == 'google_pubsub_topic.events["chat"].name'
    assert grant["member"] == "${var.chat_events_publisher}"
    default = module.variables["chat_events_publisher"]["default"]
    assert default == "serviceAccount:chat-api-push@system.gserviceaccount.com"


def test_no_secret_material_in_terraform() -> None:
    """No private keys, no secret_data, no tokens in any Terraform or example file."""
    for path in [*TERRAFORM.rglob("*.tf"), *TERRAFORM.glob("*.tfvars*")]:
        text = path.read_text(encoding="utf-8")
        assert "PRIVATE KEY" not in text, path.name
        assert not re.search(r"^\s*secret_data\s*=", text, flags=re.MULTILINE), path.name
        assert not re.search(r"ya29\.[A-Za-z0-9_-]{20,}", text), path.name
