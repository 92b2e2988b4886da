variable "project_id" {
  type        = string
  description = "Cloud project that hosts chatsync and its configured Chat app."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project id (6-30 characters: lowercase letters, digits, hyphens), not a project number or name."
  }
}

variable "region" {
  type        = string
  description = "Region of the functions, the source bucket, the Artifact Registry repository and the Scheduler jobs."
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a region such as europe-west1 (not a zone such as europe-west1-b)."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name this module chooses (functions, service accounts, bucket, jobs). Topic names come from pubsub.json instead."
  default     = "chatsync"

  validation {
    # Service account ids are 6-30 characters and the longest suffix used is "-build" / "-hr-pub".
    condition     = can(regex("^[a-z][a-z0-9-]{2,20}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 4-22 characters: a lowercase letter, then lowercase letters, digits or hyphens, not ending in a hyphen."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels added to every resource that takes labels."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "Label keys must start with a lowercase letter; keys and values may hold lowercase letters, digits, _ and - (at most 63 characters)."
  }
}

variable "runtime" {
  type        = string
  description = "Python runtime of the functions."
  default     = "python312"

  validation {
    condition     = contains(["python312", "python313"], var.runtime)
    error_message = "runtime must be python312 or python313 (the code needs Python 3.11+, and these are the runtimes it is tested against)."
  }
}

variable "functions" {
  type = map(object({
    max_instances   = number
    timeout_seconds = optional(number, 300)
    memory          = optional(string, "512Mi")
    quota_share     = optional(number)
  }))
  description = <<-EOT
    Sizing per function, keyed like the topics in pubsub.json (hr, group, chat, reconcile, work).
    max_instances bounds each function. quota_share is the fraction of the project's Chat budgets
    (chat_writes_per_minute_budget, chat_reads_per_minute_budget) the function may spend, split
    evenly among its instances: CHATSYNC_WRITES_PER_MINUTE = floor(budget x quota_share /
    max_instances), and the same for reads. The shares must sum to at most 1 (counted in
    millionths) and leave every instance at least one write and one read a minute. Set
    quota_share on every function or on none; none gives the equal split per instance
    floor(budget / sum of max_instances). Defaults: bulk work gets 0.6, split between the full
    reconcile (0.3: 1 x 900 reads a minute for its survey) and the work items it and the group
    function fan out (0.3: 2 x 45 writes), which apply every change of a full reconcile (a
    10,000-change reorg in about 1 h 52 min; work = 0.5 with reconcile = 0.1 takes 67 minutes
    and still leaves the survey 300 reads a minute); the event functions keep 0.4 for changes as they happen:
    hr 0.2 (3 x 20 writes), group 0.1 (3 x 10), chat 0.1 (2 x 15, drift reverts). 300 writes and
    3000 reads in all.
    timeout_seconds is also the push subscription's ack deadline, so it is capped at 540 (Pub/Sub
    allows at most 600). Each instance serves one request at a time.
  EOT
  default = {
    hr        = { max_instances = 3, quota_share = 0.2 }
    group     = { max_instances = 3, quota_share = 0.1 }
    chat      = { max_instances = 2, quota_share = 0.1 }
    reconcile = { max_instances = 1, quota_share = 0.3, timeout_seconds = 540, memory = "1Gi" }
    work      = { max_instances = 2, quota_share = 0.3, timeout_seconds = 540 }
  }

  validation {
    condition     = toset(keys(var.functions)) == toset(["hr", "group", "chat", "reconcile", "work"])
    error_message = "functions must have exactly the keys hr, group, chat, reconcile and work (the topic keys in pubsub.json)."
  }
  validation {
    condition     = alltrue([for f in values(var.functions) : f.max_instances >= 1 && f.max_instances <= 100 && floor(f.max_instances) == f.max_instances])
    error_message = "Each max_instances must be a whole number from 1 to 100: an unbounded function would overrun the Chat quota."
  }
  validation {
    condition     = alltrue([for f in values(var.functions) : f.timeout_seconds >= 10 && f.timeout_seconds <= 540])
    error_message = "Each timeout_seconds must be 10-540: it becomes the ack deadline, which Pub/Sub caps at 600 seconds."
  }
  validation {
    condition     = alltrue([for f in values(var.functions) : can(regex("^[0-9]+(Mi|Gi|M|G)$", f.memory))])
    error_message = "Each memory must look like 512Mi, 1Gi, 256M or 1G."
  }
  validation {
    condition     = alltrue([for f in values(var.functions) : f.quota_share == null]) || alltrue([for f in values(var.functions) : f.quota_share != null])
    error_message = "Set quota_share on every function or on none: a function without one would have no part of the Chat budget."
  }
  validation {
    condition     = alltrue([for f in values(var.functions) : f.quota_share == null ? true : f.quota_share > 0])
    error_message = "Each quota_share must be above 0: it is the function's fraction of the Chat budgets."
  }
  validation {
    # In millionths, as main.tf counts them: 0.1 + 0.2 is not exactly 0.3 in binary.
    condition     = sum([for f in values(var.functions) : f.quota_share == null ? 0 : floor(f.quota_share * 1000000 + 0.5)]) <= 1000000
    error_message = "The quota_share values sum to more than 1: together the functions would exceed the project's Chat budgets."
  }
}

variable "chat_writes_per_minute_budget" {
  type        = number
  description = <<-EOT
    Chat membership writes per minute the whole project may send (Chat quota: 300 per project).
    Each instance of a function gets CHATSYNC_WRITES_PER_MINUTE = floor(budget x quota_share /
    max_instances), so with every function at its maximum the project sends
    sum(max_instances x that rate) <= budget. Defaults: hr 3 x 20, group 3 x 10, chat 2 x 15,
    reconcile 1 x 90, work 2 x 45 = 300. Lower it when another app shares the project.
  EOT
  default     = 300

  validation {
    condition     = var.chat_writes_per_minute_budget >= 1 && var.chat_writes_per_minute_budget <= 300
    error_message = "chat_writes_per_minute_budget must be 1-300: Chat allows 300 membership writes per minute per project."
  }
  validation {
    condition     = sum([for f in values(var.functions) : f.max_instances]) <= var.chat_writes_per_minute_budget
    error_message = "The sum of functions[*].max_instances exceeds chat_writes_per_minute_budget: each instance needs at least one write per minute. Lower max_instances."
  }
  validation {
    condition     = alltrue([for f in values(var.functions) : f.quota_share == null ? true : floor(var.chat_writes_per_minute_budget * floor(f.quota_share * 1000000 + 0.5) / (f.max_instances * 1000000)) >= 1])
    error_message = "A function's per-instance write rate, floor(chat_writes_per_minute_budget x quota_share / max_instances), is below 1: raise its quota_share or lower its max_instances."
  }
}

variable "chat_reads_per_minute_budget" {
  type        = number
  description = <<-EOT
    Chat membership reads per minute for the whole project (Chat quota: 3000 per project). Each
    instance of a function gets CHATSYNC_READS_PER_MINUTE = floor(budget x quota_share /
    max_instances). Defaults: hr 3 x 200, group 3 x 100, chat 2 x 150, reconcile 1 x 900,
    work 2 x 450 = 3000.
  EOT
  default     = 3000

  validation {
    condition     = var.chat_reads_per_minute_budget >= 1 && var.chat_reads_per_minute_budget <= 3000
    error_message = "chat_reads_per_minute_budget must be 1-3000: Chat allows 3000 membership reads per minute per project."
  }
  validation {
    condition     = sum([for f in values(var.functions) : f.max_instances]) <= var.chat_reads_per_minute_budget
    error_message = "The sum of functions[*].max_instances exceeds chat_reads_per_minute_budget."
  }
  validation {
    condition     = alltrue([for f in values(var.functions) : f.quota_share == null ? true : floor(var.chat_reads_per_minute_budget * floor(f.quota_share * 1000000 + 0.5) / (f.max_instances * 1000000)) >= 1])
    error_message = "A function's per-instance read rate, floor(chat_reads_per_minute_budget x quota_share / max_instances), is below 1: raise its quota_share or lower its max_instances."
  }
}

variable "ingress_settings" {
  type        = string
  description = "Ingress of the functions. Pub/Sub push from the same project counts as internal traffic, so ALLOW_INTERNAL_ONLY works; ALLOW_ALL is the fallback (every request must still carry an OIDC token of the push invoker)."
  default     = "ALLOW_INTERNAL_ONLY"

  validation {
    condition     = contains(["ALLOW_INTERNAL_ONLY", "ALLOW_ALL"], var.ingress_settings)
    error_message = "ingress_settings must be ALLOW_INTERNAL_ONLY or ALLOW_ALL."
  }
}

variable "auth_mode" {
  type        = string
  description = <<-EOT
    How the functions call Chat (CHATSYNC_AUTH_MODE); the scopes each mode needs come from
    functions/chatsync/scopes.json (outputs domain_wide_delegation_scopes, chat_app_approval_scopes).
    admin (default): domain-wide delegation impersonating admin_subject with Chat admin access
    (chat.admin.memberships, useAdminAccess): can add, remove and change roles in existing spaces
    of the organization, whether or not the Chat app is a member.
    app: the Chat app itself (chat.app.memberships, one-time admin approval): works only in spaces
    the app is a member of, and can change roles only in spaces the app created; it cannot manage
    existing spaces it was merely added to.
  EOT
  default     = "admin"

  validation {
    condition     = contains(["admin", "app"], var.auth_mode)
    error_message = "auth_mode must be admin or app."
  }
}

variable "admin_subject" {
  type        = string
  description = "Workspace admin the runtime account impersonates (domain-wide delegation) for Directory reads, and for Chat in admin mode. Sets CHATSYNC_ADMIN_SUBJECT."

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", var.admin_subject))
    error_message = "admin_subject must be the email address of a Workspace admin."
  }
}

