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
