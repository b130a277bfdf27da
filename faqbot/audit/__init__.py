"""The audit log: who changed what and when (accounts, roles, the knowledge base)."""

from faqbot.audit.log import AUDIT_ACTIONS, AuditEntry, AuditLog, AuditPage, Actor

__all__ = ["AUDIT_ACTIONS", "Actor", "AuditEntry", "AuditLog", "AuditPage"]
