"""Errors of the handoff package."""


class HandoffError(Exception):
    """Base class of handoff errors."""


class HandoffNotFound(HandoffError):
    def __init__(self, handoff_id: str) -> None:
        super().__init__(f"no handoff with id '{handoff_id}'")


class InvalidHandoffTransition(HandoffError):
    """The handoff is not in a state that allows this (claiming a claimed one, resolving a queued one...)."""
