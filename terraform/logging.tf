# Optional: Workspace audit logs (Admin audit and Enterprise Groups audit) reach Cloud Logging at
# the organization level once "Google Workspace data sharing with Google Cloud" is on; only an
# organization sink sees them. It routes group membership and user changes to the group events
# topic. Off while org_id is empty. The filter admits exactly the methods in auditlog_events.json,
# the list the parser (functions/chatsync/domain/events/auditlog.py) decodes; tests check both ways.

resource "google_logging_organization_sink" "workspace_audit" {
  count = var.org_id == "" ? 0 : 1

  org_id           = var.org_id
  name             = "${var.name_prefix}-workspace-audit"
  description      = "Workspace group membership and user changes for chatsync."
  destination      = "pubsub.googleapis.com/${google_pubsub_topic.events["group"].id}"
  include_children = true
  filter           = module.tables.workspace_audit_filter
}

# The sink's writer identity may publish to the group events topic only.
resource "google_pubsub_topic_iam_member" "audit_sink_publisher" {
  count = var.org_id == "" ? 0 : 1

  project = var.project_id
  topic   = google_pubsub_topic.events["group"].name
  role    = "roles/pubsub.publisher"
  member  = google_logging_organization_sink.workspace_audit[0].writer_identity
}