variable "directory_customer" {
  type        = string
  description = "Directory API customer (my_customer, or an id such as C0123abcd). Sets CHATSYNC_DIRECTORY_CUSTOMER."
  default     = "my_customer"

  validation {
    condition     = can(regex("^(my_customer|C[0-9a-z]+)$", var.directory_customer))
    error_message = "directory_customer must be my_customer or a customer id such as C0123abcd."
  }
}

variable "rules_file" {
  type        = string
  description = "Your rules file, relative to the deployed source (functions/), e.g. \"rules.prod.yaml\". Required: functions/rules.yaml is the demo's and names the demo's spaces, which the plan refuses (and so does the function at cold start). Sets CHATSYNC_RULES_FILE."

  validation {
    condition     = can(regex("^[A-Za-z0-9_./-]+\\.ya?ml$", var.rules_file)) && !startswith(var.rules_file, "/") && !strcontains(var.rules_file, "..")
    error_message = "rules_file must be a relative .yaml/.yml path inside the deployed source."
  }
}

variable "dry_run" {
  type        = bool
  description = "Plan and log without writing to Chat (CHATSYNC_DRY_RUN). Useful for a first deployment."
  default     = false
}

variable "drift_mode" {
  type        = string
  description = "What the chat function does with a manual change that contradicts the rules: revert or report (CHATSYNC_DRIFT_MODE)."
  default     = "revert"

  validation {
    condition     = contains(["revert", "report"], var.drift_mode)
    error_message = "drift_mode must be revert or report."
  }
}

