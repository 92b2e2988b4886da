# Values derived from the repository's JSON tables, so that Terraform, the code and the tests read
# one list each:
#   - the OAuth scopes of functions/chatsync/scopes.json (the code asks for exactly these);
#   - the Workspace audit log methods of terraform/auditlog_events.json (the parser in
#     functions/chatsync/domain/events/auditlog.py decodes exactly these).

locals {
  scope_url = "https://www.googleapis.com/auth/"
  scopes    = jsondecode(file(var.scopes_file))

  # Every credential set some method uses in this auth mode.
  credential_sets = sort(distinct([for method in values(local.scopes.methods) : method[var.auth_mode]]))

  # Delegated sets are one token each, minted by domain-wide delegation as admin_subject: the
  # Admin console must allow every one of their scopes for the runtime account's client id.
  delegated_scopes = sort(distinct(flatten([
    for name in local.credential_sets : local.scopes.credentials[name].scopes
    if local.scopes.credentials[name].principal == "delegated"
  ])))

  # App sets act as the Chat app itself; of their scopes only chat.app.* need an admin's
  # one-time approval (chat.bot needs none).
  approval_scopes = sort(distinct(flatten([
    for name in local.credential_sets : [
      for scope in local.scopes.credentials[name].scopes : scope if startswith(scope, "chat.app.")
    ]
    if local.scopes.credentials[name].principal == "app"
  ])))

  audit = jsondecode(file(var.audit_events_file))

  # One clause per audited service: its serviceName and the exact methodNames chatsync decodes.
  # Explicit parentheses everywhere: in the Logging query language OR binds tighter than AND.
  audit_clauses = [
    for s in local.audit.services :
    "(protoPayload.serviceName=\"${s.service}\" AND protoPayload.methodName=(${join(" OR ", [for m in s.methods : "\"${s.method_prefix}${m}\""])}))"
  ]
  audit_filter = "logName:\"cloudaudit.googleapis.com%2Factivity\" AND (${join(" OR ", local.audit_clauses)})"
}
