# HR bridges: two HTTP functions that turn what an identity provider (SCIM 2.0) or an HR system
# (signed webhooks) sends into dirsync.hr.v1 events on the HR topic. Each runs as its own account
# that may publish to the HR topic and read its own secrets, nothing else.
#
# Reachability: the IdP and the HR vendors call from the internet with no Google identity, so
# they can only reach a function with ingress ALLOW_ALL and roles/run.invoker for allUsers. That
# is off until expose_hr_bridges = true. It is safe because the function is then the gate: on_scim
# refuses any request without the SCIM bearer token and on_hr_webhook any request whose vendor
# signature (HMAC over the raw body, with a timestamp window where the vendor sends one) does not
# verify, both compared in constant time (hmac.compare_digest) before anything is parsed or
# published; a refused request costs one short invocation. Each function can publish only to the
# HR topic, so even a forged event goes through the same validation as every HR event, and
# max_instance_count bounds what a flood can cost.
#
# Secrets: the containers are created here with no value; an admin adds the value as a version
# (gcloud secrets versions add), so no secret is ever in the Terraform state. They are mounted as
# files (version "latest", read at each file read), not environment variables: Cloud Run resolves
# secret environment variables when an instance starts and fails the start if no version exists,
# whereas a mounted secret is fetched on read (cloud.google.com/run/docs/configuring/secrets), so
# the first apply succeeds before the admin has added the values and a rotation needs no redeploy.
# Whether a deployment with a mounted secret that has no version yet passes Cloud Run's deploy
# checks is UNCONFIRMED; the documented check is the accessor permission, granted below first.

locals {
  hr_bridge_secret_mount = "/etc/chatsync"

  hr_bridges = {
    scim = {
      entry_point = "on_scim"
      description = "SCIM 2.0 endpoint for the identity provider: Users in, dirsync.hr.v1 events out to the HR topic."
      secrets = {
        "scim-token" = {
          env         = "CHATSYNC_SCIM_TOKEN_FILE"
          description = "Bearer token the identity provider presents to the SCIM endpoint."
        }
      }
    }
    webhook = {
      entry_point = "on_hr_webhook"
      description = "Signed HR webhooks (one signing secret per vendor): dirsync.hr.v1 events out to the HR topic."
      secrets = {
        for vendor in var.hr_webhook_vendors : "webhook-${vendor}" => {
          env         = "CHATSYNC_WEBHOOK_${upper(vendor)}_SECRET_FILE"
          description = "Signing secret of the ${vendor} webhooks (HMAC key the vendor signs each request with)."
        }
      }
    }
  }

  # One entry per secret: "<bridge>/<secret>".
  hr_bridge_secrets = merge([
    for bridge, b in local.hr_bridges : {
      for name, secret in b.secrets : "${bridge}/${name}" => merge(secret, {
        bridge    = bridge
        secret_id = "${var.name_prefix}-${name}"
        mount     = "${local.hr_bridge_secret_mount}/${name}"
      })
    }
  ]...)

  hr_bridge_environment = {
    for bridge, b in local.hr_bridges : bridge => merge(
      {
        GOOGLE_CLOUD_PROJECT         = var.project_id
        CHATSYNC_HR_TOPIC            = google_pubsub_topic.events["hr"].id
        CHATSYNC_LOG_LEVEL           = var.log_level
        CHATSYNC_HASH_EMAILS         = tostring(var.hash_emails)
        CHATSYNC_INVOCATION_BUDGET_S = tostring(var.hr_bridges.timeout_seconds - max(5, ceil(var.hr_bridges.timeout_seconds / 10)))
      },
      { for key, s in local.hr_bridge_secrets : s.env => "${s.mount}/value" if s.bridge == bridge },
    )
  }
}

resource "google_service_account" "hr_bridge" {
  for_each = local.hr_bridges

  project      = var.project_id
  account_id   = "${var.name_prefix}-${each.key}"
  display_name = "chatsync HR bridge (${each.key})"
  description  = "Runs ${each.value.entry_point}: publishes to the HR events topic and reads its own secrets, nothing else."
}

# Google-managed encryption: a customer key would add a key ring and the Secret Manager agent's
# encrypter role for two short secrets.
resource "google_secret_manager_secret" "hr_bridge" {
  for_each = local.hr_bridge_secrets

  project   = var.project_id
  secret_id = each.value.secret_id
  labels    = merge(var.labels, { bridge = each.value.bridge })

  annotations = {
    description = each.value.description
  }

  replication {
    auto {}
  }

  depends_on = [google_project_service.this]
}

resource "google_secret_manager_secret_iam_member" "hr_bridge_reads_own_secret" {
  for_each = local.hr_bridge_secrets

  project   = var.project_id
  secret_id = google_secret_manager_secret.hr_bridge[each.key].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.hr_bridge[each.value.bridge].member
}

resource "google_pubsub_topic_iam_member" "hr_bridge_publishes_hr" {
  for_each = local.hr_bridges

  project = var.project_id
  topic   = google_pubsub_topic.events["hr"].name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.hr_bridge[each.key].member
}

resource "google_cloudfunctions2_function" "hr_bridge" {
  # checkov:skip=CKV_GCP_124:With expose_hr_bridges the IdP and HR vendors must reach these two functions from the internet (they hold no Google identity); each request is authenticated in the function by bearer token or HMAC signature, compared in constant time.
  for_each = local.hr_bridges

  project     = var.project_id
  name        = "${var.name_prefix}-${each.key}"
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
    max_instance_count               = var.hr_bridges.max_instances
    max_instance_request_concurrency = 1
    available_memory                 = "256Mi"
    timeout_seconds                  = var.hr_bridges.timeout_seconds
    ingress_settings                 = var.expose_hr_bridges ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.hr_bridge[each.key].email
    environment_variables            = local.hr_bridge_environment[each.key]

    dynamic "secret_volumes" {
      for_each = { for key, s in local.hr_bridge_secrets : key => s if s.bridge == each.key }
      content {
        mount_path = secret_volumes.value.mount
        project_id = var.project_id
        secret     = google_secret_manager_secret.hr_bridge[secret_volumes.key].secret_id
        versions {
          version = "latest"
          path    = "value"
        }
      }
    }
  }

  depends_on = [
    google_project_service.this,
    google_project_iam_member.build_writes_logs,
    google_storage_bucket_iam_member.build_reads_source,
    google_project_iam_member.build_reads_functions_sources,
    google_artifact_registry_repository_iam_member.build_writes_images,
    google_secret_manager_secret_iam_member.hr_bridge_reads_own_secret,
  ]
}

# Public invocation, only with expose_hr_bridges (see the top of this file for why it is safe).
resource "google_cloud_run_v2_service_iam_member" "hr_bridge_public" {
  for_each = var.expose_hr_bridges ? local.hr_bridges : {}

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.hr_bridge[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}
