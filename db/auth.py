"""Passwords, bearer tokens and the viewer a token stands for."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, Text, bindparam, cast, func, select, update

from db.models import technicians, tokens, users
from db.session import RequestDB

_hasher = PasswordHasher()
# Verified against when an email is unknown, so a wrong email costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password")


@dataclass(frozen=True)
class Viewer:
    user_id: int
    company_id: int
    role: str
    name: str
    email: str
    technician_id: int | None
    token_id: int | None = None
    # When the bearer token stops working by itself (None: only when revoked).
    token_expires_at: datetime | None = None

    @property
    def is_office(self) -> bool:
        return self.role in ("admin", "dispatcher", "office")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def hash_password_off_loop(password: str) -> str:
    """hash_password in a worker thread: argon2 takes a tenth of a second or more of CPU (it is
    meant to), and on the event loop that stalls every request and live update of the process."""
    return await asyncio.to_thread(hash_password, password)


async def verify_password_off_loop(password_hash: str, password: str) -> bool:
    """verify_password in a worker thread (see hash_password_off_loop); argon2 releases the GIL."""
    return await asyncio.to_thread(verify_password, password_hash, password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_digest(raw: str) -> bytes:
    return hashlib.sha256(raw.encode()).digest()


def new_token() -> tuple[str, bytes]:
    raw = "opus_" + secrets.token_urlsafe(32)
    return raw, token_digest(raw)


def _viewer_query() -> Select[Any]:
    return select(
        users.c.id,
        users.c.company_id,
        users.c.role,
        users.c.name,
        users.c.email,
        technicians.c.id.label("technician_id"),
    ).outerjoin(technicians, technicians.c.user_id == users.c.id)


async def issue_token(db: RequestDB, user_id: int, company_id: int) -> str:
    raw, digest = new_token()
    await db.execute(
        tokens.insert().values(company_id=company_id, user_id=user_id, token_hash=digest)
    )
    return raw


# Built once (a statement built per request cost more than running it). The found row scopes
# the transaction to its company in the same statement: set_config in the select list runs once
# the row has passed every condition, and a token matches at most one row, so nothing is read
# after it under the new setting but that same user's technician row. A token that matches
# nothing changes nothing.
_AUTHENTICATE = (
    _viewer_query()
    .add_columns(
        tokens.c.id.label("token_id"),
        tokens.c.expires_at.label("token_expires_at"),
        func.set_config("opus.company_id", cast(users.c.company_id, Text), True),
        func.set_config("opus.system", "off", True),
    )
    .join(tokens, tokens.c.user_id == users.c.id)
    .where(
        tokens.c.token_hash == bindparam("digest"),
        tokens.c.revoked_at.is_(None),
        (tokens.c.expires_at.is_(None)) | (tokens.c.expires_at > func.now()),
        users.c.active.is_(True),
    )
)


async def authenticate(db: RequestDB, raw_token: str) -> Viewer | None:
    """The viewer behind a bearer token, or None; scopes `db` to the viewer's company."""
    await db.set_system()
    row = await db.one_or_none(_AUTHENTICATE, {"digest": token_digest(raw_token)})
    if row is None:
        return None
    viewer = Viewer(
        user_id=row.id,
        company_id=row.company_id,
        role=row.role,
        name=row.name,
        email=row.email,
        technician_id=row.technician_id,
        token_id=row.token_id,
        token_expires_at=row.token_expires_at,
    )
    if db.short:
        await db.set_company(viewer.company_id)  # each statement is a transaction of its own
    else:
        db.company_set_by_statement(viewer.company_id)
    return viewer


async def login(db: RequestDB, email: str, password: str) -> tuple[Viewer, str] | None:
    """Check credentials and issue a session token; None for any wrong email or password."""
    await db.set_system()
    row = await db.one_or_none(
        _viewer_query()
        .add_columns(users.c.password_hash)
        .where(func.lower(users.c.email) == email.strip().lower(), users.c.active.is_(True))
    )
    if row is None:
        await verify_password_off_loop(_DUMMY_HASH, password)
        return None
    if not await verify_password_off_loop(row.password_hash, password):
        return None
    viewer = Viewer(
        user_id=row.id,
        company_id=row.company_id,
        role=row.role,
        name=row.name,
        email=row.email,
        technician_id=row.technician_id,
    )
    await db.set_company(viewer.company_id)
    return viewer, await issue_token(db, viewer.user_id, viewer.company_id)


_CURRENT_VIEWERS = (
    _viewer_query()
    .add_columns(tokens.c.id.label("token_id"))
    .join(tokens, tokens.c.user_id == users.c.id)
    .where(
        tokens.c.id.in_(bindparam("token_ids", expanding=True)),
        tokens.c.revoked_at.is_(None),
        (tokens.c.expires_at.is_(None)) | (tokens.c.expires_at > func.now()),
        users.c.active.is_(True),
    )
)


async def current_viewers(db: RequestDB, token_ids: Iterable[int]) -> dict[int, tuple[Any, ...]]:
    """For tokens still valid: what their viewer's access rests on now (company, role,
    technician profile), by token id, in one statement. A token missing is no longer valid."""
    ids = sorted(set(token_ids))
    if not ids:
        return {}
    await db.set_system()
    rows = await db.all(_CURRENT_VIEWERS, {"token_ids": ids})
    return {row.token_id: access(row) for row in rows}


def access(viewer: Any) -> tuple[Any, ...]:
    """What a viewer may see depends on these; if they change, a live socket reconnects."""
    return (viewer.company_id, viewer.role, viewer.technician_id)


async def revoke_token(db: RequestDB, token_id: int) -> None:
    await db.execute(update(tokens).where(tokens.c.id == token_id).values(revoked_at=func.now()))
    db.revoked_tokens.add(token_id)


def viewer_changed(db: RequestDB, user_id: int) -> None:
    """What a user's viewer holds (role, activity, technician profile) changes in this
    transaction: signed-in viewers cached for them are dropped once it commits (web/auth.py)."""
    db.changed_users.add(user_id)
