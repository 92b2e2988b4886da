# Observability: log-based metrics over the functions' structured log lines, alert policies on
# them and on the dead-letter backlog, and one dashboard. The metrics' filters live in
# log_metrics.json, which the tests evaluate against log lines captured from real runs; what each
# metric and alert means and what to do when one fires: docs/observability.md.

locals {
  log_metrics = { for m in jsondecode(file("${path.module}/log_metrics.json")).metrics : m.name => m }

  # Only the chatsync functions' own log lines (2nd gen functions log as Cloud Run revisions).
  function_services = concat(
    [for t in values(local.topics) : t.function_name],
    [for k in keys(local.hr_bridges) : "${var.name_prefix}-${k}"],
  )
  function_logs_filter = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(${join(" OR ", [for s in local.function_services : "\"${s}\""])})"

  metric_type = { for k in keys(local.log_metrics) : k => "logging.googleapis.com/user/${var.name_prefix}/${k}" }

  dead_letter_subscriptions = [for t in values(local.topics) : t.dead_letter_pull]
}

resource "google_logging_metric" "this" {
  for_each = local.log_metrics

  project     = var.project_id
  name        = "${var.name_prefix}/${each.key}"
  description = each.value.description
  filter      = "${local.function_logs_filter} AND (${each.value.filter})"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "chatsync ${replace(each.key, "_", " ")}"

    dynamic "labels" {
      for_each = each.value.labels
      content {
        key         = labels.key
        value_type  = "STRING"
        description = labels.value.description
      }
    }
  }

  label_extractors = { for k, label in each.value.labels : k => label.extractor }

  depends_on = [google_project_service.this]
}

locals {
  # One threshold alert per log metric that must stay at zero, or stay low.
  log_metric_alerts = {
    plan_held = {
      metric    = "plans_held"
      title     = "chatsync: a plan is held for approval"
      threshold = 0
      window    = "300s"
      doc       = "plans_held"
    }
    authorization_failures = {
      metric    = "chat_authorization_failures"
      title     = "chatsync: Chat refuses membership changes (401/403)"
      threshold = 0
      window    = "300s"
      doc       = "chat_authorization_failures"
    }
    rate_limited = {
      metric    = "chat_rate_limited"
      title     = "chatsync: Chat keeps answering 429"
      threshold = var.rate_limited_alert_threshold
      window    = "600s"
      doc       = "chat_rate_limited"
    }
    messages_dropped = {
      metric    = "messages_dropped"
      title     = "chatsync: messages dropped as permanent errors"
      threshold = 0
      window    = "300s"
      doc       = "messages_dropped"
    }
    work_run_stalled = {
      metric    = "work_runs_stalled"
      title     = "chatsync: a fanned-out run has stalled"
      threshold = 0
      window    = "300s"
      doc       = "work_runs_stalled"
    }
  }
}

resource "google_monitoring_alert_policy" "log_metric" {
  for_each = local.log_metric_alerts

  project               = var.project_id
  display_name          = each.value.title
  combiner              = "OR"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "${each.value.metric} above ${each.value.threshold} in ${each.value.window}"

    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"${local.metric_type[each.value.metric]}\""
      comparison      = "COMPARISON_GT"
      threshold_value = each.value.threshold
      duration        = "0s"

      aggregations {
        alignment_period     = each.value.window
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "See docs/observability.md, section `${each.value.doc}`: what this means and what to do."
  }

  depends_on = [google_logging_metric.this]
}

# Dead letters: anything in a -dlq-inspect subscription is a message that failed every delivery.
resource "google_monitoring_alert_policy" "dead_letters" {
  project               = var.project_id
  display_name          = "chatsync: dead-lettered messages waiting"
  combiner              = "OR"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "undelivered messages in a dead-letter inspection subscription above 0"

    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.labels.subscription_id = monitoring.regex.full_match(\"${join("|", local.dead_letter_subscriptions)}\")"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "300s"

      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "See docs/observability.md, section `dead_letters`: inspect with gcloud pubsub subscriptions pull <topic>-dlq-inspect, fix, replay."
  }

  depends_on = [google_project_service.this]
}

# No full reconcile for a day: the safety net that repairs what events missed is not running.
# A metric-absence window can be at most 23.5 hours (cloud.google.com/monitoring/alerts/
# metric-absence), so "none in 24 h" is checked as "none in full_reconcile_max_gap" (default
# 23.5 h): the strict side, firing half an hour early rather than never.
resource "google_monitoring_alert_policy" "no_full_reconcile" {
  project               = var.project_id
  display_name          = "chatsync: no full reconcile within ${var.full_reconcile_max_gap}"
  combiner              = "OR"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "full_reconciles absent for ${var.full_reconcile_max_gap}"

    condition_absent {
      filter   = "resource.type = \"cloud_run_revision\" AND metric.type = \"${local.metric_type["full_reconciles"]}\""
      duration = var.full_reconcile_max_gap

      aggregations {
        alignment_period     = "3600s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "See docs/observability.md, section `full_reconciles`: check the Scheduler job and the reconcile function's errors."
  }

  depends_on = [google_logging_metric.this]
}

locals {
  dashboard_tiles = concat(
    [
      for name in sort(keys(local.log_metrics)) : {
        title   = local.log_metrics[name].description
        filter  = "metric.type=\"${local.metric_type[name]}\" resource.type=\"cloud_run_revision\""
        group   = [for k in keys(local.log_metrics[name].labels) : "metric.label.\"${k}\""]
        aligner = "ALIGN_SUM"
        reducer = "REDUCE_SUM"
      }
    ],
    [{
      title   = "Undelivered messages in the dead-letter inspection subscriptions"
      filter  = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" resource.type=\"pubsub_subscription\" resource.label.\"subscription_id\"=monitoring.regex.full_match(\"${join("|", local.dead_letter_subscriptions)}\")"
      group   = ["resource.label.\"subscription_id\""]
      aligner = "ALIGN_MAX"
      reducer = "REDUCE_MAX"
    }],
  )
}

resource "google_monitoring_dashboard" "chatsync" {
  project = var.project_id
  dashboard_json = jsonencode({
    displayName = "chatsync"
    mosaicLayout = {
      columns = 12
      tiles = [
        for i, tile in local.dashboard_tiles : {
          xPos   = (i % 2) * 6
          yPos   = floor(i / 2) * 4
          width  = 6
          height = 4
          widget = {
            title = tile.title
            xyChart = {
              dataSets = [{
                plotType = "STACKED_BAR"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter = tile.filter
                    aggregation = {
                      alignmentPeriod    = "300s"
                      perSeriesAligner   = tile.aligner
                      crossSeriesReducer = tile.reducer
                      groupByFields      = tile.group
                    }
                  }
                }
              }]
            }
          }
        }
      ]
    }
  })

  depends_on = [google_logging_metric.this]
}
