"""Agent accounts and their login sessions."""

from faqbot.agents.store import Agent, AgentStore, AuthenticationFailed, Presence

__all__ = ["Agent", "AgentStore", "AuthenticationFailed", "Presence"]
