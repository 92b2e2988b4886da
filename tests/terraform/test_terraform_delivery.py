"""Pub/Sub -> push subscription -> function: dead-lettering, retries, ordering, deadlines."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from .conftest import Module, block, blocks, per_instance_rates, unwrap

REQUIRED_APIS = {
    "admin.googleapis.com",
    "chat.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "firestore.googleapis.com",
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "artifactregistry.googleapis.com",
}


def _push_subscriptions(module: Module) -> dict[str, dict[str, Any]]:
    subs = module.of_type("google_pubsub_subscription")
    return {name: body for name, body in subs.items() if blocks(body.get("push_config"))}


def test_topics_come_from_pubsub_json(module: Module, pubsub_config: dict[str, Any]) -> None:
    """Topics, dead-letter topics and subscriptions are for_each over pubsub.json's entries."""
    assert module.locals["pubsub"] == '${jsondecode(file("${path.module}/pubsub.json"))}'
    topics = module.locals["topics"]
    for field, source in (
        ("name", "t.topic"),
        ("entry_point", "t.entry_point"),
        ("ordering", "t.ordering"),
        ("dead_letter_topic", "${t.topic}${local.pubsub.dead_letter_suffix}"),
        ("push_subscription", "${t.topic}${local.pubsub.push_subscription_suffix}"),
        ("dead_letter_pull", "${t.topic}${local.pubsub.dead_letter_subscription_suffix}"),
        ("max_delivery_tries", "local.pubsub.max_delivery_attempts"),
    ):
        assert re.search(rf"\b{field} = \"?{re.escape(source)}", topics), field
    assert "for t in local.pubsub.topics : t.key =>" in topics
    for rtype, name in (
        ("google_pubsub_topic", "events"),
        ("google_pubsub_topic", "dead_letter"),
        ("google_pubsub_subscription", "push"),
        ("google_pubsub_subscription", "dead_letter_inspect"),
        ("google_cloudfunctions2_function", "this"),
    ):
        assert module.resource(rtype, name)["for_each"] == "${local.topics}", f"{rtype}.{name}"
    keys = [t["key"] for t in pubsub_config["topics"]]
    assert sorted(keys) == sorted(module.variables["functions"]["default"])


def test_pubsub_json_describes_five_streams(pubsub_config: dict[str, Any]) -> None:
    """HR, group, chat, reconcile and work streams, each with a topic and an entry point."""
    keys = [t["key"] for t in pubsub_config["topics"]]
    assert keys == ["hr", "group", "chat", "reconcile", "work"]
    for topic in pubsub_config["topics"]:
        assert re.fullmatch(r"[a-z][a-z0-9-]{2,}", topic["topic"]), topic
        assert topic["entry_point"].isidentifier(), topic
        assert isinstance(topic["ordering"], bool), topic
    assert 5 <= pubsub_config["max_delivery_attempts"] <= 100


def test_every_push_subscription_dead_letters(module: Module) -> None:
    """Each push subscription names a dead-letter topic and bounded delivery attempts."""
    pushes = _push_subscriptions(module)
    assert pushes
    for name, body in pushes.items():
        policy = block(body.get("dead_letter_policy"))
        assert (
            unwrap(policy["dead_letter_topic"]) == "google_pubsub_topic.dead_letter[each.key].id"
        ), name
        assert policy["max_delivery_attempts"] == "${each.value.max_delivery_tries}", name


def test_every_push_subscription_retries_with_backoff(module: Module) -> None:
    """retry_policy sets both backoff bounds."""
    for name, body in _push_subscriptions(module).items():
        policy = block(body.get("retry_policy"))
        assert policy["minimum_backoff"] and policy["maximum_backoff"], name


def test_every_push_carries_an_oidc_token_for_the_service_url(module: Module) -> None:
    """OIDC token of the push invoker, audience the Cloud Run URL, endpoint on that URL."""
    for name, body in _push_subscriptions(module).items():
        push = block(body["push_config"])
        token = block(push["oidc_token"])
        uri = "google_cloudfunctions2_function.this[each.key].service_config[0].uri"
        assert unwrap(token["service_account_email"]) == "google_service_account.push_invoker.email"
        assert unwrap(token["audience"]) == uri, name
        assert push["push_endpoint"].startswith("${" + uri + "}"), name


