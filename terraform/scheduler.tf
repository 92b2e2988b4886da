# Ticks for the reconcile function. A pubsub_target job publishes as the Cloud Scheduler service
# agent, which already holds pubsub.topics.publish, so no scheduler service account is needed.
# No attempt_deadline: with a Pub/Sub target it causes a diff that never resolves.

locals {
  scheduler_jobs = merge(
    {
      reconcile = {
        schedule    = var.reconcile_schedule
        kind        = "reconcile"
        description = "Full reconcile of every managed Chat space against the directory."
      }
    },
    var.subscription_renewal_schedule == "" ? {} : {
      renew-subscriptions = {
        schedule    = var.subscription_renewal_schedule
        kind        = "renew_subscriptions"
        description = "Renew the Workspace Events subscriptions (Chat membership events) before they expire."
      }
    },
  )
}

resource "google_cloud_scheduler_job" "ticks" {
  for_each = local.scheduler_jobs

  project     = var.project_id
  region      = var.region
  name        = "${var.name_prefix}-${each.key}"
  description = each.value.description
  schedule    = each.value.schedule
  time_zone   = var.time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.events["reconcile"].id
    data       = base64encode(jsonencode({ kind = each.value.kind }))
    attributes = { source = "scheduler" }
  }

  retry_config {
    retry_count = 1
  }

  depends_on = [google_project_service.this]
}
