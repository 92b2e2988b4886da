"""The HR bridges (SCIM, signed webhooks): adapters part."""
