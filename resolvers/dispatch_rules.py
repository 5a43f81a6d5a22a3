"""The dispatch rules as plain functions: the state machine, timings, lateness and travel ETAs.

Nothing here touches the database or GraphQL, so every rule is tested on plain data.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

SCHEDULED, EN_ROUTE, ARRIVED, WORKING = "SCHEDULED", "EN_ROUTE", "ARRIVED", "WORKING"
PAUSED, DEPARTED, COMPLETED, CANCELLED = "PAUSED", "DEPARTED", "COMPLETED", "CANCELLED"
STATUSES = (SCHEDULED, EN_ROUTE, ARRIVED, WORKING, PAUSED, DEPARTED, COMPLETED, CANCELLED)
FINAL = (COMPLETED, CANCELLED)
ON_SITE = (ARRIVED, WORKING, PAUSED)
OUTCOMES = ("FINISHED", "RETURN_NEEDED", "PARTS_NEEDED")

# The field moves of DESIGN.md §3. CANCELLED is reachable from every non-final status but only
# by the office, so it is handled in `refusal`, not listed here.
MOVES: dict[str, tuple[str, ...]] = {
    SCHEDULED: (EN_ROUTE,),
    EN_ROUTE: (ARRIVED, SCHEDULED),
    ARRIVED: (WORKING,),
    WORKING: (PAUSED, DEPARTED),
    PAUSED: (WORKING, DEPARTED),
    DEPARTED: (COMPLETED,),
    COMPLETED: (),
    CANCELLED: (),
}


def allowed_targets(current: str, *, office: bool) -> list[str]:
    targets = list(MOVES[current])
    if office and current not in FINAL:
        targets.append(CANCELLED)
    return targets


def refusal(current: str, target: str, *, office: bool, assigned: bool) -> str | None:
    """Why `current -> target` may not be pressed by this viewer, or None when it may."""
    if target == current:
        return f"The visit is already {current}."
    if current in FINAL:
        return f"The visit is {current}; nothing follows."
    if target == CANCELLED:
        return None if office else "Only the office can cancel a visit."
    if target not in MOVES[current]:
        allowed = ", ".join(allowed_targets(current, office=office)) or "none"
        return f"{current} cannot move to {target}; allowed: {allowed}."
    if not office and not assigned:
        return "You are not assigned to this visit."
    return None


def needs_reason(target: str) -> bool:
    return target == PAUSED


def needs_outcome(target: str) -> bool:
    return target == DEPARTED


@dataclass(frozen=True)
class Timings:
    travel_minutes: float
    on_site_minutes: float
    paused_minutes: float
    working_minutes: float


def timings(history: Iterable[tuple[str, datetime]], now: datetime) -> Timings:
    """Minutes spent travelling, on site, paused and working, from (status, since) entries.

    Travel runs from EN_ROUTE to the next status; on site from ARRIVED until DEPARTED or a
    final status; an open stretch counts up to `now`.
    """
    spans = {EN_ROUTE: 0.0, ARRIVED: 0.0, WORKING: 0.0, PAUSED: 0.0}
    entries = sorted(history, key=lambda e: e[1])
    for (status, since), nxt in zip(entries, [*entries[1:], None], strict=True):
        if status not in spans:
            continue
        until = nxt[1] if nxt is not None else now
        spans[status] += max((until - since).total_seconds(), 0) / 60
    on_site = spans[ARRIVED] + spans[WORKING] + spans[PAUSED]
    return Timings(
        travel_minutes=round(spans[EN_ROUTE], 2),
        on_site_minutes=round(on_site, 2),
        paused_minutes=round(spans[PAUSED], 2),
        working_minutes=round(spans[WORKING], 2),
    )


EARTH_RADIUS_KM = 6371.0088


def great_circle_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Haversine distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def travel_time(km: float, speed_kmh: float) -> timedelta:
    return timedelta(hours=km / speed_kmh) if speed_kmh > 0 else timedelta(0)


@dataclass(frozen=True)
class Stop:
    """What the route planner needs of a visit."""

    visit_id: int
    status: str
    start: datetime
    end: datetime
    window_start: datetime | None
    window_end: datetime | None
    lat: float | None
    lng: float | None
    status_changed_at: datetime | None


@dataclass(frozen=True)
class PlannedStop:
    stop: Stop
    eta: datetime | None
    distance_km: float | None
    late_by_minutes: int


def deadline(stop: Stop) -> datetime:
    """The latest arrival that keeps the promise: the window's end, or the planned start."""
    return stop.window_end or stop.start


def plan_route(
    stops: Sequence[Stop],
    now: datetime,
    origin: tuple[float, float] | None,
    speed_kmh: float,
) -> list[PlannedStop]:
    """ETAs for a technician's stops in order, travelling from `origin` at `speed_kmh`.

    Visits already reached keep no ETA; an active visit occupies the technician until its
    planned end (or now, if that has passed); upcoming ones are reached one after another, never
    before their arrival window opens.
    """
    planned: list[PlannedStop] = []
    clock = now
    position = origin
    for stop in sorted(stops, key=lambda s: (s.start, s.visit_id)):
        here = (stop.lat, stop.lng) if stop.lat is not None and stop.lng is not None else None
        if stop.status == CANCELLED:
            planned.append(PlannedStop(stop, None, None, 0))
            continue
        if stop.status in (DEPARTED, COMPLETED):
            planned.append(PlannedStop(stop, None, None, 0))
            position = here or position
            continue
        if stop.status in ON_SITE:
            planned.append(PlannedStop(stop, None, None, 0))
            clock = max(clock, stop.end)
            position = here or position
            continue
        distance = (
            great_circle_km(position[0], position[1], here[0], here[1])
            if position is not None and here is not None
            else None
        )
        leave = now if stop.status == EN_ROUTE else clock
        eta = leave + travel_time(distance or 0.0, speed_kmh)
        if stop.status == SCHEDULED and stop.window_start is not None:
            eta = max(eta, stop.window_start)
        late = max(0, math.ceil((eta - deadline(stop)).total_seconds() / 60))
        planned.append(PlannedStop(stop, eta, distance, late))
        clock = eta + (stop.end - stop.start)
        position = here or position
    return planned


def lateness_minutes(stop: Stop, now: datetime, eta: datetime | None = None) -> int:
    """Minutes past the promise: not arrived by the window's end, or projected to miss it."""
    if stop.status not in (SCHEDULED, EN_ROUTE):
        return 0
    overdue = (now - deadline(stop)).total_seconds() / 60
    projected = (eta - deadline(stop)).total_seconds() / 60 if eta is not None else 0
    return max(0, math.ceil(max(overdue, projected)))
