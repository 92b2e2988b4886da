# Rules-review snapshots (docs/rules-review.md), off unless rules_review_snapshot.enabled: a
# private bucket the reconcile function publishes the facts and rosters of every full run to
# (CHATSYNC_SNAPSHOT_URI, set on that function only), so `chatsync plan --snapshot` can review a
# rules change in CI without tenant credentials. The snapshot holds people's work emails and HR
# facts: only the runtime account writes it and only rules_review_snapshot.readers read it.

locals {
  # At most 30 + 1 + 22 + 10 = 63 characters, the longest bucket name without dots.
  rules_review_snapshot_bucket = "${var.project_id}-${var.name_prefix}-snapshots"

  rules_review_snapshot_uri = (
    var.rules_review_snapshot.enabled
    ? "gs://${one(google_storage_bucket.snapshots[*].name)}/snapshots/latest.json"
    : null
  )

  # The per-function part of the environment, merged in functions.tf: the reconcile function
  # alone publishes snapshots, so it alone is told where.
  function_snapshot_environment = {
    for k in keys(local.topics) : k => (
      k == "reconcile" && var.rules_review_snapshot.enabled
      ? { CHATSYNC_SNAPSHOT_URI = local.rules_review_snapshot_uri }
      : {}
    )
  }
}

resource "google_storage_bucket" "snapshots" {
  # checkov:skip=CKV_GCP_62:Usage logs would copy every request into another bucket; who may read is the readers list granted here (IAM changes are in Admin Activity audit logs), and per-read records are Cloud Audit Logs Data Access logs for Cloud Storage, which Google recommends over usage logs (docs/rules-review.md says how to turn them on).
  count = var.rules_review_snapshot.enabled ? 1 : 0

  project                     = var.project_id
  name                        = local.rules_review_snapshot_bucket
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = var.labels

  versioning {
    enabled = true
  }

  # Each full reconcile replaces snapshots/latest.json, leaving the last one noncurrent: keep a
  # week of them (to look back at, or to recover from a bad run), no longer, since they name people.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 7
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.this]
}

# Create, and delete to replace the object (adapters/bucket.py): objectUser, on this bucket only.
# The reconcile function runs as the runtime account, which all the Pub/Sub functions share (it is
# the one client id allowed domain-wide delegation, see iam.tf); only reconcile is told the URI.
resource "google_storage_bucket_iam_member" "runtime_writes_snapshots" {
  count = var.rules_review_snapshot.enabled ? 1 : 0

  bucket = google_storage_bucket.snapshots[0].name
  role   = "roles/storage.objectUser"
  member = google_service_account.runtime.member
}

# The reviewers' CI identities (and anyone else listed) read the snapshot, nothing more.
resource "google_storage_bucket_iam_member" "snapshot_readers" {
  for_each = var.rules_review_snapshot.enabled ? toset(var.rules_review_snapshot.readers) : toset([])

  bucket = google_storage_bucket.snapshots[0].name
  role   = "roles/storage.objectViewer"
  member = each.value
}
