# Per event stream: a topic, a dead-letter topic with a pull subscription to inspect it, and our
# own push subscription to the function. The functions have no event_trigger on purpose: the
# subscription an event trigger (Eventarc) creates cannot carry a dead-letter policy, ordering or
# an ack deadline, so a poison message would be retried for days and then dropped silently.

resource "google_pubsub_topic" "events" {
  # checkov:skip=CKV_GCP_83:Google-managed encryption is accepted: messages are membership events that live at most 7 days; CMEK would add a key ring and the Pub/Sub agent's encrypter role for no gain here.
  for_each = local.topics

  project = var.project_id
  name    = each.value.name
  labels  = var.labels

  depends_on = [google_project_service.this]
}

resource "google_pubsub_topic" "dead_letter" {
  # checkov:skip=CKV_GCP_83:Google-managed encryption is accepted for dead-lettered copies of the same events (see the events topics).
  for_each = local.topics

  project = var.project_id
  name    = each.value.dead_letter_topic
  labels  = var.labels

  depends_on = [google_project_service.this]
}

# A dead-letter topic with no subscription drops what it receives: keep it for inspection
# (gcloud pubsub subscriptions pull <name> --auto-ack=false) and replay.
resource "google_pubsub_subscription" "dead_letter_inspect" {
  for_each = local.topics

  project                    = var.project_id
  name                       = each.value.dead_letter_pull
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  ack_deadline_seconds       = 60
  message_retention_duration = var.message_retention_duration
  retain_acked_messages      = false
  labels                     = var.labels

  expiration_policy {
    ttl = "" # never expire (the default deletes a subscription after 31 idle days)
  }
}

resource "google_pubsub_subscription" "push" {
  for_each = local.topics

  project                    = var.project_id
  name                       = each.value.push_subscription
  topic                      = google_pubsub_topic.events[each.key].id
  ack_deadline_seconds       = var.functions[each.key].timeout_seconds # >= the function timeout
  message_retention_duration = var.message_retention_duration
  enable_message_ordering    = each.value.ordering
  labels                     = var.labels

  expiration_policy {
    ttl = ""
  }

  push_config {
    # The topic path lets functions-framework fill in the CloudEvent source
    # (//pubsub.googleapis.com/projects/P/topics/T) when it converts the raw push body.
    push_endpoint = "${google_cloudfunctions2_function.this[each.key].service_config[0].uri}/${google_pubsub_topic.events[each.key].id}"

    oidc_token {
      service_account_email = google_service_account.push_invoker.email
      audience              = google_cloudfunctions2_function.this[each.key].service_config[0].uri
    }
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = each.value.max_delivery_tries
  }

  retry_policy {
    minimum_backoff = var.retry_minimum_backoff
    maximum_backoff = var.retry_maximum_backoff
  }

  # Dead-lettering silently does nothing without the service agent's roles (iam.tf).
  depends_on = [
    google_pubsub_topic_iam_member.dead_letter_publisher,
    google_service_account_iam_member.pubsub_agent_mints_push_tokens,
    google_cloud_run_v2_service_iam_member.push_invoker,
  ]
}
