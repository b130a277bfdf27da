"""Personal data on request: a customer's own conversation (with its token), or any customer's (admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from faqbot.agents import Agent
from faqbot.api.deps import AdminAgent, CustomerConversation, ServicesDep
from faqbot.customer_data import CustomerQuery
from faqbot.errors import AccessDenied, InvalidMessage

router = APIRouter(tags=["personal data"])


def _query(conversation_id: str | None, email: str | None, phone: str | None) -> CustomerQuery:
    query = CustomerQuery(conversation_id, email, phone)
    if query.is_empty():
        raise InvalidMessage("name the customer: conversation_id, email or phone", code="customer_required")
    return query


@router.get("/api/conversations/{conversation_id}/export")
async def export_own(conversation: CustomerConversation, services: ServicesDep) -> dict[str, Any]:
    """Everything kept about this conversation (the customer's own copy)."""
    return await services.customer_data.export([conversation.id])


@router.delete("/api/conversations/{conversation_id}", status_code=204)
async def erase_own(conversation: CustomerConversation, services: ServicesDep) -> None:
    """Erase this conversation: its transcript and contact details here and in the bot; the token stops working."""
    await services.desk.customer_left(conversation.id)
    await services.customer_data.erase(conversation.id)


@router.get("/api/privacy/customers")
async def export_customer(agent: AdminAgent, services: ServicesDep,
                          conversation_id: str | None = Query(default=None, max_length=64),
                          email: str | None = Query(default=None, max_length=254),
                          phone: str | None = Query(default=None, max_length=40)) -> dict[str, Any]:
    """Export one customer's data: every conversation found by id, e-mail or phone number."""
    return await services.customer_data.export(await services.customer_data.find(_query(conversation_id, email,
                                                                                        phone)))


@router.delete("/api/privacy/customers")
async def erase_customer(agent: AdminAgent, services: ServicesDep,
                         conversation_id: str | None = Query(default=None, max_length=64),
                         email: str | None = Query(default=None, max_length=254),
                         phone: str | None = Query(default=None, max_length=40)) -> dict[str, Any]:
    """Erase one customer's data: every conversation found by id, e-mail or phone number."""
    found = await services.customer_data.find(_query(conversation_id, email, phone))
    for found_id in found:
        await services.customer_data.erase(found_id)
    return {"erased": found}
