"""Technicians (skills, home base, working hours, cost) and crews."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row

from db.auth import viewer_changed
from db.models import crew_members, crews, technicians, users
from resolvers.common import (
    OFFICE_ROLES,
    Page,
    PageArgs,
    check_lat_lng,
    clean_text,
    count_rows,
    id_in_company,
    keyset_page,
    parse_id,
    require_role,
    require_viewer,
)
from resolvers.context import Context
from resolvers.errors import ErrorCode, fail
from resolvers.jobs import _like_pattern

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


async def list_technicians(
    ctx: Context, search: str | None, skill: str | None, active: bool | None, page: PageArgs
) -> tuple[Page, Any]:
    viewer = require_viewer(ctx)
    query = select(technicians).where(technicians.c.company_id == viewer.company_id)
    if search:
        for word in search.lower().split()[:8]:
            query = query.where(func.lower(technicians.c.name).like(_like_pattern(word)))
    if skill:
        query = query.where(technicians.c.skills.contains([{"skill": skill.strip().lower()}]))
    if active is not None:
        query = query.where(technicians.c.active.is_(active))
    result = await keyset_page(ctx, query, (technicians.c.name, technicians.c.id), False, page)

    async def total() -> int:
        return await count_rows(ctx, query)

    return result, total


def _skills(values: Any) -> list[dict[str, Any]]:
    skills: dict[str, int] = {}
    for i, item in enumerate(values or []):
        name = (item.skill or "").strip().lower()
        if not name:
            raise fail(ErrorCode.VALIDATION, "A skill needs a name.", "input", "skills", str(i))
        if not 1 <= item.level <= 5:
            raise fail(
                ErrorCode.VALIDATION,
                "Skill level goes from 1 (trainee) to 5 (master).",
                "input",
                "skills",
                str(i),
                "level",
            )
        skills[name] = item.level
    return [{"skill": k, "level": v} for k, v in skills.items()]


def _working_hours(values: Any) -> dict[str, list[str]]:
    hours: dict[str, list[str]] = {}
    for i, item in enumerate(values or []):
        day = item.day.value if hasattr(item.day, "value") else str(item.day)
        if not (_CLOCK.match(item.start) and _CLOCK.match(item.end)) or item.start >= item.end:
            raise fail(
                ErrorCode.VALIDATION,
                "Working hours are HH:MM, and the shift must end after it starts.",
                "input",
                "workingHours",
                str(i),
            )
        if day.lower() in hours:
            raise fail(
                ErrorCode.VALIDATION, f"{day} is listed twice.", "input", "workingHours", str(i)
            )
        hours[day.lower()] = [item.start, item.end]
    return hours


def _cost(value: Decimal | None) -> Decimal | None:
    if value is not None and (value < 0 or value > Decimal("100000")):
        raise fail(ErrorCode.VALIDATION, "Hourly cost must be zero or more.", "input", "hourlyCost")
    return value


async def _technician_user(ctx: Context, gid: str | None) -> int | None:
    if gid is None:
        return None
    user_id = await id_in_company(ctx, users, gid, "User", "No such user.", "input", "userId")
    linked = await ctx.db.scalar(select(technicians.c.id).where(technicians.c.user_id == user_id))
    if linked is not None:
        raise fail(
            ErrorCode.CONFLICT, "That user already has a technician profile.", "input", "userId"
        )
    return user_id


def _check_color(value: str | None) -> str | None:
    if value is not None and not _COLOR.match(value):
        raise fail(ErrorCode.VALIDATION, "Colour must look like #1e88e5.", "input", "color")
    return value


async def create_technician(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, "admin", "dispatcher", "office")
    lat = data.home_base.lat if data.home_base else None
    lng = data.home_base.lng if data.home_base else None
    check_lat_lng(lat, lng, "input", "homeBase")
    values: dict[str, Any] = {
        "company_id": viewer.company_id,
        "user_id": await _technician_user(ctx, data.user_id),
        "name": clean_text(data.name, "input", "name", required=True, max_length=200),
        "email": clean_text(data.email, "input", "email", max_length=320),
        "phone": clean_text(data.phone, "input", "phone", max_length=40),
        "skills": _skills(data.skills),
        "home_lat": lat,
        "home_lng": lng,
        "working_hours": _working_hours(data.working_hours),
        "color": _check_color(data.color),
    }
    cost = _cost(data.hourly_cost)
    if cost is not None:
        values["hourly_cost"] = cost
    if values["user_id"] is not None:
        viewer_changed(ctx.db, values["user_id"])  # the user's viewer gains a technician profile
    return (await ctx.db.execute(insert(technicians).values(**values).returning(technicians))).one()


async def update_technician(ctx: Context, data: Any, is_set: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    technician_id = parse_id(data.id, "Technician", "input", "id")
    values: dict[str, Any] = {}
    if is_set(data.name):
        values["name"] = clean_text(data.name, "input", "name", required=True, max_length=200)
    if is_set(data.email):
        values["email"] = clean_text(data.email, "input", "email", max_length=320)
    if is_set(data.phone):
        values["phone"] = clean_text(data.phone, "input", "phone", max_length=40)
    if is_set(data.skills):
        values["skills"] = _skills(data.skills)
    if is_set(data.home_base):
        lat = data.home_base.lat if data.home_base else None
        lng = data.home_base.lng if data.home_base else None
        check_lat_lng(lat, lng, "input", "homeBase")
        values.update(home_lat=lat, home_lng=lng)
    if is_set(data.working_hours):
        values["working_hours"] = _working_hours(data.working_hours)
    if is_set(data.hourly_cost):
        if data.hourly_cost is None:
            raise fail(ErrorCode.VALIDATION, "Hourly cost cannot be empty.", "input", "hourlyCost")
        values["hourly_cost"] = _cost(data.hourly_cost)
    if is_set(data.color):
        values["color"] = _check_color(data.color)
    if is_set(data.active):
        if data.active is None:
            raise fail(ErrorCode.VALIDATION, "Active cannot be empty.", "input", "active")
        values["active"] = data.active
    row = (
        await ctx.db.execute(
            update(technicians)
            .where(technicians.c.id == technician_id, technicians.c.company_id == viewer.company_id)
            .values(**values, updated_at=func.now())
            .returning(technicians)
        )
    ).one_or_none()
    if row is None:
        raise fail(ErrorCode.NOT_FOUND, "No such technician.", "input", "id")
    return row


async def create_crew(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    name = clean_text(data.name, "input", "name", required=True, max_length=200)
    member_ids = list(
        dict.fromkeys(
            parse_id(g, "Technician", "input", "technicianIds") for g in data.technician_ids or []
        )
    )
    if member_ids:
        found = set(
            (
                await ctx.db.execute(
                    select(technicians.c.id).where(
                        technicians.c.id.in_(member_ids),
                        technicians.c.company_id == viewer.company_id,
                    )
                )
            ).scalars()
        )
        if set(member_ids) - found:
            raise fail(ErrorCode.NOT_FOUND, "No such technician.", "input", "technicianIds")
    crew = (
        await ctx.db.execute(
            insert(crews).values(company_id=viewer.company_id, name=name).returning(crews)
        )
    ).one()
    if member_ids:
        await ctx.db.execute(
            insert(crew_members),
            [
                {"company_id": viewer.company_id, "crew_id": crew.id, "technician_id": t}
                for t in member_ids
            ],
        )
    return crew


async def list_crews(ctx: Context) -> list[Row[Any]]:
    viewer = require_viewer(ctx)
    return list(
        await ctx.db.all(
            select(crews)
            .where(crews.c.company_id == viewer.company_id)
            .order_by(crews.c.name, crews.c.id)
        )
    )
