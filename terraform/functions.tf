# Source: functions/ zipped, uploaded under a content-hash name, so a code change is a new object
# and therefore a new function revision (an unchanged name would upload but never redeploy).

data "archive_file" "functions_source" {
  type             = "zip"
  source_dir       = "${path.module}/../functions"
  output_path      = "${path.module}/.build/functions-source.zip"
  output_file_mode = "0644" # same hash whatever the umask of the machine that zips
  excludes = [
    "workspace_emulator",
    "workspace_emulator/**",
    "chatsync/tools/**",
    "chatsync/samples/**",
    "tests/**",
    "**/__pycache__/**",
    "**/*.pyc",
    "*.egg-info/**",
    ".chatsync/**",
  ]
}

resource "google_storage_bucket" "source" {
  # checkov:skip=CKV_GCP_62:Access logs of a bucket that holds only our own source zips add nothing; writes are already in Cloud Audit Logs (admin activity), reads are by the build service account only.
  project                     = var.project_id
  name                        = "${var.project_id}-${var.name_prefix}-source"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = var.labels

  versioning {
    enabled = true
  }

  # A redeploy replaces the object (new hash, old one deleted, so noncurrent): drop those later.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.this]
}

resource "google_storage_bucket_object" "functions_source" {
  bucket = google_storage_bucket.source.name
  name   = "functions-source-${data.archive_file.functions_source.output_md5}.zip"
  source = data.archive_file.functions_source.output_path
}

# Our own image repository, so the build account can be given writer on it alone.
resource "google_artifact_registry_repository" "functions" {
  # checkov:skip=CKV_GCP_84:Google-managed encryption is accepted for build images of public-source dependencies plus our code; no secrets are baked into images.
  project       = var.project_id
  location      = var.region
  repository_id = "${var.name_prefix}-functions"
  format        = "DOCKER"
  description   = "Build images of the chatsync functions."
  labels        = var.labels

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      older_than = "2592000s" # 30 days
    }
  }

  depends_on = [google_project_service.this]
}

# No event_trigger: each function is reached by our own push subscription (pubsub.tf), because
# a trigger's auto-created subscription cannot carry a dead-letter policy. functions-framework
# turns the raw push body into the same CloudEvent a trigger would deliver, so the handlers stay
# @functions_framework.cloud_event.
resource "google_cloudfunctions2_function" "this" {
  for_each = local.topics

  project     = var.project_id
  name        = each.value.function_name
  location    = var.region
  description = each.value.description
  labels      = var.labels

  build_config {
    runtime           = var.runtime
    entry_point       = each.value.entry_point
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.functions_source.name
      }
    }
  }

  service_config {
    min_instance_count               = 0
    max_instance_count               = var.functions[each.key].max_instances
    max_instance_request_concurrency = 1 # the per-instance Chat rate assumes one request at a time
    available_memory                 = var.functions[each.key].memory
    timeout_seconds                  = var.functions[each.key].timeout_seconds
    ingress_settings                 = var.ingress_settings
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.runtime.email
    environment_variables = merge(
      local.function_environment,
      local.function_rate_environment[each.key],
      local.function_budget_environment[each.key],
      local.function_publish_environment[each.key],
      local.function_snapshot_environment[each.key],
    )
  }

  lifecycle {
    precondition {
      # The demo's rules (functions/rules.yaml) manage the emulator's spaces/AAAA... spaces.
      condition     = fileexists("${path.module}/../functions/${var.rules_file}") && !strcontains(file("${path.module}/../functions/${var.rules_file}"), "spaces/AAAA")
      error_message = "rules_file must be your own rules file inside functions/ (it names the demo's spaces/AAAA... spaces, or does not exist)."
    }
    precondition {
      condition     = local.chat_rates[each.key].writes_per_instance_minute >= 1 && local.chat_writes_per_minute_at_max <= var.chat_writes_per_minute_budget
      error_message = "Chat writes: each instance needs at least one a minute, and the sum over functions of max_instances x per-instance rate must stay within chat_writes_per_minute_budget."
    }
    precondition {
      condition     = local.invocation_budget_seconds[each.key] >= 5 && local.invocation_budget_seconds[each.key] < var.functions[each.key].timeout_seconds
      error_message = "CHATSYNC_INVOCATION_BUDGET_S must leave at least 5 seconds of work and stay below the function's timeout."
    }
    precondition {
      condition     = local.chat_rates[each.key].reads_per_instance_minute >= 1 && local.chat_reads_per_minute_at_max <= var.chat_reads_per_minute_budget
      error_message = "Chat reads: each instance needs at least one a minute, and the sum over functions of max_instances x per-instance rate must stay within chat_reads_per_minute_budget."
    }
  }

  depends_on = [
    google_project_service.this,
    google_project_iam_member.build_writes_logs,
    google_storage_bucket_iam_member.build_reads_source,
    google_project_iam_member.build_reads_functions_sources,
    google_artifact_registry_repository_iam_member.build_writes_images,
    google_storage_bucket_iam_member.runtime_writes_snapshots, # the first run can publish
  ]
}
