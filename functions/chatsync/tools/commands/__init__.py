"""One module per ``chatsync`` command; each exposes ``register(subparsers)``."""