def test_ack_deadline_covers_the_function_timeout(module: Module) -> None:
    """ack_deadline_seconds is the function's own timeout, which validation caps below 600."""
    function = module.resource("google_cloudfunctions2_function", "this")
    timeout = block(function["service_config"])["timeout_seconds"]
    for name, body in _push_subscriptions(module).items():
        assert body["ack_deadline_seconds"] == timeout, name
    assert timeout == "${var.functions[each.key].timeout_seconds}"
    conditions = [v["condition"] for v in module.variables["functions"]["validation"]]
    assert any("f.timeout_seconds <= 540" in c for c in conditions)


def test_ordering_follows_pubsub_json(module: Module, pubsub_config: dict[str, Any]) -> None:
    """enable_message_ordering is taken from pubsub.json; HR and group events are ordered."""
    for name, body in _push_subscriptions(module).items():
        assert body["enable_message_ordering"] == "${each.value.ordering}", name
    ordered = {t["key"] for t in pubsub_config["topics"] if t["ordering"]}
    assert {"hr", "group"} <= ordered


def test_subscriptions_never_expire(module: Module) -> None:
    """expiration_policy ttl "" on every subscription (the default deletes idle ones)."""
    for name, body in module.of_type("google_pubsub_subscription").items():
        assert block(body.get("expiration_policy"))["ttl"] == "", name


def test_every_dead_letter_topic_has_an_inspection_subscription(module: Module) -> None:
    """A pull subscription on each dead-letter topic keeps what was dead-lettered."""
    inspect = module.resource("google_pubsub_subscription", "dead_letter_inspect")
    assert unwrap(inspect["topic"]) == "google_pubsub_topic.dead_letter[each.key].id"
    assert not blocks(inspect.get("push_config"))


def test_service_agent_can_forward_dead_letters(module: Module) -> None:
    """The Pub/Sub agent publishes to each DLQ and subscribes to each source subscription."""
    agent = module.locals["pubsub_service_agent"]
    assert agent == (
        "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
    )
    publish = module.resource("google_pubsub_topic_iam_member", "dead_letter_publisher")
    assert publish["for_each"] == "${local.topics}"
    assert unwrap(publish["topic"]) == "google_pubsub_topic.dead_letter[each.key].name"
    assert (publish["role"], publish["member"]) == (
        "roles/pubsub.publisher",
        "${local.pubsub_service_agent}",
    )
    subscribe = module.resource("google_pubsub_subscription_iam_member", "dead_letter_subscriber")
    assert subscribe["for_each"] == "${local.topics}"
    assert unwrap(subscribe["subscription"]) == "google_pubsub_subscription.push[each.key].name"
    assert (subscribe["role"], subscribe["member"]) == (
        "roles/pubsub.subscriber",
        "${local.pubsub_service_agent}",
    )


def test_service_agent_can_mint_tokens_for_the_push_invoker_only(module: Module) -> None:
    """Token Creator for the Pub/Sub agent on the push invoker account, not the project."""
    grant = module.resource("google_service_account_iam_member", "pubsub_agent_mints_push_tokens")
    assert unwrap(grant["service_account_id"]) == "google_service_account.push_invoker.name"
    assert grant["role"] == "roles/iam.serviceAccountTokenCreator"
    assert grant["member"] == "${local.pubsub_service_agent}"


def test_functions_are_gen2_python_without_event_trigger(module: Module) -> None:
    """Every function: python312/313, its own entry point, build account, bounded, no trigger."""
    function = module.resource("google_cloudfunctions2_function", "this")
    assert "event_trigger" not in function
    build = block(function["build_config"])
    assert build["runtime"] == "${var.runtime}"
    assert set(module.variables["runtime"]["validation"][0]["condition"].split('"')[1::2]) <= {
        "python312",
        "python313",
    }
    assert build["entry_point"] == "${each.value.entry_point}"
    assert unwrap(build["service_account"]) == "google_service_account.build.id"
    service = block(function["service_config"])
    assert service["max_instance_count"] == "${var.functions[each.key].max_instances}"
    assert service["max_instance_request_concurrency"] == 1
    assert unwrap(service["service_account_email"]) == "google_service_account.runtime.email"
    assert service["environment_variables"] == (
        "${merge(local.function_environment, local.function_rate_environment[each.key], "
        "local.function_budget_environment[each.key], "
        "local.function_publish_environment[each.key], "
        "local.function_snapshot_environment[each.key])}"
    )
    assert service["ingress_settings"] == "${var.ingress_settings}"
    assert module.variables["ingress_settings"]["default"] == "ALLOW_INTERNAL_ONLY"


