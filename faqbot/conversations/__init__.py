"""Conversations and their messages: stored with per-conversation sequence numbers, published live."""

from faqbot.conversations.hub import EventHub
from faqbot.conversations.models import AGENTS_ONLY, Conversation, Message, Sender, for_customer
from faqbot.conversations.store import ConversationNotFound, ConversationStore

__all__ = ["AGENTS_ONLY", "for_customer", "Conversation", "ConversationNotFound", "ConversationStore", "EventHub", "Message", "Sender"]
