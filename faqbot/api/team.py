"""Accounts and the team (the Team section): the team with presence and load, creating, editing, deactivating
and reactivating accounts, resetting a password, an account's own preferences, shared and personal canned
replies. Every account change is written to the audit log. Paths stay under /api/agent for the console's sake.

Password reset: an administrator sets a temporary password (told to the person out of band); every session of
the account ends at once; the person logs in with it and changes it under their account (PUT /api/agent/me/password).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from faqbot.agents import Agent
from faqbot.agents.canned import CannedReply, CannedReplyNotFound, may_manage
from faqbot.agents.password_policy import MAX_LENGTH, MIN_LENGTH
from faqbot.agents.store import Presence
from faqbot.api.deps import AdminAgent, CurrentAgent, ServicesDep, SupervisorAgent, require_roles
from faqbot.api.contract import BODY, STAFF_ROLE, errors
from faqbot.api.models import RequestModel
from faqbot.conversations.hub import account_topic
from faqbot.errors import AccessDenied, ServiceError
from faqbot.wiring import Services

router = APIRouter(prefix="/api/agent", tags=["team"])

RoleName = Literal["agent", "editor", "supervisor", "admin"]
Language = Literal["en", "zh"]
Skill = Annotated[str, Field(min_length=1, max_length=64, pattern=r"\S")]

# who uses the console's shared pieces (the team for transfers, canned replies)
ConsoleUser = Annotated[Agent, require_roles("agent", "supervisor", action="use the agent console")]


# -- bodies -----------------------------------------------------------------------------------

class StrictRequest(RequestModel):
    """A body whose unknown fields are refused (named in the 422), not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class OwnPreferences(StrictRequest):
    """What an account may change about itself (routing and capacity are the administrator's)."""

    auto_assign: bool | None = Field(default=None, description="receive conversations without claiming them")
    display_name: str | None = Field(default=None, min_length=1, max_length=128, pattern=r"\S")


class AccountProfile(StrictRequest):
    display_name: str | None = Field(default=None, min_length=1, max_length=128, pattern=r"\S",
                                     description="not blank")
    roles: list[RoleName] | None = Field(default=None, min_length=1, max_length=4,
                                         description="an account may hold several roles")
    skills: list[Skill] | None = Field(default=None, max_length=50, description="categories they handle; empty: any")
    languages: list[Language] | None = Field(default=None, max_length=2, description="empty: any")
    max_concurrent: int | None = Field(default=None, ge=1, le=50, description="conversations at once")
    auto_assign: bool | None = None


class NewAccount(AccountProfile):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$",
                          description="letters, digits and . _ @ -")
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH,
                          description="not a common password, not the user name")
    roles: list[RoleName] = Field(default=["agent"], min_length=1, max_length=4,
                                  description="an account may hold several roles")


class PasswordReset(StrictRequest):
    temporary_password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH,
                                    description="given to the person, who changes it after logging in")


class CannedRequest(StrictRequest):
    title: str = Field(min_length=1, max_length=120)
    text: str = Field(min_length=1, max_length=2000)
    language: Language | None = None
    shared: bool = Field(default=False, description="for the whole team (supervisors and admins only)")


class CannedChange(StrictRequest):
    title: str | None = Field(default=None, min_length=1, max_length=120)
    text: str | None = Field(default=None, min_length=1, max_length=2000)
    language: Language | None = None


# -- responses --------------------------------------------------------------------------------

class Account(BaseModel):
    id: str
    username: str
    display_name: str
    role: str = Field(description="the highest role, for one-word displays")
    roles: list[str]
    skills: list[str]
    languages: list[str]
    max_concurrent: int
    auto_assign: bool
    presence: str
    presence_since: str | None
    active: bool


class TeamMember(Account):
    load: int = Field(description="conversations assigned now")
    connected: bool = Field(description="has a console open")


class AccountRow(TeamMember):
    sessions: int = Field(description="live login sessions")


class AccountOut(BaseModel):
    agent: Account


class TeamOut(BaseModel):
    agents: list[TeamMember]


class AccountsOut(BaseModel):
    accounts: list[AccountRow]


class DeactivatedOut(BaseModel):
    agent: Account
    sessions_ended: int
    conversations_requeued: int


class PasswordResetOut(BaseModel):
    agent: Account
    sessions_ended: int


class CannedOut(BaseModel):
    id: str
    title: str
    text: str
    language: str | None
    shared: bool
    owner_id: str | None
    mine: bool = Field(description="a personal reply of the caller")
    can_manage: bool = Field(description="the caller may change or delete it")


class CannedListOut(BaseModel):
    replies: list[CannedOut]


class CannedOneOut(BaseModel):
    reply: CannedOut


# -- helpers ----------------------------------------------------------------------------------

async def _account(services: Services, agent_id: str) -> Agent:
    account = await services.core.agents.by_id(agent_id)
    if account is None:
        raise ServiceError(f"no account with id '{agent_id}'", code="agent_not_found", status_code=404)
    return account


