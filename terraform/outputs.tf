output "function_uris" {
  description = "Cloud Run URL of each function, keyed like pubsub.json (hr, group, chat, reconcile, work)."
  value       = { for k, f in google_cloudfunctions2_function.this : k => f.service_config[0].uri }
}

output "topic_ids" {
  description = "Full id (projects/P/topics/T) of each event topic, keyed like pubsub.json."
  value       = { for k, t in google_pubsub_topic.events : k => t.id }
}

output "dead_letter_topic_ids" {
  description = "Full id of each dead-letter topic, keyed like pubsub.json."
  value       = { for k, t in google_pubsub_topic.dead_letter : k => t.id }
}

output "dead_letter_subscriptions" {
  description = "Pull subscription on each dead-letter topic, for inspecting and replaying dead letters."
  value       = { for k, s in google_pubsub_subscription.dead_letter_inspect : k => s.name }
}

output "runtime_service_account_email" {
  description = "Email of the functions' runtime service account (the Chat app's identity)."
  value       = google_service_account.runtime.email
}

output "runtime_service_account_client_id" {
  description = "OAuth client id to allow for domain-wide delegation (the runtime service account's unique id): enter it, with domain_wide_delegation_scopes, under Admin console > Security > Access and data control > API controls > Domain-wide delegation."
  value       = google_service_account.runtime.unique_id
}

output "domain_wide_delegation_scopes" {
  description = "Exactly what to paste, comma-separated, as the OAuth scopes of runtime_service_account_client_id under Admin console > Security > Access and data control > API controls > Domain-wide delegation: every scope of every delegated credential set in functions/chatsync/scopes.json that auth_mode uses."
  value       = join(",", module.tables.domain_wide_delegation_scopes)
}

output "chat_app_approval_scopes" {
  description = "The chat.app.* scopes a Workspace admin approves once for the Chat app (app credential sets of scopes.json that auth_mode uses)."
  value       = module.tables.chat_app_approval_scopes
}

output "hr_publisher_service_account_email" {
  description = "Service account the HR bridge publishes as (publisher on the HR topic only)."
  value       = google_service_account.hr_publisher.email
}

output "push_invoker_service_account_email" {
  description = "OIDC identity of the push subscriptions (run.invoker on the functions only)."
  value       = google_service_account.push_invoker.email
}

output "chat_writes_per_minute_per_instance" {
  description = "CHATSYNC_WRITES_PER_MINUTE of each function's instances, keyed like pubsub.json: floor(chat_writes_per_minute_budget x quota_share / max_instances)."
  value       = { for k, r in local.chat_rates : k => r.writes_per_instance_minute }
}

output "chat_reads_per_minute_per_instance" {
  description = "CHATSYNC_READS_PER_MINUTE of each function's instances, keyed like pubsub.json: floor(chat_reads_per_minute_budget x quota_share / max_instances)."
  value       = { for k, r in local.chat_rates : k => r.reads_per_instance_minute }
}

output "workspace_audit_sink_writer_identity" {
  description = "Writer identity of the organization log sink (null when org_id is empty)."
  value       = one(google_logging_organization_sink.workspace_audit[*].writer_identity)
}

output "hr_bridge_uris" {
  description = "URL of each HR bridge function (scim, webhook): give the SCIM one to the identity provider and the webhook one to each HR vendor. Reachable from outside only with expose_hr_bridges."
  value       = { for k, f in google_cloudfunctions2_function.hr_bridge : k => f.service_config[0].uri }
}

output "hr_bridge_secrets" {
  description = "Secret Manager secrets created empty for the HR bridges, keyed <bridge>/<secret>: add each value with gcloud secrets versions add <id> --data-file=- before exposing the bridges."
  value       = { for k, s in google_secret_manager_secret.hr_bridge : k => s.secret_id }
}

output "hr_bridge_service_account_emails" {
  description = "Runtime account of each HR bridge: publisher on the HR topic and accessor of its own secrets only."
  value       = { for k, a in google_service_account.hr_bridge : k => a.email }
}

output "rules_review_snapshot_uri" {
  description = "Where the reconcile function publishes the snapshot for rules reviews (gs://<bucket>/snapshots/latest.json, its CHATSYNC_SNAPSHOT_URI): give it to the review CI (docs/rules-review.md). Null unless rules_review_snapshot.enabled."
  value       = local.rules_review_snapshot_uri
}

output "log_metric_types" {
  description = "Monitoring metric type of each chatsync log-based metric (logging.googleapis.com/user/<prefix>/<name>), for ad-hoc charts and alerts."
  value       = local.metric_type
}

output "dashboard_id" {
  description = "The chatsync Cloud Monitoring dashboard."
  value       = google_monitoring_dashboard.chatsync.id
}