def test_source_object_name_changes_with_the_code(module: Module) -> None:
    """The zip's object name holds its hash, so a code change redeploys the functions."""
    archive = module.data["archive_file"]["functions_source"]
    assert archive["source_dir"] == "${path.module}/../functions"
    assert archive["output_file_mode"] == "0644"
    excludes = " ".join(archive["excludes"])
    for needle in ("workspace_emulator", "__pycache__", "tests"):
        assert needle in excludes, needle
    obj = module.resource("google_storage_bucket_object", "functions_source")
    assert "data.archive_file.functions_source.output_md5" in obj["name"]
    source = block(
        block(module.resource("google_cloudfunctions2_function", "this")["build_config"])["source"]
    )
    storage = block(source["storage_source"])
    assert unwrap(storage["object"]) == "google_storage_bucket_object.functions_source.name"


def test_source_bucket_is_private_uniform_and_versioned(module: Module) -> None:
    """Uniform access, public access prevention enforced, versioning on."""
    bucket = module.resource("google_storage_bucket", "source")
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    assert block(bucket["versioning"])["enabled"] is True


def test_scheduler_ticks_publish_to_the_reconcile_topic(module: Module) -> None:
    """Reconcile (and renewal) ticks go to the reconcile topic by full id, no attempt_deadline."""
    job = module.resource("google_cloud_scheduler_job", "ticks")
    assert "attempt_deadline" not in job
    assert job["time_zone"] == "${var.time_zone}"
    target = block(job["pubsub_target"])
    assert unwrap(target["topic_name"]) == 'google_pubsub_topic.events["reconcile"].id'
    assert target["data"] == "${base64encode(jsonencode({kind = each.value.kind}))}"
    jobs = module.locals["scheduler_jobs"]
    assert 'kind = "reconcile"' in jobs
    assert 'kind = "renew_subscriptions"' in jobs
    assert blocks(module.variables["reconcile_schedule"]["validation"])


def test_firestore_native_database_for_production_state(module: Module) -> None:
    """The firestore backend is configured and a native-mode database is created."""
    database = module.resource("google_firestore_database", "state")
    assert database["type"] == "FIRESTORE_NATIVE"
    assert database["deletion_policy"] == "ABANDON"
    assert database["delete_protection_state"] == "DELETE_PROTECTION_ENABLED"
    assert module.locals["function_environment"]["CHATSYNC_STATE_BACKEND"] == "firestore"


def test_required_apis_are_enabled(module: Module) -> None:
    """google_project_service enables every API the deployment uses."""
    service = module.resource("google_project_service", "this")
    assert service["for_each"] == "${local.services}"
    assert service["disable_on_destroy"] is False
    enabled = set(re.findall(r'"([a-z]+\.googleapis\.com)"', module.locals["services"]))
    assert enabled >= REQUIRED_APIS, REQUIRED_APIS - enabled


QUOTAS = {"chat_writes_per_minute_budget": 300, "chat_reads_per_minute_budget": 3000}


def test_each_function_sets_its_own_chat_rates(module: Module) -> None:
    """CHATSYNC_WRITES/READS_PER_MINUTE come per function from floor(budget x share / instances)."""
    assert not {"CHATSYNC_WRITES_PER_MINUTE", "CHATSYNC_READS_PER_MINUTE"} & set(
        module.locals["function_environment"]
    )
    rate_env = module.locals["function_rate_environment"]
    assert rate_env.startswith("${{for k, r in local.chat_rates : k =>")
    assert "CHATSYNC_WRITES_PER_MINUTE = tostring(r.writes_per_instance_minute)" in rate_env
    assert "CHATSYNC_READS_PER_MINUTE = tostring(r.reads_per_instance_minute)" in rate_env
    assert module.locals["quota_share_ppm"] == (
        "${{for k, f in var.functions : k => f.quota_share == null ? null"
        " : floor(f.quota_share * 1000000 + 0.5)}}"
    )
    rates = module.locals["chat_rates"]
    for budget in QUOTAS:
        assert (
            f"floor(var.{budget} * local.quota_share_ppm[k] / (f.max_instances * 1000000))" in rates
        )
        assert f"floor(var.{budget} / local.total_max_instances)" in rates
    assert module.locals["total_max_instances"] == (
        "${sum([for f in values(var.functions) : f.max_instances])}"
    )