variable "admin_space" {
  type        = string
  description = "Chat space (spaces/...) where the Chat app posts held plans, drift and spaces it can no longer manage (CHATSYNC_ADMIN_SPACE). The app must be a member of it; chatsync doctor checks. Empty: no notifications."
  default     = ""

  validation {
    condition     = var.admin_space == "" || can(regex("^spaces/[A-Za-z0-9_-]{1,128}$", var.admin_space))
    error_message = "admin_space must be empty or a Chat space name, spaces/<id>."
  }
}

variable "max_attempts" {
  type        = number
  description = "Tries per API call within one delivery before the message goes back to Pub/Sub (CHATSYNC_MAX_ATTEMPTS)."
  default     = 4

  validation {
    condition     = var.max_attempts >= 1 && var.max_attempts <= 10 && floor(var.max_attempts) == var.max_attempts
    error_message = "max_attempts must be a whole number from 1 to 10."
  }
}

variable "hash_emails" {
  type        = bool
  description = "Log a salted hash instead of email addresses (CHATSYNC_HASH_EMAILS)."
  default     = false
}

variable "log_level" {
  type        = string
  description = "Log level of the functions (CHATSYNC_LOG_LEVEL)."
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "retry_minimum_backoff" {
  type        = string
  description = "Shortest wait before Pub/Sub redelivers a nacked message, e.g. \"10s\"."
  default     = "10s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.retry_minimum_backoff)) && try(tonumber(trimsuffix(var.retry_minimum_backoff, "s")) <= 600, false)
    error_message = "retry_minimum_backoff must be a duration in seconds from 0s to 600s."
  }
}

