output "credential_sets" {
  description = "Names of the credential sets (scopes.json) the functions use in this auth mode."
  value       = local.credential_sets
}

output "domain_wide_delegation_scopes" {
  description = "Full URLs of every scope of every delegated credential set used in this auth mode, sorted."
  value       = [for s in local.delegated_scopes : "${local.scope_url}${s}"]
}

output "chat_app_approval_scopes" {
  description = "Full URLs of the chat.app.* scopes of the app credential sets used in this auth mode: what a Workspace admin approves for the Chat app."
  value       = [for s in local.approval_scopes : "${local.scope_url}${s}"]
}

output "workspace_audit_filter" {
  description = "Logging query of the organization sink: the Admin and Enterprise Groups audit methods chatsync decodes, and no others."
  value       = local.audit_filter
}

output "workspace_audit_methods" {
  description = "Every full methodName the sink admits, for the README and the tests."
  value       = flatten([for s in local.audit.services : [for m in s.methods : "${s.method_prefix}${m}"]])
}
