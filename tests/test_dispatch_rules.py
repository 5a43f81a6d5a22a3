"""The dispatch rules on plain data: the state machine, timings, route ETAs and lateness."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from resolvers import dispatch_rules as rules

# The order of the columns below, spelled out here rather than taken from rules.STATUSES.
STATUSES = (
    "SCHEDULED",
    "EN_ROUTE",
    "ARRIVED",
    "WORKING",
    "PAUSED",
    "DEPARTED",
    "COMPLETED",
    "CANCELLED",
)

# DESIGN.md §3 written out by hand, NOT derived from rules.MOVES. Rows: from; columns: to.
# A = the office and the assigned technician may press it; O = only the office; . = refused.
EXPECTED = {
    #            SCH EN ARR WRK PAU DEP COM CAN
    "SCHEDULED": ".  A  .   .   .   .   .   O",
    "EN_ROUTE": " A  .  A   .   .   .   .   O",
    "ARRIVED": "  .  .  .   A   .   .   .   O",
    "WORKING": "  .  .  .   .   A   A   .   O",
    "PAUSED": "   .  .  .   A   .   A   .   O",
    "DEPARTED": " .  .  .   .   .   .   A   O",
    "COMPLETED": ".  .  .   .   .   .   .   .",
    "CANCELLED": ".  .  .   .   .   .   .   .",
}
TABLE = {
    (current, target): mark
    for current, row in EXPECTED.items()
    for target, mark in zip(STATUSES, row.split(), strict=True)
}
PAIRS = [(current, target) for current in STATUSES for target in STATUSES]


def test_the_expected_table_reads_as_drawn():
    field_moves = {pair for pair, mark in TABLE.items() if mark == "A"}
    office_only = {pair for pair, mark in TABLE.items() if mark == "O"}
    assert field_moves == {
        ("SCHEDULED", "EN_ROUTE"),
        ("EN_ROUTE", "ARRIVED"),
        ("EN_ROUTE", "SCHEDULED"),
        ("ARRIVED", "WORKING"),
        ("WORKING", "PAUSED"),
        ("WORKING", "DEPARTED"),
        ("PAUSED", "WORKING"),
        ("PAUSED", "DEPARTED"),
        ("DEPARTED", "COMPLETED"),
    }
    assert office_only == {(s, "CANCELLED") for s in STATUSES[:6]}


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_office_moves(current, target):
    # given the office, when it presses current -> target
    why_not = rules.refusal(current, target, office=True, assigned=False)
    # then only A and O moves of the table go through
    if TABLE[current, target] in ("A", "O"):
        assert why_not is None
    else:
        assert why_not


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_assigned_technician_moves(current, target):
    why_not = rules.refusal(current, target, office=False, assigned=True)
    if TABLE[current, target] == "A":
        assert why_not is None
    else:
        assert why_not


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_technician_not_assigned_moves_nothing(current, target):
    why_not = rules.refusal(current, target, office=False, assigned=False)
    assert why_not
    if TABLE[current, target] == "A":
        assert why_not == "You are not assigned to this visit."


@pytest.mark.parametrize("current", STATUSES)
def test_cancelling_is_for_the_office_and_never_from_a_final_status(current):
    office = rules.refusal(current, "CANCELLED", office=True, assigned=False)
    technician = rules.refusal(current, "CANCELLED", office=False, assigned=True)
    if current in ("COMPLETED", "CANCELLED"):
        assert office is not None
        assert technician is not None
    else:
        assert office is None
        assert technician == "Only the office can cancel a visit."


def test_a_refused_move_lists_the_allowed_targets_for_the_viewer():
    assert rules.refusal("SCHEDULED", "WORKING", office=True, assigned=False) == (
        "SCHEDULED cannot move to WORKING; allowed: EN_ROUTE, CANCELLED."
    )
    assert rules.refusal("PAUSED", "ARRIVED", office=False, assigned=True) == (
        "PAUSED cannot move to ARRIVED; allowed: WORKING, DEPARTED."
    )


def test_nothing_follows_a_final_status():
    assert rules.allowed_targets("COMPLETED", office=True) == []
    assert rules.allowed_targets("CANCELLED", office=True) == []
    assert rules.refusal("COMPLETED", "SCHEDULED", office=True, assigned=True) == (
        "The visit is COMPLETED; nothing follows."
    )


def test_pausing_needs_a_reason_and_departing_an_outcome():
    assert [s for s in STATUSES if rules.needs_reason(s)] == ["PAUSED"]
    assert [s for s in STATUSES if rules.needs_outcome(s)] == ["DEPARTED"]


def at(hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return datetime(2030, 3, 4, int(hours), int(minutes), tzinfo=UTC)


def test_timings_from_a_history():
    # given a visit's status history, handed over out of order
    history = [
        ("WORKING", at("11:30")),
        ("EN_ROUTE", at("10:00")),
        ("ARRIVED", at("10:20")),
        ("WORKING", at("10:25")),
        ("PAUSED", at("11:00")),
        ("DEPARTED", at("12:00")),
    ]
    # when timed well after departure
    result = rules.timings(history, now=at("15:00"))
    # then
    assert result == rules.Timings(
        travel_minutes=20, on_site_minutes=100, paused_minutes=30, working_minutes=65
    )


def test_an_open_stretch_counts_until_now():
    result = rules.timings([("EN_ROUTE", at("10:00")), ("ARRIVED", at("10:20"))], at("10:50"))
    assert (result.travel_minutes, result.on_site_minutes, result.working_minutes) == (20, 30, 0)


DENVER = (39.7392, -104.9903)
BOULDER = (40.0150, -105.2705)
GOLDEN = (39.7555, -105.2211)


def stop(
    visit_id: int,
    start: str,
    end: str,
    *,
    place: tuple[float, float] | None = BOULDER,
    status: str = "SCHEDULED",
    window: tuple[str, str] | None = None,
) -> rules.Stop:
    return rules.Stop(
        visit_id=visit_id,
        status=status,
        start=at(start),
        end=at(end),
        window_start=at(window[0]) if window else None,
        window_end=at(window[1]) if window else None,
        lat=place[0] if place else None,
        lng=place[1] if place else None,
        status_changed_at=None,
    )


def test_great_circle_denver_to_boulder():
    assert rules.great_circle_km(*DENVER, *BOULDER) == pytest.approx(39, abs=1)


def test_eta_from_the_origin_at_the_average_speed():
    # given a stop in Boulder, leaving Denver at 08:00 at 38.887 km/h (one hour for the distance)
    km = rules.great_circle_km(*DENVER, *BOULDER)
    # when planned
    [planned] = rules.plan_route([stop(1, "09:00", "10:00")], at("08:00"), DENVER, km)
    # then the technician arrives at 09:00, on time
    assert planned.distance_km == pytest.approx(38.9, abs=0.1)
    assert planned.eta == at("09:00")
    assert planned.late_by_minutes == 0


def test_no_arrival_before_the_window_opens():
    # given a stop one hour away whose window opens at 11:00
    target = stop(1, "11:00", "12:00", window=("11:00", "13:00"))
    # when planned at 08:00
    [planned] = rules.plan_route([target], at("08:00"), DENVER, 40)
    # then the ETA waits for the window
    assert planned.eta == at("11:00")
    assert planned.late_by_minutes == 0


def test_late_when_the_eta_passes_the_window_end():
    # given a stop an hour away (at 38.887 km/h) whose window closes at 08:30
    km = rules.great_circle_km(*DENVER, *BOULDER)
    target = stop(1, "08:00", "09:00", window=("08:00", "08:30"))
    # when planned at 08:00
    [planned] = rules.plan_route([target], at("08:00"), DENVER, km)
    # then the technician arrives at 09:00, thirty minutes late
    assert planned.eta == at("09:00")
    assert planned.late_by_minutes == 30


def test_stops_follow_one_another():
    # given two stops: Boulder 09:00-10:00 (window from 09:00), then Golden 10:00-11:00
    km_to_boulder = rules.great_circle_km(*DENVER, *BOULDER)
    km_to_golden = rules.great_circle_km(*BOULDER, *GOLDEN)
    stops = [
        stop(2, "10:00", "11:00", place=GOLDEN),
        stop(1, "09:00", "10:00", window=("09:00", "09:30")),
    ]
    # when planned at 07:00
    first, second = rules.plan_route(stops, at("07:00"), DENVER, 60)
    # then the first waits for its window, the second leaves after the first's hour on site
    assert first.stop.visit_id == 1
    assert first.eta == at("09:00")
    assert first.distance_km == pytest.approx(km_to_boulder)
    assert second.distance_km == pytest.approx(km_to_golden)
    assert second.eta == at("10:00") + timedelta(hours=km_to_golden / 60)
    assert second.late_by_minutes == math.ceil(km_to_golden)  # deadline is the 10:00 start


def test_reached_stops_have_no_eta_and_move_the_technician():
    # given a completed stop in Golden, an on-site stop in Boulder until 11:00, then Golden again
    stops = [
        stop(1, "08:00", "09:00", place=GOLDEN, status="COMPLETED"),
        stop(2, "09:30", "11:00", status="WORKING"),
        stop(3, "11:00", "12:00", place=GOLDEN, window=("11:00", "14:00")),
        stop(4, "12:00", "13:00", status="CANCELLED"),
    ]
    # when planned at 10:00 from Denver
    done, on_site, upcoming, cancelled = rules.plan_route(stops, at("10:00"), DENVER, 60)
    # then reached and cancelled stops have no ETA, and the next leaves Boulder at 11:00
    for entry in (done, on_site, cancelled):
        assert (entry.eta, entry.distance_km, entry.late_by_minutes) == (None, None, 0)
    km = rules.great_circle_km(*BOULDER, *GOLDEN)
    assert upcoming.distance_km == pytest.approx(km)
    assert upcoming.eta == at("11:00") + timedelta(hours=km / 60)


def test_en_route_leaves_now():
    # given a stop the technician is driving to, planned to start long ago
    driving = stop(1, "06:00", "07:00", status="EN_ROUTE", window=("06:00", "09:00"))
    [planned] = rules.plan_route([driving], at("10:00"), DENVER, 40)
    # then the ETA counts from now, and the promise is missed by the travel and the wait
    travel = timedelta(hours=rules.great_circle_km(*DENVER, *BOULDER) / 40)
    assert planned.eta == at("10:00") + travel
    assert planned.late_by_minutes == math.ceil((planned.eta - at("09:00")).total_seconds() / 60)


def test_without_positions_no_distance_and_no_travel():
    [planned] = rules.plan_route([stop(1, "09:00", "10:00", place=None)], at("08:00"), None, 40)
    assert (planned.distance_km, planned.eta) == (None, at("08:00"))


def test_lateness_when_the_window_has_closed():
    # given a visit still SCHEDULED whose window ended at 09:30
    waiting = stop(1, "09:00", "10:00", window=("09:00", "09:30"))
    # then at 10:00 it is 30 minutes overdue, at 09:00 it is on time
    assert rules.lateness_minutes(waiting, at("10:00")) == 30
    assert rules.lateness_minutes(waiting, at("09:00")) == 0


def test_lateness_projected_from_the_eta():
    waiting = stop(1, "09:00", "10:00", window=("09:00", "09:30"))
    assert rules.lateness_minutes(waiting, at("09:00"), eta=at("09:45")) == 15


def test_lateness_without_a_window_counts_from_the_start():
    assert rules.lateness_minutes(stop(1, "09:00", "10:00"), at("09:10")) == 10


@pytest.mark.parametrize("status", ["ARRIVED", "WORKING", "PAUSED", "DEPARTED", "COMPLETED"])
def test_a_reached_visit_is_never_late(status):
    reached = stop(1, "09:00", "10:00", status=status, window=("09:00", "09:30"))
    assert rules.lateness_minutes(reached, at("12:00"), eta=at("12:00")) == 0