variable "retry_maximum_backoff" {
  type        = string
  description = "Longest wait before Pub/Sub redelivers a nacked message, e.g. \"600s\"."
  default     = "600s"

  validation {
    condition = (
      can(regex("^[0-9]+s$", var.retry_maximum_backoff))
      && try(tonumber(trimsuffix(var.retry_maximum_backoff, "s")) <= 600, false)
      && try(tonumber(trimsuffix(var.retry_maximum_backoff, "s")) >= tonumber(trimsuffix(var.retry_minimum_backoff, "s")), false)
    )
    error_message = "retry_maximum_backoff must be a duration in seconds, at most 600s and not below retry_minimum_backoff."
  }
}

variable "message_retention_duration" {
  type        = string
  description = "How long the push and dead-letter subscriptions keep unacknowledged messages."
  default     = "604800s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.message_retention_duration)) && try(tonumber(trimsuffix(var.message_retention_duration, "s")) >= 600 && tonumber(trimsuffix(var.message_retention_duration, "s")) <= 604800, false)
    error_message = "message_retention_duration must be from 600s to 604800s (7 days)."
  }
}

variable "reconcile_schedule" {
  type        = string
  description = "Cron schedule (five fields) of the full reconcile tick."
  default     = "17 */6 * * *"

  validation {
    condition     = length(split(" ", trimspace(var.reconcile_schedule))) == 5 && can(regex("^[0-9*/,-]+( [0-9A-Za-z*/,-]+){4}$", trimspace(var.reconcile_schedule)))
    error_message = "reconcile_schedule must be a five-field cron expression such as \"17 */6 * * *\"."
  }
}

variable "subscription_renewal_schedule" {
  type        = string
  description = "Cron schedule of the Workspace Events subscription renewal tick (subscriptions with resource data expire after 4 hours). Empty: no renewal job."
  default     = "5 * * * *"

  validation {
    condition     = var.subscription_renewal_schedule == "" || (length(split(" ", trimspace(var.subscription_renewal_schedule))) == 5 && can(regex("^[0-9*/,-]+( [0-9A-Za-z*/,-]+){4}$", trimspace(var.subscription_renewal_schedule))))
    error_message = "subscription_renewal_schedule must be empty or a five-field cron expression such as \"5 * * * *\"."
  }
}

variable "time_zone" {
  type        = string
  description = "IANA time zone of the Scheduler jobs."
  default     = "Etc/UTC"

  validation {
    condition     = can(regex("^[A-Za-z_]+(/[A-Za-z0-9_+-]+){0,2}$", var.time_zone))
    error_message = "time_zone must be an IANA time zone name such as Etc/UTC or Europe/Paris."
  }
}

