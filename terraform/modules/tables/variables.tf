variable "auth_mode" {
  type        = string
  description = "How the functions call Chat (admin or app); picks the credential set of each method in the scope table."

  validation {
    condition     = contains(["admin", "app"], var.auth_mode)
    error_message = "auth_mode must be admin or app."
  }
}

variable "scopes_file" {
  type        = string
  description = "Path of the OAuth scope table (functions/chatsync/scopes.json): credential sets and the set each API method uses per auth mode."

  validation {
    condition     = endswith(var.scopes_file, ".json")
    error_message = "scopes_file must be the path of a .json file."
  }
}

variable "audit_events_file" {
  type        = string
  description = "Path of the Workspace audit log method list (terraform/auditlog_events.json) that the organization log sink admits."

  validation {
    condition     = endswith(var.audit_events_file, ".json")
    error_message = "audit_events_file must be the path of a .json file."
  }
}
