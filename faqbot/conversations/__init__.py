"""Conversations and their messages: stored with per-conversation sequence numbers, published live."""

from faqbot.conversations.hub import EventHub
from faqbot.conversations.models import Conversation, Message, Sender
from faqbot.conversations.store import ConversationNotFound, ConversationStore

__all__ = ["Conversation", "ConversationNotFound", "ConversationStore", "EventHub", "Message", "Sender"]