variable "firestore_database" {
  type        = string
  description = "Firestore (native mode) database that holds dedup watermarks, held plans and the audit trail (CHATSYNC_FIRESTORE_DATABASE)."
  default     = "(default)"

  validation {
    condition     = var.firestore_database == "(default)" || can(regex("^[a-z][a-z0-9-]{2,61}[a-z0-9]$", var.firestore_database))
    error_message = "firestore_database must be (default) or 4-63 characters: lowercase letters, digits and hyphens."
  }
}

variable "create_firestore_database" {
  type        = bool
  description = "Create firestore_database. Set false when the project already has it (a project has one (default) database)."
  default     = true
}

variable "firestore_location" {
  type        = string
  description = "Location of the Firestore database (a region such as europe-west1 or a multi-region such as eur3). Empty: var.region."
  default     = ""

  validation {
    condition     = var.firestore_location == "" || can(regex("^([a-z]+-[a-z]+[0-9]+|nam[0-9]+|eur[0-9]+)$", var.firestore_location))
    error_message = "firestore_location must be empty, a region such as europe-west1, or a multi-region such as nam5 or eur3."
  }
}

variable "org_id" {
  type        = string
  description = "Organization id for the log sink that routes Workspace audit logs (group and user changes) to the group events topic. Empty: no sink."
  default     = ""

  validation {
    condition     = can(regex("^([0-9]+)?$", var.org_id))
    error_message = "org_id must be empty or a numeric organization id."
  }
}

variable "chat_events_publisher" {
  type        = string
  description = "Principal that the Workspace Events API publishes Chat membership events as; it gets publisher on the chat events topic only. Change it for a Chat app built as a Workspace add-on (see the Chat API configuration page); empty: grant it by hand."
  default     = "serviceAccount:chat-api-push@system.gserviceaccount.com"

  validation {
    condition     = var.chat_events_publisher == "" || can(regex("^serviceAccount:[^@\\s]+@[a-z0-9.-]+\\.gserviceaccount\\.com$", var.chat_events_publisher))
    error_message = "chat_events_publisher must be empty or serviceAccount:<email of a Google service account>."
  }
}

variable "expose_hr_bridges" {
  type        = bool
  description = "Let the identity provider and HR vendors reach the SCIM and webhook functions from the internet: ingress ALLOW_ALL and roles/run.invoker for allUsers on those two functions only. Safe only because each request must carry the SCIM bearer token or a valid vendor signature, checked in constant time in the function (see hr_bridges.tf). Add the secret values before turning it on."
  default     = false
}

variable "hr_webhook_vendors" {
  type        = list(string)
  description = "HR systems whose signed webhooks on_hr_webhook accepts; each gets its own signing-secret container (<prefix>-webhook-<vendor>) mounted into that function only."
  default     = ["bamboohr", "hibob", "personio", "gusto"]

  validation {
    condition     = alltrue([for v in var.hr_webhook_vendors : can(regex("^[a-z][a-z0-9]{1,19}$", v))]) && length(distinct(var.hr_webhook_vendors)) == length(var.hr_webhook_vendors)
    error_message = "hr_webhook_vendors must be distinct names of 2-20 lowercase letters and digits, starting with a letter (they name secrets and environment variables)."
  }
}

variable "hr_bridges" {
  type = object({
    max_instances   = optional(number, 2)
    timeout_seconds = optional(number, 60)
  })
  description = "Sizing of the two HR bridge functions (SCIM and webhooks). They do not call Chat, so they take no part of the Chat budgets; max_instances bounds what a flood of requests can cost."
  default     = {}

  validation {
    condition     = var.hr_bridges.max_instances >= 1 && var.hr_bridges.max_instances <= 20 && floor(var.hr_bridges.max_instances) == var.hr_bridges.max_instances
    error_message = "hr_bridges.max_instances must be a whole number from 1 to 20."
  }
  validation {
    condition     = var.hr_bridges.timeout_seconds >= 10 && var.hr_bridges.timeout_seconds <= 300
    error_message = "hr_bridges.timeout_seconds must be 10-300: IdPs and webhook senders give up long before."
  }
}

