# chatsync: Pub/Sub topics -> our own push subscriptions -> Cloud Functions (2nd gen) -> Google Chat.
# Topic names, entry points, ordering and dead-letter settings come from pubsub.json, which the
# local Pub/Sub script reads too. Resources are split by concern: pubsub.tf, functions.tf, iam.tf,
# scheduler.tf, logging.tf, firestore.tf, snapshots.tf.

locals {
  pubsub = jsondecode(file("${path.module}/pubsub.json"))

  # One entry per event stream, keyed like pubsub.json ("hr", "group", "chat", "reconcile", "work").
  topics = {
    for t in local.pubsub.topics : t.key => {
      name               = t.topic
      entry_point        = t.entry_point
      ordering           = t.ordering
      description        = t.description
      dead_letter_topic  = "${t.topic}${local.pubsub.dead_letter_suffix}"
      push_subscription  = "${t.topic}${local.pubsub.push_subscription_suffix}"
      dead_letter_pull   = "${t.topic}${local.pubsub.dead_letter_subscription_suffix}"
      function_name      = "${var.name_prefix}-${t.key}"
      max_delivery_tries = local.pubsub.max_delivery_attempts
      publishers         = try(t.publishers, [])
    }
  }

  # Which functions may publish to which stream (pubsub.json "publishers": the reconcile and group
  # functions fan work items out to the work topic). Each publisher learns the topic's full id.
  function_publish_environment = {
    for k in keys(local.topics) : k => {
      for target, t in local.topics : "CHATSYNC_${upper(target)}_TOPIC" => "projects/${var.project_id}/topics/${t.name}"
      if contains(t.publishers, k)
    }
  }

  # Seconds of work each invocation may start: its timeout less a margin (a tenth, at least 5 s)
  # for the last write, the store flush and the answer to Pub/Sub, so work that cannot finish in
  # time is handed back (redelivered or fanned out) instead of being cut off mid-write.
  invocation_budget_seconds = {
    for k, f in var.functions : k => f.timeout_seconds - max(5, ceil(f.timeout_seconds / 10))
  }
  function_budget_environment = {
    for k, seconds in local.invocation_budget_seconds : k => {
      CHATSYNC_INVOCATION_BUDGET_S = tostring(seconds)
    }
  }

  # Chat quotas are per project. Each function gets quota_share of the budget, split evenly among
  # its instances (each serves one request at a time) and rounded down:
  #   per-instance rate = floor(budget x quota_share / max_instances)
  # so sum(max_instances x per-instance rate) <= budget x sum(quota_share) <= budget.
  # Shares are counted in millionths: a decimal fraction such as 0.01 is not exact in Terraform's
  # binary numbers (300 * 0.01 is 2.999...), and floor() would lose a whole write. Shares left out
  # everywhere (all null, as before quota_share existed): an equal split per instance,
  # floor(budget / total max instances). variables.tf repeats these expressions in its validations.
  total_max_instances = sum([for f in values(var.functions) : f.max_instances])
  quota_share_ppm = {
    for k, f in var.functions : k => f.quota_share == null ? null : floor(f.quota_share * 1000000 + 0.5)
  }
  chat_rates = {
    for k, f in var.functions : k => {
      writes_per_instance_minute = (
        local.quota_share_ppm[k] == null
        ? floor(var.chat_writes_per_minute_budget / local.total_max_instances)
        : floor(var.chat_writes_per_minute_budget * local.quota_share_ppm[k] / (f.max_instances * 1000000))
      )
      reads_per_instance_minute = (
        local.quota_share_ppm[k] == null
        ? floor(var.chat_reads_per_minute_budget / local.total_max_instances)
        : floor(var.chat_reads_per_minute_budget * local.quota_share_ppm[k] / (f.max_instances * 1000000))
      )
    }
  }
  # What the project sends with every function at max_instances, each instance at its rate.
  chat_writes_per_minute_at_max = sum([for k, f in var.functions : f.max_instances * local.chat_rates[k].writes_per_instance_minute])
  chat_reads_per_minute_at_max  = sum([for k, f in var.functions : f.max_instances * local.chat_rates[k].reads_per_instance_minute])

  # The per-function part of the environment, merged into function_environment in functions.tf.
  function_rate_environment = {
    for k, r in local.chat_rates : k => {
      CHATSYNC_WRITES_PER_MINUTE = tostring(r.writes_per_instance_minute)
      CHATSYNC_READS_PER_MINUTE  = tostring(r.reads_per_instance_minute)
    }
  }

  # Shared by every function; CHATSYNC_WRITES_PER_MINUTE / CHATSYNC_READS_PER_MINUTE come from
  # function_rate_environment. Every name here and there must be in
  # chatsync.app.settings.Settings.variables() (tests/terraform checks it).
  # CHATSYNC_ACCESS_TOKEN / CHATSYNC_DIRECTORY_TOKEN are for the local emulator and never set here.
  function_environment = {
    GOOGLE_CLOUD_PROJECT        = var.project_id
    CHATSYNC_RULES_FILE         = var.rules_file
    CHATSYNC_AUTH_MODE          = var.auth_mode
    CHATSYNC_ADMIN_SUBJECT      = var.admin_subject
    CHATSYNC_SERVICE_ACCOUNT    = google_service_account.runtime.email
    CHATSYNC_DIRECTORY_CUSTOMER = var.directory_customer
    CHATSYNC_STATE_BACKEND      = "firestore"
    CHATSYNC_FIRESTORE_DATABASE = var.firestore_database
    CHATSYNC_DRY_RUN            = tostring(var.dry_run)
    CHATSYNC_DRIFT_MODE         = var.drift_mode
    CHATSYNC_ADMIN_SPACE        = var.admin_space
    CHATSYNC_MAX_ATTEMPTS       = tostring(var.max_attempts)
    CHATSYNC_HASH_EMAILS        = tostring(var.hash_emails)
    CHATSYNC_LOG_LEVEL          = var.log_level
    CHATSYNC_CHAT_EVENTS_TOPIC  = "projects/${var.project_id}/topics/${local.topics["chat"].name}"
  }

  # Where Cloud Functions copies the source for the build (default encryption; with CMEK the name
  # gains a key hash): docs.cloud.google.com/functions/docs/building.
  functions_sources_bucket = "gcf-v2-sources-${data.google_project.this.number}-${var.region}"

  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  services = toset([
    "admin.googleapis.com",
    "artifactregistry.googleapis.com",
    "chat.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudidentity.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
    "workspaceevents.googleapis.com",
  ])
}

# Scopes and the audit sink's filter come from the repository's JSON tables, through a module
# with no provider (modules/tables) so tests can evaluate it offline and compare.
module "tables" {
  source = "./modules/tables"

  auth_mode         = var.auth_mode
  scopes_file       = "${path.module}/../functions/chatsync/scopes.json"
  audit_events_file = "${path.module}/auditlog_events.json"
}

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_project_service" "this" {
  for_each = local.services

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