async def _keep_an_admin(services: Services, account: Agent, *, losing: str) -> None:
    """409 if `account` is the last active admin and the change would leave none."""
    if "admin" not in account.roles or not account.active:
        return
    others = [a for a in await services.core.agents.all() if a.active and "admin" in a.roles and a.id != account.id]
    if not others:
        raise ServiceError(f"'{account.username}' is the last active admin: {losing} would leave no one to "
                           "manage accounts", code="last_admin", status_code=409)


def _canned(reply: CannedReply, viewer: Agent) -> CannedOut:
    return CannedOut(**reply.to_json(), mine=(not reply.shared and reply.owner_id == viewer.id),
                     can_manage=may_manage(reply, viewer))


def _sessions_ended(services: Services, agent_id: str) -> None:
    services.hub.publish(account_topic(agent_id), {"type": "sessions_ended"})


# -- the team ---------------------------------------------------------------------------------

@router.get("/team", response_model=TeamOut, responses=errors(STAFF_ROLE))
async def team(agent: ConsoleUser, services: ServicesDep) -> TeamOut:
    """Active agents with presence and load (for transfers)."""
    return TeamOut(agents=await services.desk.team())


@router.get("/agents", response_model=AccountsOut, responses=errors(STAFF_ROLE))
async def accounts(agent: SupervisorAgent, services: ServicesDep) -> AccountsOut:
    """Every account, deactivated ones included, with roles, routing, presence, load and live sessions."""
    sessions = await services.core.agents.session_counts()
    return AccountsOut(accounts=[AccountRow(**a, sessions=sessions.get(a["id"], 0))
                                 for a in await services.desk.accounts()])


@router.post("/agents", status_code=201, response_model=AccountOut, responses=errors(STAFF_ROLE, BODY, 409))
async def create_agent(body: NewAccount, agent: AdminAgent, services: ServicesDep) -> AccountOut:
    if await services.core.agents.by_username(body.username.strip()):
        raise ServiceError(f"username: '{body.username}' is taken", code="username_taken", status_code=409)
    created = await services.core.agents.create(
        body.username, body.password, display_name=body.display_name, roles=body.roles, skills=body.skills or (),
        languages=body.languages or (), max_concurrent=body.max_concurrent or 3,
        auto_assign=bool(body.auto_assign))
    await services.audit.record(agent, "account.create", ("account", created.id, created.username),
                                {"roles": sorted(created.roles), "skills": list(created.skills),
                                 "languages": list(created.languages), "max_concurrent": created.max_concurrent})
    return AccountOut(agent=created.to_json())


@router.patch("/agents/{agent_id}", response_model=AccountOut, responses=errors(STAFF_ROLE, BODY, 404, 409))
async def update_agent(agent_id: str, body: AccountProfile, agent: AdminAgent, services: ServicesDep
                       ) -> AccountOut:
    """Change roles, routing (skills, languages, capacity, auto-assignment) or the display name."""
    before = await _account(services, agent_id)
    changes = body.model_dump(exclude_none=True)
    if "roles" in changes and "admin" not in changes["roles"]:
        await _keep_an_admin(services, before, losing="removing the admin role")
    updated = await services.core.agents.update_profile(agent_id, **changes)
    assert updated is not None
    old, new = before.to_json(), updated.to_json()
    diff = {k: {"from": old[k], "to": new[k]} for k in changes if old.get(k) != new.get(k)}
    if "roles" in diff:
        await services.audit.record(agent, "account.roles", ("account", agent_id, updated.username),
                                    {"roles": diff.pop("roles")})
        if not updated.has_role("agent") and before.has_role("agent"):
            await services.desk.set_presence(updated, Presence.OFFLINE)  # no longer takes conversations
        _sessions_ended(services, agent_id)  # open consoles re-check what the account may watch
    if diff:
        await services.audit.record(agent, "account.update", ("account", agent_id, updated.username), diff)
    await services.desk.dispatch()
    return AccountOut(agent=updated.to_json())


@router.post("/agents/{agent_id}/deactivate", response_model=DeactivatedOut, responses=errors(STAFF_ROLE, 404, 409, 422))
async def deactivate_agent(agent_id: str, agent: AdminAgent, services: ServicesDep) -> DeactivatedOut:
    """The account can no longer log in; every session ends at once (open consoles close) and its
    conversations go back to the queue. Reversible (activate)."""
    account = await _account(services, agent_id)
    if account.id == agent.id:
        raise ServiceError("you cannot deactivate your own account", code="cannot_deactivate_self",
                           status_code=409)
    if not account.active:
        raise ServiceError(f"'{account.username}' is already deactivated", code="already_deactivated",
                           status_code=409)
    await _keep_an_admin(services, account, losing="deactivating it")
    requeued = len(await services.core.handoffs.assigned_to(account.id))
    updated, ended = await services.core.agents.set_active(account.id, False)
    assert updated is not None
    _sessions_ended(services, account.id)
    await services.desk.set_presence(updated, Presence.OFFLINE)  # their conversations go back to the queue
    await services.audit.record(agent, "account.deactivate", ("account", account.id, account.username),
                                {"sessions_ended": ended, "conversations_requeued": requeued})
    return DeactivatedOut(agent=(await _account(services, agent_id)).to_json(), sessions_ended=ended,
                          conversations_requeued=requeued)