variable "notification_channels" {
  type        = list(string)
  description = "Cloud Monitoring notification channels (projects/P/notificationChannels/N) every chatsync alert notifies. Empty: the alerts open incidents in the console only."
  default     = []

  validation {
    condition     = alltrue([for c in var.notification_channels : can(regex("^projects/[a-z0-9-]+/notificationChannels/[0-9]+$", c))])
    error_message = "notification_channels must be ids such as projects/my-project/notificationChannels/1234567890."
  }
}

variable "rate_limited_alert_threshold" {
  type        = number
  description = "The 429 alert fires when more than this many membership changes failed on Chat's rate limit within 10 minutes (each is one change whose in-delivery retries all got 429)."
  default     = 5

  validation {
    condition     = var.rate_limited_alert_threshold >= 0 && floor(var.rate_limited_alert_threshold) == var.rate_limited_alert_threshold
    error_message = "rate_limited_alert_threshold must be a whole number, 0 or more."
  }
}

variable "full_reconcile_max_gap" {
  type        = string
  description = "How long without a full reconcile before the alert fires. Cloud Monitoring's longest metric-absence window is 23.5 hours (84600s), so \"none in 24 hours\" is checked as none in 84600s; keep reconcile_schedule running several times within it."
  default     = "84600s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.full_reconcile_max_gap)) && try(tonumber(trimsuffix(var.full_reconcile_max_gap, "s")) >= 3600 && tonumber(trimsuffix(var.full_reconcile_max_gap, "s")) <= 84600 && tonumber(trimsuffix(var.full_reconcile_max_gap, "s")) % 60 == 0, false)
    error_message = "full_reconcile_max_gap must be whole minutes in seconds from 3600s to 84600s (Monitoring's longest absence window), e.g. \"84600s\"."
  }
}

variable "rules_review_snapshot" {
  type = object({
    enabled = optional(bool, false)
    readers = optional(list(string), [])
  })
  description = <<-EOT
    Snapshots for offline rules reviews (docs/rules-review.md). enabled creates the private bucket
    <project_id>-<name_prefix>-snapshots (uniform access, public access prevention, versioned,
    noncurrent versions deleted after 7 days), grants the runtime account roles/storage.objectUser
    on it and sets CHATSYNC_SNAPSHOT_URI = gs://<bucket>/snapshots/latest.json on the reconcile
    function only, which then publishes a snapshot after every full run (output
    rules_review_snapshot_uri). readers get roles/storage.objectViewer on the bucket: the
    reviewers' CI identities, as serviceAccount:, group:, user:, principal:// or principalSet://
    members. The snapshot names people and their HR facts, so list only those who review rules.
  EOT
  default     = {}

  validation {
    condition = alltrue([
      for m in var.rules_review_snapshot.readers : can(regex(
        "^((serviceAccount:[^@\\s]+@[a-z0-9.-]+\\.gserviceaccount\\.com)|((group|user):[^@\\s]+@[^@\\s]+\\.[a-z]{2,})|(principal(Set)?://iam\\.googleapis\\.com/\\S+))$",
        m
      ))
    ])
    error_message = "rules_review_snapshot.readers must be IAM members: serviceAccount:<email of a Google service account>, group:<email>, user:<email>, or a workload identity principal:// or principalSet:// (never a public or domain-wide member)."
  }
  validation {
    condition     = length(distinct(var.rules_review_snapshot.readers)) == length(var.rules_review_snapshot.readers)
    error_message = "rules_review_snapshot.readers must not repeat a member."
  }
  validation {
    condition     = var.rules_review_snapshot.enabled || length(var.rules_review_snapshot.readers) == 0
    error_message = "rules_review_snapshot.readers is set but enabled is false: no bucket would be created for them to read."
  }
}
