# Optional: Workspace audit logs (Admin audit and Enterprise Groups audit) reach Cloud Logging at
# the organization level once "Google Workspace data sharing with Google Cloud" is on; only an
# organization sink sees them. It routes group membership and user changes to the group events
# topic. Off while org_id is empty.

locals {
  # Explicit parentheses everywhere: in the Logging query language OR binds tighter than AND.
  workspace_audit_filter = trimspace(<<-EOT
    logName:"cloudaudit.googleapis.com%2Factivity"
    AND (
      (protoPayload.serviceName="cloudidentity.googleapis.com" AND protoPayload.methodName:"MembershipsService")
      OR (protoPayload.serviceName="admin.googleapis.com" AND protoPayload.methodName=~"\.(add|remove|update)GroupMember$|\.(create|suspend|unsuspend|delete|undelete|rename)User$|\.moveUserToOrgUnit$|\.changeUserOrganization$")
    )
  EOT
  )
}

resource "google_logging_organization_sink" "workspace_audit" {
  count = var.org_id == "" ? 0 : 1

  org_id           = var.org_id
  name             = "${var.name_prefix}-workspace-audit"
  description      = "Workspace group membership and user changes for chatsync."
  destination      = "pubsub.googleapis.com/${google_pubsub_topic.events["group"].id}"
  include_children = true
  filter           = local.workspace_audit_filter
}

# The sink's writer identity may publish to the group events topic only.
resource "google_pubsub_topic_iam_member" "audit_sink_publisher" {
  count = var.org_id == "" ? 0 : 1

  project = var.project_id
  topic   = google_pubsub_topic.events["group"].name
  role    = "roles/pubsub.publisher"
  member  = google_logging_organization_sink.workspace_audit[0].writer_identity
}
