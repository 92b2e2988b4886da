"""The HR bridges (SCIM, signed webhooks): domain part."""
