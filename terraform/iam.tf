# Identities and least-privilege grants. Every grant is additive (_iam_member) and scoped to one
# resource wherever the API allows it. No service account keys anywhere: domain-wide delegation
# is keyless (the runtime account signs its own JWT through the IAM Credentials API).

resource "google_service_account" "runtime" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-fn"
  display_name = "chatsync functions (runtime)"
  description  = "Runs the chatsync functions; acts as the Chat app and, through keyless domain-wide delegation, as the Workspace admin for Directory reads."
}

resource "google_service_account" "push_invoker" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-push"
  display_name = "chatsync Pub/Sub push invoker"
  description  = "OIDC identity of the push subscriptions; may only invoke the chatsync functions."
}

resource "google_service_account" "hr_publisher" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-hr-pub"
  display_name = "chatsync HR publisher"
  description  = "Used by the HR bridge; may only publish to the HR events topic."
}

resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-build"
  display_name = "chatsync function builds"
  description  = "Cloud Build identity of the chatsync functions: reads the source bucket, writes the image repository and logs."
}

# --- runtime ---------------------------------------------------------------------------------

# Keyless domain-wide delegation: iam.serviceAccounts.signBlob (google.auth.iam.Signer) on ITSELF only, never project-wide.
resource "google_service_account_iam_member" "runtime_signs_own_jwt" {
  service_account_id = google_service_account.runtime.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.runtime.member
}

# Firestore IAM is project-level; the condition narrows it to chatsync's database.
resource "google_project_iam_member" "runtime_firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.runtime.member

  condition {
    title       = "chatsync-database-only"
    description = "Only the chatsync Firestore database."
    expression  = "resource.name == \"projects/${var.project_id}/databases/${var.firestore_database}\""
  }
}

# --- push delivery ---------------------------------------------------------------------------

# run.invoker on each function's Cloud Run service only (the function-level IAM resource
# rejects run.invoker).
resource "google_cloud_run_v2_service_iam_member" "push_invoker" {
  for_each = local.topics

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.this[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.push_invoker.member
}

# The Pub/Sub service agent mints the push OIDC tokens as the invoker (needed for agents created
# before 2021-04-08, harmless after): on the invoker account only, not project-wide.
resource "google_service_account_iam_member" "pubsub_agent_mints_push_tokens" {
  service_account_id = google_service_account.push_invoker.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

# Dead-lettering: the service agent publishes to the dead-letter topic and acks the original on
# the source subscription. Without both, messages are never forwarded.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = local.topics

  project = var.project_id
  topic   = google_pubsub_topic.dead_letter[each.key].name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each = local.topics

  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent

  lifecycle {
    replace_triggered_by = [google_pubsub_subscription.push[each.key].id]
  }
}

# --- publishers ------------------------------------------------------------------------------

resource "google_pubsub_topic_iam_member" "hr_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.events["hr"].name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.hr_publisher.member
}

# Fan-out: the functions pubsub.json names as a stream's publishers (reconcile and group for the
# work topic) publish as the runtime account, on that topic only. All functions share the runtime
# account because it is the one client id allowed domain-wide delegation in the Admin console; a
# second account would need a second delegation entry. Only the named functions are told the
# topic (CHATSYNC_WORK_TOPIC).
resource "google_pubsub_topic_iam_member" "runtime_publishes_fanout" {
  for_each = { for k, t in local.topics : k => t if length(t.publishers) > 0 }

  project = var.project_id
  topic   = google_pubsub_topic.events[each.key].name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.runtime.member
}

# Workspace Events API delivery of Chat membership events (drift).
resource "google_pubsub_topic_iam_member" "chat_events_publisher" {
  count = var.chat_events_publisher == "" ? 0 : 1

  project = var.project_id
  topic   = google_pubsub_topic.events["chat"].name
  role    = "roles/pubsub.publisher"
  member  = var.chat_events_publisher
}

# --- builds ----------------------------------------------------------------------------------

# Build logs: logging has no narrower scope than the project.
resource "google_project_iam_member" "build_writes_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.build.member
}

# The build fetches the source from TWO buckets: ours (the object build_config names) and the copy
# Cloud Functions makes of it in its own bucket gcf-v2-sources-<project number>-<region> (the
# "source bucket" of docs.cloud.google.com/functions/docs/building). Without read on the second
# the first build fails: "failed to download archive gs://gcf-v2-sources-N-R/...: Access to bucket
# ... denied. You must grant Storage Object Viewer permission to <build account>"
# (hashicorp/terraform-provider-google #20571; GoogleCloudPlatform/marketing-analytics-jumpstart
# #153). The build service account needs Logs Writer, Artifact Registry Writer and read on the
# source (cloud.google.com/run/docs/configuring/services/build-service-account;
# cloud.google.com/functions/1stgendocs/securing/build-custom-sa for build_config.service_account).
resource "google_storage_bucket_iam_member" "build_reads_source" {
  bucket = google_storage_bucket.source.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.build.member
}

# gcf-v2-sources-* is created by Cloud Functions at the first deployment, so it does not exist yet
# when this grant must be in place: a bucket-level grant would fail with 404. A project-level grant
# conditioned on that one bucket's resource names (the bucket itself for objects.list, its
# objects for objects.get) reads nothing else.
resource "google_project_iam_member" "build_reads_functions_sources" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = google_service_account.build.member

  condition {
    title       = "gcf-v2-sources-bucket-only"
    description = "Only the Cloud Functions source bucket of this project and region."
    expression  = "resource.name == \"projects/_/buckets/${local.functions_sources_bucket}\" || resource.name.startsWith(\"projects/_/buckets/${local.functions_sources_bucket}/\")"
  }
}

resource "google_artifact_registry_repository_iam_member" "build_writes_images" {
  project    = var.project_id
  location   = var.region
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.build.member
}
