"""The HR bridges (SCIM, signed webhooks): app part."""
