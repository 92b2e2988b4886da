"""chatsync: keep Google Chat space memberships in step with the directory."""

__version__ = "0.1.0"
