# Production state (dedup watermarks, held plans, audit trail): CHATSYNC_STATE_BACKEND=firestore.

resource "google_firestore_database" "state" {
  count = var.create_firestore_database ? 1 : 0

  project                 = var.project_id
  name                    = var.firestore_database
  location_id             = var.firestore_location == "" ? var.region : var.firestore_location
  type                    = "FIRESTORE_NATIVE"
  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  deletion_policy         = "ABANDON" # destroy leaves the data in place

  depends_on = [google_project_service.this]
}

# Time to live for the short-lived documents. The store (functions/chatsync/adapters/store/firestore.py,
# prefix "chatsync") keeps them in two collections:
#   chatsync_processed/{event id}    dedupe of event ids: worth keeping only as long as Pub/Sub
#                                    can redeliver (7 days of retention)
#   chatsync_docs/{kind}:{key}       kinds: lease (per-person lease), deferred (once applied),
#                                    dropped (permanent errors), plus long-lived kinds
#                                    (held_plans, drift, presence, hr_snapshot, group_changes,
#                                    safety_window) that never carry the field
# Convention: a document expires when it has a top-level field expires_at holding a Timestamp;
# documents without it (or with another type) are never deleted by TTL. Firestore allows one TTL
# field per collection group and deletes typically within 24 hours after the time, so the code
# must still ignore an expired document it reads (cloud.google.com/firestore/docs/ttl). The
# rolling window's entries live inside one document (safety_window:losses) that the code prunes
# on every write; that document holds the window's tripped state and must not expire.
locals {
  firestore_ttl_field = "expires_at"
  firestore_ttl_collections = {
    processed = "chatsync_processed"
    docs      = "chatsync_docs"
  }
}

resource "google_firestore_field" "expires_at" {
  for_each = local.firestore_ttl_collections

  project    = var.project_id
  database   = var.firestore_database
  collection = each.value
  field      = local.firestore_ttl_field

  ttl_config {}

  # No single-field index on the expiry: it is never queried, and an index on ever-increasing
  # timestamps only adds write cost (an empty index_config removes the automatic indexes).
  index_config {}

  depends_on = [google_firestore_database.state]
}
