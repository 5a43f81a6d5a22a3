"""The day as dispatch sees it: the board, technician routes, ETAs and lateness."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from strawberry.dataloader import DataLoader

from db.events import record_event
from db.models import companies, jobs, locations, technicians, visit_technicians, visits
from loaders.access import visible_visits
from resolvers import dispatch_rules as rules
from resolvers.common import parse_query_id, query_error, require_viewer
from resolvers.context import Context
from resolvers.errors import ErrorCode
from resolvers.ids import to_global_id


@dataclass(frozen=True)
class Projection:
    eta: datetime | None
    distance_km: float | None
    late_by_minutes: int


async def company_zone(ctx: Context) -> ZoneInfo:
    viewer = require_viewer(ctx)
    if "zone" not in ctx.memo:
        tz = await ctx.db.scalar(
            select(companies.c.timezone).where(companies.c.id == viewer.company_id)
        )
        ctx.memo["zone"] = ZoneInfo(tz or "UTC")
    zone: ZoneInfo = ctx.memo["zone"]
    return zone


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    if not 1900 <= day.year <= 9000:
        raise query_error(ErrorCode.VALIDATION, "Pick a date between 1900 and 9000.", "date")
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def _stop(row: Any) -> rules.Stop:
    return rules.Stop(
        visit_id=row.id,
        status=row.status,
        start=row.start_at,
        end=row.end_at,
        window_start=row.arrival_window_start,
        window_end=row.arrival_window_end,
        lat=row.lat,
        lng=row.lng,
        status_changed_at=row.status_changed_at,
    )


async def plan_days(
    ctx: Context, technician_days: set[tuple[int, date]]
) -> dict[tuple[int, date], list[rules.PlannedStop]]:
    """Route plans for (technician, local day) pairs, in three statements whatever their number."""
    if not technician_days:
        return {}
    zone = await company_zone(ctx)
    viewer = require_viewer(ctx)
    tech_ids = {t for t, _ in technician_days}
    lo = day_bounds(min(d for _, d in technician_days), zone)[0]
    hi = day_bounds(max(d for _, d in technician_days), zone)[1]
    rows = await ctx.db.all(
        select(
            visit_technicians.c.technician_id,
            visits.c.id,
            visits.c.status,
            visits.c.start_at,
            visits.c.end_at,
            visits.c.arrival_window_start,
            visits.c.arrival_window_end,
            visits.c.status_changed_at,
            visits.c.last_lat,
            visits.c.last_lng,
            locations.c.lat,
            locations.c.lng,
        )
        .select_from(visits)
        .join(visit_technicians, visit_technicians.c.visit_id == visits.c.id)
        .join(jobs, jobs.c.id == visits.c.job_id)
        .outerjoin(locations, locations.c.id == jobs.c.location_id)
        .where(
            visits.c.company_id == viewer.company_id,
            visit_technicians.c.technician_id.in_(tech_ids),
            visits.c.start_at >= lo,
            visits.c.start_at < hi,
        )
    )
    homes = {
        r.id: (r.home_lat, r.home_lng)
        for r in await ctx.db.all(
            select(technicians.c.id, technicians.c.home_lat, technicians.c.home_lng).where(
                technicians.c.company_id == viewer.company_id, technicians.c.id.in_(tech_ids)
            )
        )
    }
    by_day: dict[tuple[int, date], list[Any]] = defaultdict(list)
    for row in rows:
        key = (row.technician_id, row.start_at.astimezone(zone).date())
        if key in technician_days:
            by_day[key].append(row)
    now = datetime.now(UTC)
    speed = ctx.average_speed_kmh
    plans: dict[tuple[int, date], list[rules.PlannedStop]] = {}
    for key in technician_days:
        day_rows = by_day.get(key, [])
        plans[key] = rules.plan_route(
            [_stop(r) for r in day_rows], now, _origin(day_rows, homes.get(key[0])), speed
        )
    return plans


def _origin(rows: Sequence[Any], home: tuple[Any, Any] | None) -> tuple[float, float] | None:
    """Where the technician is: the last position a status tap reported today, else home."""
    reported = [r for r in rows if r.last_lat is not None and r.status_changed_at is not None]
    if reported:
        latest = max(reported, key=lambda r: r.status_changed_at)
        return latest.last_lat, latest.last_lng
    if home and home[0] is not None and home[1] is not None:
        return float(home[0]), float(home[1])
    return None


def projection_loader(ctx: Context) -> DataLoader[int, Projection]:
    """ETA and lateness per visit id, batched; raises visit.running_late once per visit."""
    if "projection" in ctx.memo:
        loader: DataLoader[int, Projection] = ctx.memo["projection"]
        return loader

    async def load(visit_ids: list[int]) -> list[Projection]:
        viewer = require_viewer(ctx)
        zone = await company_zone(ctx)
        rows = await ctx.db.all(
            select(
                visits.c.id,
                visits.c.status,
                visits.c.start_at,
                visits.c.end_at,
                visits.c.arrival_window_start,
                visits.c.arrival_window_end,
                visits.c.status_changed_at,
                visits.c.late_alerted_at,
                visits.c.job_id,
                visit_technicians.c.technician_id,
            )
            .select_from(visits)
            .outerjoin(visit_technicians, visit_technicians.c.visit_id == visits.c.id)
            .where(visits.c.company_id == viewer.company_id, visits.c.id.in_(visit_ids))
        )
        crews: dict[int, list[int]] = defaultdict(list)
        info: dict[int, Any] = {}
        for row in rows:
            info[row.id] = row
            if row.technician_id is not None:
                crews[row.id].append(row.technician_id)
        pairs = {
            (tech, info[v].start_at.astimezone(zone).date())
            for v, techs in crews.items()
            for tech in techs
        }
        plans = await plan_days(ctx, pairs)
        planned: dict[int, rules.PlannedStop] = {}
        for plan in plans.values():
            for entry in plan:
                if entry.stop.visit_id not in info:
                    continue
                best = planned.get(entry.stop.visit_id)
                if best is None or entry.late_by_minutes < best.late_by_minutes:
                    planned[entry.stop.visit_id] = entry
        now = datetime.now(UTC)
        result: dict[int, Projection] = {}
        for visit_id, row in info.items():
            found = planned.get(visit_id)
            stop = rules.Stop(
                visit_id=row.id,
                status=row.status,
                start=row.start_at,
                end=row.end_at,
                window_start=row.arrival_window_start,
                window_end=row.arrival_window_end,
                lat=None,
                lng=None,
                status_changed_at=row.status_changed_at,
            )
            eta = found.eta if found else None
            result[visit_id] = Projection(
                eta=eta,
                distance_km=round(found.distance_km, 2)
                if found and found.distance_km is not None
                else None,
                late_by_minutes=rules.lateness_minutes(stop, now, eta),
            )
        await _raise_running_late(ctx, info, result)
        return [result.get(v, Projection(None, None, 0)) for v in visit_ids]

    loader = DataLoader(load_fn=load)
    ctx.memo["projection"] = loader
    return loader


async def _raise_running_late(
    ctx: Context, info: dict[int, Any], result: dict[int, Projection]
) -> None:
    late = [
        v for v, p in result.items() if p.late_by_minutes > 0 and info[v].late_alerted_at is None
    ]
    if not late:
        return
    # The conditional update lets exactly one request raise the alert, however many look at once.
    claimed = await ctx.db.all(
        update(visits)
        .where(visits.c.id.in_(late), visits.c.late_alerted_at.is_(None))
        .values(late_alerted_at=datetime.now(UTC))
        .returning(visits.c.id, visits.c.job_id, visits.c.company_id)
    )
    for row in claimed:
        projection = result[row.id]
        await record_event(
            ctx.db,
            company_id=row.company_id,
            job_id=row.job_id,
            visit_id=row.id,
            type="visit.running_late",
            payload={
                "visitId": to_global_id("Visit", row.id),
                "lateByMinutes": projection.late_by_minutes,
                "eta": projection.eta.isoformat() if projection.eta else None,
            },
        )


@dataclass
class Lane:
    technician: Row[Any]
    visits: list[Row[Any]]


@dataclass
class Board:
    day: date
    lanes: list[Lane]
    unassigned: list[Row[Any]]


async def dispatch_board(ctx: Context, day: date) -> Board:
    viewer = require_viewer(ctx)
    zone = await company_zone(ctx)
    lo, hi = day_bounds(day, zone)
    day_visits = await ctx.db.all(
        visible_visits(select(visits), viewer)
        .where(visits.c.start_at >= lo, visits.c.start_at < hi, visits.c.status != rules.CANCELLED)
        .order_by(visits.c.start_at, visits.c.id)
    )
    ids = [v.id for v in day_visits]
    crew_rows = (
        await ctx.db.all(
            select(visit_technicians.c.visit_id, visit_technicians.c.technician_id).where(
                visit_technicians.c.company_id == viewer.company_id,
                visit_technicians.c.visit_id.in_(ids),
            )
        )
        if ids
        else []
    )
    tech_query = select(technicians).where(technicians.c.company_id == viewer.company_id)
    if viewer.role == "technician":
        tech_query = tech_query.where(technicians.c.id == (viewer.technician_id or 0))
    else:
        # A deactivated technician keeps a lane while they still have visits that day, or those
        # visits would vanish from the board (they are neither in a lane nor unassigned).
        tech_query = tech_query.where(
            technicians.c.active.is_(True)
            | technicians.c.id.in_({r.technician_id for r in crew_rows})
        )
    techs = await ctx.db.all(tech_query.order_by(technicians.c.name, technicians.c.id))
    by_tech: dict[int, list[int]] = defaultdict(list)
    staffed: set[int] = set()
    for row in crew_rows:
        by_tech[row.technician_id].append(row.visit_id)
        staffed.add(row.visit_id)
    by_id = {v.id: v for v in day_visits}
    lanes = []
    for t in techs:
        mine = set(by_tech.get(t.id, ()))
        lanes.append(Lane(t, [by_id[v] for v in ids if v in mine]))
    unassigned = [v for v in day_visits if v.id not in staffed] if viewer.is_office else []
    return Board(day=day, lanes=lanes, unassigned=unassigned)


@dataclass
class RouteStop:
    sequence: int
    visit: Row[Any]
    eta: datetime | None
    distance_km: float | None
    late_by_minutes: int


@dataclass
class Route:
    technician: Row[Any]
    day: date
    origin: tuple[float, float] | None
    stops: list[RouteStop]


async def technician_route(ctx: Context, technician_gid: str, day: date) -> Route | None:
    viewer = require_viewer(ctx)
    technician_id = parse_query_id(technician_gid, "Technician", "technicianId")
    if technician_id is None:
        return None
    if viewer.role == "technician" and viewer.technician_id != technician_id:
        return None
    tech = await ctx.db.one_or_none(
        select(technicians).where(
            technicians.c.id == technician_id, technicians.c.company_id == viewer.company_id
        )
    )
    if tech is None:
        return None
    plan = (await plan_days(ctx, {(technician_id, day)}))[(technician_id, day)]
    ids = [p.stop.visit_id for p in plan if p.stop.status != rules.CANCELLED]
    rows = (
        {r.id: r for r in await ctx.db.all(select(visits).where(visits.c.id.in_(ids)))}
        if ids
        else {}
    )
    now = datetime.now(UTC)
    stops: list[RouteStop] = []
    for entry in plan:
        if entry.stop.visit_id not in rows:
            continue
        stops.append(
            RouteStop(
                sequence=len(stops) + 1,
                visit=rows[entry.stop.visit_id],
                eta=entry.eta,
                distance_km=round(entry.distance_km, 2) if entry.distance_km is not None else None,
                late_by_minutes=rules.lateness_minutes(entry.stop, now, entry.eta),
            )
        )
    home = (tech.home_lat, tech.home_lng) if tech.home_lat is not None else None
    return Route(technician=tech, day=day, origin=home, stops=stops)


def next_stop(route: Route) -> RouteStop | None:
    for stop in route.stops:
        if stop.visit.status not in (rules.DEPARTED, rules.COMPLETED, rules.CANCELLED):
            return stop
    return None