def test_default_shares_keep_the_project_within_chat_quotas(module: Module) -> None:
    """With the defaults, sum over functions of max_instances x per-instance rate <= the quota."""
    functions = module.variables["functions"]["default"]
    shares = [Fraction(str(f["quota_share"])) for f in functions.values()]
    assert all(share > 0 for share in shares)
    assert sum(shares) <= 1
    expected = {
        "chat_writes_per_minute_budget": {
            "hr": 20,
            "group": 10,
            "chat": 15,
            "reconcile": 90,
            "work": 45,
        },
        "chat_reads_per_minute_budget": {
            "hr": 200,
            "group": 100,
            "chat": 150,
            "reconcile": 900,
            "work": 450,
        },
    }
    for budget, quota in QUOTAS.items():
        default = module.variables[budget]["default"]
        assert default == quota
        rates = per_instance_rates(functions, default)
        assert rates == expected[budget]
        assert all(rate >= 1 for rate in rates.values())
        at_max = sum(int(f["max_instances"]) * rates[k] for k, f in functions.items())
        assert at_max <= quota, f"{budget}: {at_max} a minute at max_instances, quota {quota}"
        conditions = " ".join(v["condition"] for v in module.variables[budget]["validation"])
        assert f"<= {quota}" in conditions
        assert f"<= var.{budget}" in conditions
        assert f"floor(var.{budget} * floor(f.quota_share * 1000000 + 0.5)" in conditions


def test_bulk_work_gets_most_of_the_write_budget(module: Module) -> None:
    """The full reconcile and the work items it fans out, at their maximum instances, outrun an
    equal split: 10,000 changes in about an hour."""
    functions = module.variables["functions"]["default"]
    rates = per_instance_rates(functions, QUOTAS["chat_writes_per_minute_budget"])
    equal = per_instance_rates(
        {k: {"max_instances": f["max_instances"]} for k, f in functions.items()},
        QUOTAS["chat_writes_per_minute_budget"],
    )
    bulk = sum(int(functions[k]["max_instances"]) * rates[k] for k in ("reconcile", "work"))
    equal_bulk = sum(int(functions[k]["max_instances"]) * equal[k] for k in ("reconcile", "work"))
    assert bulk > 2 * equal_bulk, (bulk, equal_bulk)
    assert bulk * 2 > QUOTAS["chat_writes_per_minute_budget"], "bulk work gets most of it"
    assert 10_000 / bulk <= 60, rates


def test_share_arithmetic_is_exact_for_decimal_shares() -> None:
    """Shares such as 0.01 count in millionths: floor(300 x 0.01) is 3, not binary 2.999..."""
    functions = {
        "hr": {"max_instances": 1, "quota_share": 0.01},
        "group": {"max_instances": 3, "quota_share": 0.63},
        "chat": {"max_instances": 2, "quota_share": 0.02},
        "reconcile": {"max_instances": 1, "quota_share": 0.34},
    }
    assert per_instance_rates(functions, 300) == {"hr": 3, "group": 63, "chat": 3, "reconcile": 102}


def test_preconditions_check_the_sum_over_functions(module: Module) -> None:
    """Each function refuses a rate below 1 and a project total above the budget."""
    function = module.resource("google_cloudfunctions2_function", "this")
    conditions = [p["condition"] for p in blocks(block(function["lifecycle"])["precondition"])]
    for kind in ("writes", "reads"):
        assert module.locals[f"chat_{kind}_per_minute_at_max"] == (
            f"${{sum([for k, f in var.functions : "
            f"f.max_instances * local.chat_rates[k].{kind}_per_instance_minute])}}"
        )
        assert any(
            f"local.chat_rates[each.key].{kind}_per_instance_minute >= 1" in c
            and f"local.chat_{kind}_per_minute_at_max <= var.chat_{kind}_per_minute_budget" in c
            for c in conditions
        ), kind


