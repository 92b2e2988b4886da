"""A local emulator of the Google Chat memberships API and the Directory subset chatsync reads."""