@router.post("/agents/{agent_id}/activate", response_model=AccountOut, responses=errors(STAFF_ROLE, 404, 409, 422))
async def activate_agent(agent_id: str, agent: AdminAgent, services: ServicesDep) -> AccountOut:
    account = await _account(services, agent_id)
    if account.active:
        raise ServiceError(f"'{account.username}' is active", code="already_active", status_code=409)
    updated, _ = await services.core.agents.set_active(account.id, True)
    assert updated is not None
    await services.audit.record(agent, "account.activate", ("account", account.id, account.username))
    return AccountOut(agent=updated.to_json())


@router.put("/agents/{agent_id}/password", response_model=PasswordResetOut, responses=errors(STAFF_ROLE, BODY, 404))
async def reset_password(agent_id: str, body: PasswordReset, agent: AdminAgent, services: ServicesDep
                         ) -> PasswordResetOut:
    """Set a temporary password; every session of the account ends at once."""
    account = await _account(services, agent_id)
    ended = await services.core.agents.reset_password(account.id, body.temporary_password)
    _sessions_ended(services, account.id)
    await services.audit.record(agent, "account.password_reset", ("account", account.id, account.username),
                                {"sessions_ended": ended})
    return PasswordResetOut(agent=account.to_json(), sessions_ended=ended)


@router.patch("/me", response_model=AccountOut, responses=errors(STAFF_ROLE, BODY))
async def update_me(body: OwnPreferences, agent: CurrentAgent, services: ServicesDep) -> AccountOut:
    """An account's own preferences: auto-assignment, display name."""
    updated = await services.core.agents.update_profile(agent.id, **body.model_dump(exclude_none=True))
    await services.desk.dispatch()
    return AccountOut(agent=updated.to_json())  # type: ignore[union-attr]


# -- canned replies ---------------------------------------------------------------------------

@router.get("/canned", response_model=CannedListOut, responses=errors(STAFF_ROLE))
async def canned_replies(agent: ConsoleUser, services: ServicesDep) -> CannedListOut:
    """The shared replies and your personal ones."""
    return CannedListOut(replies=[_canned(r, agent) for r in await services.canned.list(agent.id)])


@router.post("/canned", status_code=201, response_model=CannedOneOut, responses=errors(STAFF_ROLE, BODY))
async def save_canned(body: CannedRequest, agent: ConsoleUser, services: ServicesDep) -> CannedOneOut:
    """A personal reply, or (supervisors and admins) a shared one."""
    if body.shared and not agent.has_role("supervisor"):
        raise AccessDenied("shared: only supervisor or admin accounts can add shared canned replies")
    reply = await services.canned.create(body.title, body.text, body.language, agent.id, shared=body.shared)
    if reply.shared:
        await services.audit.record(agent, "canned.create", ("canned_reply", reply.id, reply.title))
    return CannedOneOut(reply=_canned(reply, agent))


async def _manageable(services: Services, reply_id: str, agent: Agent) -> CannedReply:
    try:
        reply = await services.canned.get(reply_id, agent.id)
    except CannedReplyNotFound as exc:
        raise ServiceError(str(exc), code="canned_reply_not_found", status_code=404) from exc
    if not may_manage(reply, agent):
        raise AccessDenied("only supervisor or admin accounts can change shared canned replies")
    return reply


@router.patch("/canned/{reply_id}", response_model=CannedOneOut, responses=errors(STAFF_ROLE, BODY, 404))
async def update_canned(reply_id: str, body: CannedChange, agent: ConsoleUser, services: ServicesDep
                        ) -> CannedOneOut:
    """Personal replies: their owner. Shared ones: supervisors and admins."""
    before = await _manageable(services, reply_id, agent)
    reply = await services.canned.update(reply_id, title=body.title, text=body.text, language=body.language,
                                         set_language="language" in body.model_fields_set)
    if reply.shared:
        diff = {k: {"from": getattr(before, k), "to": getattr(reply, k)} for k in ("title", "text", "language")
                if getattr(before, k) != getattr(reply, k)}
        await services.audit.record(agent, "canned.update", ("canned_reply", reply.id, reply.title), diff)
    return CannedOneOut(reply=_canned(reply, agent))


@router.delete("/canned/{reply_id}", status_code=204, responses=errors(STAFF_ROLE, 404, 422))
async def delete_canned(reply_id: str, agent: ConsoleUser, services: ServicesDep) -> None:
    """Personal replies: their owner. Shared ones: supervisors and admins."""
    reply = await _manageable(services, reply_id, agent)
    try:
        await services.canned.delete(reply_id)
    except CannedReplyNotFound as exc:
        raise ServiceError(str(exc), code="canned_reply_not_found", status_code=404) from exc
    if reply.shared:
        await services.audit.record(agent, "canned.delete", ("canned_reply", reply.id, reply.title))