def test_firestore_ttl_covers_the_collections_the_store_writes(module: Module) -> None:
    """A TTL policy on expires_at for each collection the Firestore store writes short-lived
    documents to; the collection names are the store's own (prefix chatsync)."""
    import ast

    from .conftest import FUNCTIONS

    store_py = FUNCTIONS / "chatsync" / "adapters" / "store" / "firestore.py"
    store = store_py.read_text(encoding="utf-8")
    written = {
        node.args[0].values[-1].value  # f"{prefix}_processed" -> "_processed"
        for node in ast.walk(ast.parse(store))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "collection"
        and node.args
        and isinstance(node.args[0], ast.JoinedStr)
    }
    assert {"_processed", "_docs"} <= written, written
    ttl = module.resource("google_firestore_field", "expires_at")
    assert ttl["for_each"] == "${local.firestore_ttl_collections}"
    assert ttl["field"] == "${local.firestore_ttl_field}"
    assert module.locals["firestore_ttl_field"] == "expires_at"
    collections = module.locals["firestore_ttl_collections"]
    assert set(collections.values()) == {"chatsync_processed", "chatsync_docs"}
    assert 'prefix: str = "chatsync"' in store, "the collections above assume the default prefix"
    assert block(ttl["ttl_config"]) is not None
    assert ttl["database"] == "${var.firestore_database}"
    assert "google_firestore_database.state" in " ".join(ttl["depends_on"])


def test_work_stream_is_published_by_reconcile_and_group_only(
    module: Module, pubsub_config: dict[str, Any]
) -> None:
    """The work topic is a stream like the others (dead letters, retries, push to on_work_item);
    the runtime account may publish to it and to no other topic, and only the functions named as
    its publishers are told its id."""
    (work,) = [t for t in pubsub_config["topics"] if t["key"] == "work"]
    assert work["topic"] == "chatsync-work"
    assert work["entry_point"] == "on_work_item"
    assert sorted(work["publishers"]) == ["group", "reconcile"]
    assert all(not t.get("publishers") for t in pubsub_config["topics"] if t["key"] != "work")
    grant = module.resource("google_pubsub_topic_iam_member", "runtime_publishes_fanout")
    assert grant["for_each"] == "${{for k, t in local.topics : k => t if length(t.publishers) > 0}}"
    assert unwrap(grant["topic"]) == "google_pubsub_topic.events[each.key].name"
    assert (grant["role"], unwrap(grant["member"])) == (
        "roles/pubsub.publisher",
        "google_service_account.runtime.member",
    )
    publish = module.locals["function_publish_environment"]
    assert "if contains(t.publishers, k)" in publish
    assert "projects/${var.project_id}/topics/${t.name}" in publish
    assert module.locals["topics"].count("publishers = try(t.publishers, [])") == 1


def test_invocation_budget_is_the_timeout_less_a_margin(module: Module) -> None:
    """CHATSYNC_INVOCATION_BUDGET_S = timeout - max(5, ceil(timeout / 10)), per function, and a
    precondition keeps it between 5 seconds and the timeout."""
    import math

    budget = module.locals["invocation_budget_seconds"]
    assert budget == (
        "${{for k, f in var.functions : k => "
        "f.timeout_seconds - max(5, ceil(f.timeout_seconds / 10))}}"
    )
    env = module.locals["function_budget_environment"]
    assert "CHATSYNC_INVOCATION_BUDGET_S = tostring(seconds)" in env
    for timeout in (10, 60, 300, 540):
        seconds = timeout - max(5, math.ceil(timeout / 10))
        assert 5 <= seconds < timeout
        assert timeout - seconds >= timeout / 10
    function = module.resource("google_cloudfunctions2_function", "this")
    conditions = [p["condition"] for p in blocks(block(function["lifecycle"])["precondition"])]
    assert any("local.invocation_budget_seconds[each.key] >= 5" in c for c in conditions)
