"""The Chat edge: the memberships API over google-api-python-client (``rest``), rate limits
and read retries around it."""
