"""Agent accounts and their login sessions."""

from faqbot.agents.password_policy import WeakPassword
from faqbot.agents.store import Agent, AgentStore, AuthenticationFailed, Presence

__all__ = ["Agent", "AgentStore", "AuthenticationFailed", "Presence", "WeakPassword"]
