output "function_uris" {
  description = "Cloud Run URL of each function, keyed like pubsub.json (hr, group, chat, reconcile)."
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
  description = "OAuth client id of the runtime service account: enter it, with domain_wide_delegation_scopes, under Admin console > Security > API controls > Domain-wide delegation."
  value       = google_service_account.runtime.unique_id
}

output "domain_wide_delegation_scopes" {
  description = "Exact OAuth scopes to allow for runtime_service_account_client_id (comma-separated in the Admin console)."
  value       = local.dwd_scopes
}

output "chat_app_scopes" {
  description = "Scopes of the Chat app (app auth) that a Workspace admin approves once."
  value       = local.chat_app_scopes
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
