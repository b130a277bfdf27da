"""Agent accounts and their login sessions."""

from faqbot.agents.password_policy import WeakPassword
from faqbot.agents.store import ROLES, Agent, AgentStore, AuthenticationFailed, Presence, clean_roles

__all__ = ["ROLES", "Agent", "AgentStore", "AuthenticationFailed", "Presence", "WeakPassword", "clean_roles"]
