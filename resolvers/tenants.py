"""Users of a company, signing in and out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Row

from db.auth import Viewer, hash_password_off_loop, login, revoke_token
from db.models import users
from db.models.tenants import ROLES
from resolvers.common import clean_text, require_role, require_viewer
from resolvers.context import Context
from resolvers.customers import _check_email
from resolvers.errors import ErrorCode, fail

MIN_PASSWORD_LENGTH = 10


async def create_user(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, "admin")
    email = _check_email(data.email, "input", "email")
    if not email:
        raise fail(ErrorCode.VALIDATION, "An email is required.", "input", "email")
    role = data.role.lower() if isinstance(data.role, str) else data.role.value.lower()
    if role not in ROLES:
        raise fail(
            ErrorCode.VALIDATION, f"Role must be one of {', '.join(ROLES)}.", "input", "role"
        )
    if len(data.password or "") < MIN_PASSWORD_LENGTH:
        raise fail(
            ErrorCode.VALIDATION,
            f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.",
            "input",
            "password",
        )
    await ctx.db.set_system()
    taken = await ctx.db.scalar(
        select(users.c.id).where(func.lower(users.c.email) == email.lower())
    )
    await ctx.db.set_company(viewer.company_id)
    if taken is not None:
        raise fail(ErrorCode.CONFLICT, "That email is already in use.", "input", "email")
    return (
        await ctx.db.execute(
            insert(users)
            .values(
                company_id=viewer.company_id,
                email=email,
                role=role,
                name=clean_text(data.name, "input", "name", required=True, max_length=200),
                password_hash=await hash_password_off_loop(data.password),
            )
            .returning(users)
        )
    ).one()


async def sign_in(ctx: Context, email: str, password: str) -> tuple[Viewer, str]:
    result = await login(ctx.db, email, password)
    if result is None:
        raise fail(ErrorCode.INVALID_CREDENTIALS, "Wrong email or password.", "input", "password")
    viewer, token = result
    ctx.use_viewer(viewer)
    return viewer, token


async def sign_out(ctx: Context) -> None:
    viewer = require_viewer(ctx)
    if viewer.token_id is not None:
        await revoke_token(ctx.db, viewer.token_id)
