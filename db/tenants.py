"""Creating companies (tenants) together with their first admin user."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from db.auth import hash_password_off_loop, issue_token
from db.models import companies, users
from db.session import RequestDB

MIN_PASSWORD_LENGTH = 8


async def create_company(
    db: RequestDB,
    name: str,
    admin_email: str,
    admin_password: str,
    *,
    admin_name: str | None = None,
    timezone: str = "UTC",
) -> tuple[int, int, str]:
    """Create a company and its admin; return (company id, admin user id, raw bearer token).

    Runs as system (the company does not exist yet to scope the session to) and leaves `db`
    scoped to the new company. Bad input, including an email already taken by any company
    (sign-in is by email alone), raises ValueError with a message meant for the operator.
    """
    name = name.strip()
    email = admin_email.strip()
    if not name:
        raise ValueError("The company name must not be empty.")
    local, _, domain = email.partition("@")
    if not local or "." not in domain:
        raise ValueError(f"Not an email address: {admin_email!r}.")
    if len(admin_password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Not a time zone: {timezone!r} (use an IANA name).") from exc

    await db.set_system()
    if await email_taken(db, email):
        raise ValueError(f"A user with the email {email} already exists.")
    try:
        async with db.savepoint():
            company_id = await db.scalar(
                companies.insert().values(name=name, timezone=timezone).returning(companies.c.id)
            )
            user_id = await db.scalar(
                users.insert()
                .values(
                    company_id=company_id,
                    email=email,
                    name=admin_name or local,
                    role="admin",
                    password_hash=await hash_password_off_loop(admin_password),
                )
                .returning(users.c.id)
            )
    except IntegrityError as exc:
        # Another session took the email between the check and the insert.
        if "uq_users_email_lower" in str(exc.orig):
            raise ValueError(f"A user with the email {email} already exists.") from exc
        raise
    await db.set_company(company_id)
    token = await issue_token(db, user_id, company_id)
    return company_id, user_id, token


async def email_taken(db: RequestDB, email: str) -> bool:
    """Whether any company has a user with this email (case-insensitive). Needs a system `db`."""
    found = await db.scalar(
        select(users.c.id).where(func.lower(users.c.email) == email.strip().lower()).limit(1)
    )
    return found is not None
