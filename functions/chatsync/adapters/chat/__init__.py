"""The Chat edge: the port chatsync needs and its google-api-python-client adapter."""

from chatsync.app.chat_port import ChatMembers, SpaceInfo

__all__ = ["ChatMembers", "SpaceInfo"]
