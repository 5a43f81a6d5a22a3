"""Demo data: Northwind Mechanical, an HVAC, plumbing and electrical contractor in Denver, CO.

`load_demo` creates the company once and, on every call, returns its users with fresh tokens.
The data is planned by plain functions from a seeded random generator, relative to `today` in the
company's time zone (last week's work done and invoiced, today's board in motion, next week
booked), then written with bulk inserts in one transaction. Today is always a full working day,
also on a weekend, so the day board of a demo is never empty.
"""

from __future__ import annotations

import base64
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, text, update

from db.auth import Viewer, hash_password, issue_token
from db.demo_materials import write_demo_materials
from db.demo_workspace import write_demo_workspace
from db.events import record_event
from db.models import (
    assets,
    companies,
    contacts,
    crew_members,
    crews,
    customers,
    job_assets,
    job_events,
    jobs,
    locations,
    technicians,
    users,
    visit_technicians,
    visits,
)
from db.session import RequestDB
from db.tenants import create_company

DEMO_COMPANY = "Northwind Mechanical"
DEMO_TIMEZONE = "America/Denver"
DEMO_PASSWORD = "northwind-demo"
DEMO_DOMAIN = "northwind.example"
SEED = 1042
FIRST_JOB_NUMBER = 1001

TZ = ZoneInfo(DEMO_TIMEZONE)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TRAVEL = timedelta(minutes=30)


def _hours(days: str, start: str, end: str) -> dict[str, list[str]]:
    return {day: [start, end] for day in days.split()}


STANDARD = _hours("mon tue wed thu fri", "07:00", "15:30")
LATE = _hours("mon tue wed thu fri", "08:00", "16:30")
TUE_SAT = _hours("tue wed thu fri sat", "07:00", "15:30")
FOUR_TENS = _hours("mon tue wed thu", "06:30", "17:00")


@dataclass(frozen=True)
class Tech:
    name: str
    skills: dict[str, int]
    home: tuple[float, float]
    hours: dict[str, list[str]]
    hourly_cost: str
    color: str


@dataclass(frozen=True)
class Template:
    title: str
    scope: str
    skills: tuple[str, ...]
    equipment: str | None
    minutes: int
    billing: str
    priority: str
    sources: tuple[str, ...]
    audience: str  # "home", "business" or "any"
    tags: tuple[str, ...] = ()


# The catalogue below is laid out as tables, one record a line or two, so it is kept out of the
# formatter's hands.
# fmt: off
OFFICE = (("Dana Whitaker", "admin"), ("Marcus Bell", "dispatcher"), ("Priya Raman", "office"))
TECHNICIANS = (
    Tech("Luis Ortega", {"hvac": 5, "refrigeration": 4, "controls": 3},
         (39.7047, -105.0814), STANDARD, "58.00", "#1f77b4"),
    Tech("Jenna Kowalski", {"plumbing": 5, "gas": 4, "backflow": 4},
         (39.7294, -104.8319), STANDARD, "55.00", "#ff7f0e"),
    Tech("Andre Baptiste", {"electrical": 5, "controls": 4},
         (39.8028, -105.0875), LATE, "60.00", "#2ca02c"),
    Tech("Kim Nguyen", {"hvac": 4, "boilers": 4, "gas": 3},
         (39.6478, -104.9878), STANDARD, "52.00", "#d62728"),
    Tech("Tyler Brooks", {"hvac": 2, "plumbing": 2, "electrical": 1},
         (39.8680, -104.9719), STANDARD, "34.00", "#9467bd"),
    Tech("Rosa Martinez", {"refrigeration": 5, "hvac": 4, "electrical": 2},
         (39.8083, -104.9339), FOUR_TENS, "56.00", "#8c564b"),
    Tech("Sam Whitfield", {"plumbing": 4, "gas": 3, "backflow": 2},
         (39.6133, -105.0166), TUE_SAT, "48.00", "#e377c2"),
    Tech("Hannah Cho", {"hvac": 3, "electrical": 3, "controls": 2},
         (39.8367, -105.0372), LATE, "45.00", "#7f7f7f"),
    Tech("Derek Olsen", {"boilers": 5, "plumbing": 3, "gas": 4},
         (39.7661, -105.0772), STANDARD, "57.00", "#bcbd22"),
    Tech("Malik Johnson", {"electrical": 4, "hvac": 2, "gas": 1},
         (39.5807, -104.8772), STANDARD, "50.00", "#17becf"),
)
# (name, technician indexes)
CREWS = (
    ("Commercial HVAC", (0, 5, 7)),
    ("Plumbing & Gas", (1, 6, 8)),
    ("Electrical & Installs", (2, 9, 4)),
)

# (city, postal code, lat, lng, streets)
AREAS = (
    ("Denver", "80203", 39.7312, -104.9789, ("E 13th Ave", "Pennsylvania St", "Logan St")),
    ("Denver", "80202", 39.7527, -104.9992, ("Larimer St", "Market St", "Blake St", "Wazee St")),
    ("Denver", "80211", 39.7620, -105.0113, ("W 32nd Ave", "Tejon St", "Zuni St", "Lowell Blvd")),
    ("Denver", "80209", 39.7008, -104.9720, ("S Downing St", "S Gaylord St", "E Mississippi Ave")),
    ("Denver", "80207", 39.7530, -104.9230, ("Dahlia St", "Elm St", "Forest St", "E 26th Ave")),
    ("Denver", "80206", 39.7170, -104.9530, ("E 1st Ave", "Clayton St", "Steele St", "E 3rd Ave")),
    ("Aurora", "80012", 39.7000, -104.8300, ("E Alameda Ave", "S Havana St", "S Peoria St")),
    ("Lakewood", "80226", 39.7100, -105.0800, ("W Alameda Ave", "S Wadsworth Blvd", "W Ohio Ave")),
    ("Englewood", "80113", 39.6480, -104.9880, ("S Broadway", "E Hampden Ave", "S Sherman St")),
    ("Arvada", "80002", 39.8030, -105.0870, ("Grandview Ave", "Ralston Rd", "W 57th Ave")),
    ("Littleton", "80120", 39.6130, -105.0160, ("W Main St", "S Prince St", "W Berry Ave")),
    ("Wheat Ridge", "80033", 39.7700, -105.0800, ("W 44th Ave", "Harlan St", "Pierce St")),
)

# kind -> (asset name, make, model) choices
EQUIPMENT = {
    "furnace": (
        ("Gas furnace", "Carrier", "59SC5A080E17"), ("Gas furnace", "Lennox", "SL280UH070V36A"),
        ("Gas furnace", "Trane", "S9V2B080U3"), ("Gas furnace", "Rheem", "R96VA0702317MSA"),
    ),
    "condenser": (
        ("AC condenser", "Carrier", "24ACC636A003"), ("AC condenser", "Trane", "4TTR4036L1"),
        ("Heat pump", "Lennox", "XP25-036-230"), ("AC condenser", "Rheem", "RA1436AJ1NA"),
    ),
    "water_heater": (
        ("Water heater, 50 gal gas", "Rheem", "PROG50-38N RH67"),
        ("Water heater, 40 gal gas", "A.O. Smith", "GCR-40"),
        ("Tankless water heater", "Rinnai", "RU199iN"),
        ("Water heater, 50 gal gas", "Bradford White", "RG250T6N"),
    ),
    "boiler": (
        ("Hot water boiler", "Weil-McLain", "CGa-5"), ("Hot water boiler", "Burnham", "ES2-5"),
        ("Condensing boiler", "Lochinvar", "KBN151"),
    ),
    "mini_split": (
        ("Ductless mini-split", "Mitsubishi", "MSZ-GL12NA"),
        ("Ductless mini-split", "Daikin", "FTX12NMVJU"),
    ),
    "panel": (
        ("Main electrical panel", "Square D", "QO142M200"),
        ("Main electrical panel", "Eaton", "BR4040B200"),
    ),
    "rtu": (
        ("Rooftop unit", "Carrier", "48TCED08A2A5"), ("Rooftop unit", "Trane", "YSC060E3RLA"),
        ("Rooftop unit", "Lennox", "LGH120H4B"),
    ),
    "walk_in": (
        ("Walk-in cooler", "Heatcraft", "PTN040H2B"), ("Walk-in freezer", "Kolpak", "KF7-0810"),
    ),
    "ice_machine": (
        ("Ice machine", "Hoshizaki", "KM-515MAJ"), ("Ice machine", "Manitowoc", "IYT0500A"),
    ),
    "backflow": (
        ("Backflow preventer", "Watts", "LF009M2-QT"), ("Backflow preventer", "Febco", "825Y"),
    ),
}
BUSINESS_EQUIPMENT = {
    "restaurant": ("rtu", "walk_in", "ice_machine", "water_heater", "backflow"),
    "office": ("rtu", "panel", "backflow", "water_heater"),
    "apartments": ("boiler", "water_heater", "backflow", "panel"),
    "school": ("boiler", "rtu", "backflow"),
    "grocery": ("rtu", "walk_in", "panel", "backflow"),
    "clinic": ("rtu", "water_heater", "backflow"),
}
BUSINESSES = (
    ("Union Station Bistro", "restaurant"), ("Cherry Creek Dental Group", "clinic"),
    ("Platte River Lofts HOA", "apartments"), ("Mile High Brewing Co.", "restaurant"),
    ("Sloan's Lake Animal Hospital", "clinic"), ("Colfax Coffee Roasters", "restaurant"),
    ("Front Range Self Storage", "office"), ("St. Joseph Parish Hall", "school"),
    ("Rocky Mountain Fitness", "office"), ("Highlands Montessori School", "school"),
    ("Alpine Grocery & Deli", "grocery"), ("Capitol Hill Apartments LLC", "apartments"),
    ("Denver Print Works", "office"), ("Summit Senior Living", "apartments"),
    ("Blue Spruce Family Medicine", "clinic"), ("Wazee Street Tavern", "restaurant"),
)
FIRST_NAMES = (
    "Maria", "James", "Aisha", "Robert", "Emily", "Carlos", "Grace", "Daniel", "Olivia", "Ethan",
    "Sofia", "Michael", "Chloe", "David", "Ava", "Jose", "Lily", "Noah", "Hana", "William",
)
LAST_NAMES = (
    "Gonzalez", "Whitman", "Patel", "Sullivan", "Chen", "Romero", "Fischer", "Okafor", "Larsen",
    "Delgado", "Hughes", "Kim", "Novak", "Bennett", "Alvarez", "Murphy", "Tanaka", "Hoffman",
)
ACCESS_NOTES = (
    "Gate code #4821. Park in the driveway, not on the street.",
    "Dog in the backyard: call before entering the side gate.",
    "Roof access via north stairwell; key at the front desk.",
    "Check in with the building engineer at the loading dock.",
    "Mechanical room in basement, door code 2580.",
    "Alley access only; garage door opener in lockbox 1199.",
    "Service before 11:00 or after 14:00: restaurant rush in between.",
)

T = Template
TEMPLATES = (
    T("No heat: furnace not igniting",
      "Inducer runs but burners never light. Check igniter, flame sensor and gas valve; "
      "verify venting.",
      ("hvac", "gas"), "furnace", 90, "TIME_AND_MATERIALS", "HIGH",
      ("DIRECT", "BOOKING_REQUEST"), "home"),
    T("AC not cooling: warm air from vents",
      "Outdoor unit runs, house will not cool below 80F. Check charge, capacitor, contactor "
      "and coil.",
      ("hvac",), "condenser", 120, "TIME_AND_MATERIALS", "HIGH",
      ("DIRECT", "BOOKING_REQUEST"), "home"),
    T("Annual furnace tune-up",
      "Comfort Club maintenance: clean burners, test safeties, inspect heat exchanger, "
      "replace filter.",
      ("hvac",), "furnace", 60, "AGREEMENT", "NORMAL",
      ("AGREEMENT_VISIT",), "home", ("maintenance-agreement",)),
    T("Spring AC tune-up",
      "Comfort Club maintenance: clean condenser coil, check charge and amp draw, flush "
      "condensate line.",
      ("hvac",), "condenser", 60, "AGREEMENT", "LOW",
      ("AGREEMENT_VISIT",), "home", ("maintenance-agreement",)),
    T("Water heater replacement, 50 gal gas",
      "Remove leaking tank, install new 50 gal unit with expansion tank and drip pan, haul "
      "away old unit. Permit required.",
      ("plumbing", "gas"), "water_heater", 240, "FIXED_PRICE", "NORMAL",
      ("QUOTE",), "any", ("permit-required",)),
    T("No hot water: pilot will not stay lit",
      "Test thermocouple and gas control valve; check draft.",
      ("plumbing", "gas"), "water_heater", 90, "TIME_AND_MATERIALS", "HIGH",
      ("DIRECT", "BOOKING_REQUEST"), "any"),
    T("Leaking kitchen faucet",
      "Drip from spout and under-sink leak at the supply line; customer supplied the "
      "replacement faucet.",
      ("plumbing",), None, 60, "TIME_AND_MATERIALS", "LOW",
      ("BOOKING_REQUEST",), "home"),
    T("Main sewer line backup",
      "Basement floor drain backing up. Snake the main, camera-inspect for roots or a belly.",
      ("plumbing",), None, 150, "TIME_AND_MATERIALS", "EMERGENCY",
      ("DIRECT",), "any", ("after-hours",)),
    T("Sump pump replacement",
      "Pump runs continuously and does not clear the pit. Install 1/2 HP pump and new check "
      "valve.",
      ("plumbing",), None, 120, "FIXED_PRICE", "NORMAL",
      ("QUOTE",), "home"),
    T("Panel upgrade 100A to 200A",
      "Replace Federal Pacific panel with 200A service; coordinate the utility disconnect. "
      "Permit and inspection required.",
      ("electrical",), "panel", 420, "FIXED_PRICE", "NORMAL",
      ("QUOTE",), "home", ("permit-required",)),
    T("EV charger install, 48A circuit",
      "Run a 60A circuit to the garage, mount the customer's Level 2 charger, load "
      "calculation.",
      ("electrical",), "panel", 240, "FIXED_PRICE", "NORMAL",
      ("LEAD",), "home"),
    T("GFCI outlets tripping in kitchen",
      "Two kitchen GFCI circuits trip when the microwave runs. Trace circuits, check for a "
      "shared neutral.",
      ("electrical",), None, 90, "TIME_AND_MATERIALS", "NORMAL",
      ("BOOKING_REQUEST",), "home"),
    T("Ductless mini-split install, bonus room",
      "Install 12k BTU single-zone heat pump, line set through exterior wall, dedicated 20A "
      "circuit.",
      ("hvac", "electrical"), "mini_split", 360, "FIXED_PRICE", "NORMAL",
      ("QUOTE",), "home"),
    T("Smart thermostat install",
      "Replace old mercury thermostat with the customer's Ecobee; add a C-wire adapter if "
      "needed.",
      ("hvac", "controls"), "furnace", 60, "FIXED_PRICE", "LOW",
      ("BOOKING_REQUEST",), "home"),
    T("Gas smell near furnace",
      "Customer smells gas in the furnace closet. Leak-test all fittings; shut off and tag if "
      "needed.",
      ("gas", "hvac"), "furnace", 60, "TIME_AND_MATERIALS", "EMERGENCY",
      ("DIRECT",), "home", ("after-hours",)),
    T("Boiler no heat: low pressure",
      "Radiators cold upstairs, gauge at 5 psi. Check fill valve and expansion tank, bleed "
      "air.",
      ("boilers",), "boiler", 120, "TIME_AND_MATERIALS", "HIGH",
      ("DIRECT",), "any"),
    T("Warranty: condenser fan motor replacement",
      "Fan motor failed 14 months after install; replace under manufacturer warranty and "
      "file the claim.",
      ("hvac",), "condenser", 90, "WARRANTY", "NORMAL",
      ("DIRECT",), "home", ("warranty",)),
    T("Callback: rattling noise after install",
      "Rattle from the return plenum since last week's install. Secure duct, check blower "
      "wheel.",
      ("hvac",), "furnace", 60, "NO_CHARGE", "NORMAL",
      ("DIRECT",), "home", ("callback",)),
    T("Whole-house humidifier install",
      "Install a bypass humidifier on the supply plenum, drain to floor drain, wire to "
      "furnace.",
      ("hvac",), "furnace", 180, "FIXED_PRICE", "LOW",
      ("QUOTE",), "home"),
    T("Rooftop unit quarterly PM",
      "Filters and belts, economizer check, coil cleaning, log refrigerant pressures.",
      ("hvac",), "rtu", 120, "AGREEMENT", "NORMAL",
      ("AGREEMENT_VISIT",), "business", ("maintenance-agreement",)),
    T("RTU not cooling: dining room hot",
      "Rooftop unit short-cycling on high head pressure; condenser fan motor suspected.",
      ("hvac", "refrigeration"), "rtu", 150, "TIME_AND_MATERIALS", "HIGH",
      ("DIRECT",), "business"),
    T("Walk-in cooler not holding temp",
      "Walk-in at 48F and rising; check evaporator fans, defrost timer and compressor. "
      "Product at risk.",
      ("refrigeration",), "walk_in", 150, "TIME_AND_MATERIALS", "EMERGENCY",
      ("DIRECT",), "business", ("after-hours",)),
    T("Ice machine not making ice",
      "Slow harvest and thin cubes. Descale, sanitize, check the water inlet valve.",
      ("refrigeration",), "ice_machine", 90, "TIME_AND_MATERIALS", "NORMAL",
      ("BOOKING_REQUEST",), "business"),
    T("Annual backflow test and certification",
      "Test the double-check assembly and file results with Denver Water before the deadline.",
      ("backflow",), "backflow", 60, "FIXED_PRICE", "NORMAL",
      ("AGREEMENT_VISIT",), "business", ("maintenance-agreement",)),
    T("Boiler annual inspection",
      "Combustion analysis, low-water cutoff test and relief valve check ahead of the state "
      "inspection.",
      ("boilers",), "boiler", 120, "AGREEMENT", "NORMAL",
      ("AGREEMENT_VISIT",), "business", ("maintenance-agreement",)),
    T("Economizer actuator replacement",
      "Damper stuck closed; replace the actuator and recalibrate the controller.",
      ("hvac", "controls"), "rtu", 120, "FIXED_PRICE", "NORMAL",
      ("QUOTE",), "business"),
    T("Rooftop unit replacement, 10 ton",
      "Crane lift: remove old RTU, set new unit on curb adapter, reconnect gas, power and "
      "controls, start-up.",
      ("hvac", "electrical"), "rtu", 480, "FIXED_PRICE", "NORMAL",
      ("QUOTE",), "business", ("permit-required", "crane")),
    T("Parking lot lighting repair",
      "Six pole lights out on the north lot. Check photocell, contactor and drivers.",
      ("electrical",), None, 180, "TIME_AND_MATERIALS", "NORMAL",
      ("DIRECT",), "business"),
    T("Restroom flush valve repairs",
      "Two urinals and a toilet running constantly. Rebuild the flush valves.",
      ("plumbing",), None, 90, "TIME_AND_MATERIALS", "LOW",
      ("BOOKING_REQUEST",), "business"),
)
# fmt: on
CREW_TEMPLATES = ("Rooftop unit replacement, 10 ton", "Panel upgrade 100A to 200A")
HOLD_REASONS = (
    "Awaiting permit approval from the city",
    "Customer asked to postpone until next month",
    "Awaiting customer approval of the estimate",
)
CANCEL_REASONS = (
    "Customer went with another contractor",
    "Customer resolved it (tripped breaker reset)",
    "Duplicate request from the booking form",
    "Customer is selling the property",
)
CUSTOMER_NOTES = (
    None,
    None,
    "Comfort Club member",
    "Prefers text messages",
    "Net 30 terms; PO required on every invoice",
)
PAUSE_REASONS = ("Waiting on parts from the supply house", "Lunch break")


@dataclass
class Place:
    """A customer's service location, with the kinds of equipment installed there."""

    key: int
    customer: int
    label: str
    street: str
    city: str
    postal_code: str
    lat: float
    lng: float
    equipment: list[str]
    business: bool
    access_notes: str | None


@dataclass
class PlannedVisit:
    start: datetime
    end: datetime
    techs: tuple[int, ...]
    status: str = "SCHEDULED"
    reason: str | None = None
    outcome: str = "FINISHED"
    scheduled_at: datetime | None = None
    window: bool = True


# Who did it: "office", "dispatcher" or a technician's index in TECHNICIANS.
Actor = str | int


class PlannedEvent(NamedTuple):
    at: datetime
    kind: str
    payload: dict[str, Any]
    actor: Actor
    visit: int | None  # index in the job's visits


@dataclass
class PlannedJob:
    template: Template
    place: Place
    status: str
    created_at: datetime
    priority: str
    source: str
    visits: list[PlannedVisit] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    hold_reason: str | None = None
    cancel_reason: str | None = None
    events: list[PlannedEvent] = field(default_factory=list)


def _at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=TZ)


class _Calendar:
    """Who is busy when: places visits inside working hours without overlaps, 30 min apart."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.busy: dict[tuple[int, date], list[tuple[datetime, datetime]]] = {}

    def shift(self, tech: int, day: date) -> tuple[datetime, datetime] | None:
        hours = TECHNICIANS[tech].hours.get(WEEKDAYS[day.weekday()])
        if hours is None:
            if day != self.today:
                return None
            hours = ["07:30", "16:00"]
        return _at(day, hours[0]), _at(day, hours[1])

    def place(
        self, techs: tuple[int, ...], day: date, minutes: int
    ) -> tuple[datetime, datetime] | None:
        shifts = [self.shift(t, day) for t in techs]
        if not shifts or any(s is None for s in shifts):
            return None
        start = max(s[0] for s in shifts if s) + TRAVEL
        latest = min(s[1] for s in shifts if s) + TRAVEL
        # Rounded up to half hours; work longer than the shared shift takes the whole shift.
        length = min(timedelta(minutes=max(60, -(-minutes // 30) * 30)), latest - start)
        while start + length <= latest:
            end = start + length
            if all(self._free(t, day, start - TRAVEL, end + TRAVEL) for t in techs):
                for t in techs:
                    self.busy.setdefault((t, day), []).append((start, end))
                return start, end
            start += TRAVEL
        return None

    def _free(self, tech: int, day: date, start: datetime, end: datetime) -> bool:
        return all(e <= start or s >= end for s, e in self.busy.get((tech, day), []))


def _skill_match(tech: int, skills: tuple[str, ...]) -> int:
    return sum(1 for s in skills if s in TECHNICIANS[tech].skills)


class _Planner:
    def __init__(self, rng: random.Random, today: date, places: list[Place]) -> None:
        self.rng = rng
        self.today = today
        self.calendar = _Calendar(today)
        self.places = places
        self._place_order: Iterator[Place] = self._cycle()
        self.jobs: list[PlannedJob] = []

    def _cycle(self) -> Iterator[Place]:
        while True:
            order = self.places[:]
            self.rng.shuffle(order)
            yield from order

    def new_job(
        self,
        status: str,
        *,
        tech: int | None = None,
        max_minutes: int = 600,
        title: str | None = None,
    ) -> PlannedJob:
        # Two rounds of the shuffled places visit every place at least once.
        for place in itertools.islice(self._place_order, 2 * len(self.places)):
            options = [
                t
                for t in TEMPLATES
                if (title is None or t.title == title)
                and t.audience in ("any", "business" if place.business else "home")
                and (t.equipment is None or t.equipment in place.equipment)
                and t.minutes <= max_minutes
                and (tech is None or _skill_match(tech, t.skills) == len(t.skills))
            ]
            if options:
                template = self.rng.choice(options)
                break
        else:
            raise LookupError(f"no demo place and template fit {title or status!r} (tech {tech})")
        tags = ["commercial" if place.business else "residential", *template.tags]
        priority = template.priority
        if priority == "NORMAL" and self.rng.random() < 0.15:
            priority = "HIGH"
        if self.rng.random() < 0.1:
            tags.append("vip")
        job = PlannedJob(
            template=template,
            place=place,
            status=status,
            created_at=self._created(),
            priority=priority,
            source=self.rng.choice(template.sources),
            tags=tags,
        )
        self.jobs.append(job)
        return job

    def _created(self, before: datetime | None = None) -> datetime:
        latest = before or _at(self.today, "08:00")
        day = latest.date() - timedelta(days=self.rng.randint(1, 6))
        return _at(
            day, f"{self.rng.randint(8, 16):02d}:{self.rng.choice(('05', '20', '35', '50'))}"
        )

    def schedule(
        self,
        job: PlannedJob,
        days: list[date],
        *,
        crew: tuple[int, ...] | None = None,
    ) -> PlannedVisit | None:
        """Book the job's next visit on one of `days`, with the free technician who best matches.

        A crew is booked as given; otherwise the technicians having most of the job's skills
        are tried first (in random order), then the others.
        """
        if crew is not None:
            tiers = [[(day, crew) for day in days]]
        else:
            by_match: dict[int, list[tuple[date, tuple[int, ...]]]] = {}
            for t in range(len(TECHNICIANS)):
                score = _skill_match(t, job.template.skills)
                by_match.setdefault(score, []).extend((day, (t,)) for day in days)
            tiers = [by_match[score] for score in sorted(by_match, reverse=True)]
        for options in tiers:
            self.rng.shuffle(options)
            for day, techs in options:
                slot = self.calendar.place(techs, day, job.template.minutes)
                if slot is not None:
                    return self._add_visit(job, slot, techs)
        return None

    def schedule_today(self, job: PlannedJob, tech: int) -> PlannedVisit | None:
        slot = self.calendar.place((tech,), self.today, job.template.minutes)
        return None if slot is None else self._add_visit(job, slot, (tech,))

    def _add_visit(
        self,
        job: PlannedJob,
        slot: tuple[datetime, datetime],
        techs: tuple[int, ...],
    ) -> PlannedVisit:
        visit = PlannedVisit(start=slot[0], end=slot[1], techs=techs, window=len(techs) == 1)
        job.visits.append(visit)
        if job.created_at >= visit.start - timedelta(hours=2):
            job.created_at = self._created(visit.start)
        return visit


def _places(rng: random.Random) -> tuple[list[tuple[str, str | None]], list[Place]]:
    """Customers (16 businesses, 30 households, by name and kind) and their service locations."""
    people = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(people)
    names = [*BUSINESSES, *((name, None) for name in people[:30])]
    places: list[Place] = []
    for index, (_, business) in enumerate(names):
        count = 2 if rng.random() < (0.55 if business else 0.15) else 1
        for n in range(count):
            city, postal_code, lat, lng, streets = rng.choice(AREAS)
            if business:
                equipment = list(BUSINESS_EQUIPMENT[business])
                label = ("Main location", "Second location")[n]
            else:
                old_house = postal_code in ("80203", "80209") and rng.random() < 0.6
                equipment = ["boiler" if old_house else "furnace", "water_heater", "panel"]
                if not old_house:
                    equipment.append("condenser")
                if rng.random() < 0.25:
                    equipment.append("mini_split")
                label = ("Home", "Rental property")[n]
            places.append(
                Place(
                    key=len(places),
                    customer=index,
                    label=label,
                    street=f"{rng.randint(1, 49) * 100 + rng.randint(0, 99)} {rng.choice(streets)}",
                    city=city,
                    postal_code=postal_code,
                    equipment=equipment,
                    business=business is not None,
                    lat=round(lat + rng.gauss(0, 0.008), 6),
                    lng=round(lng + rng.gauss(0, 0.01), 6),
                    access_notes=rng.choice(ACCESS_NOTES) if rng.random() < 0.35 else None,
                )
            )
    return names, places


def plan_jobs(rng: random.Random, today: date, places: list[Place]) -> list[PlannedJob]:
    """Every job of the demo with its visits and timeline, in every status, around `today`."""
    planner = _Planner(rng, today, places)
    past = [today - timedelta(days=n) for n in range(1, 8)]
    older = past[2:]
    future = [today + timedelta(days=n) for n in range(1, 8)]
    techs = range(len(TECHNICIANS))

    # Today: the first stop of some technicians is done, eight visits are under way, the rest
    # of the day is booked, and a few visits still wait for a technician.
    active = iter(
        ("EN_ROUTE", "ARRIVED", "WORKING", "PAUSED", "WORKING", "DEPARTED", "EN_ROUTE", "WORKING")
    )
    for tech in techs:
        if tech in (0, 1, 2, 3, 8, 9):
            job = planner.new_job("COMPLETED", tech=tech, max_minutes=150)
            if (visit := planner.schedule_today(job, tech)) is not None:
                visit.status = "COMPLETED"
        if tech < 8:
            job = planner.new_job("IN_PROGRESS", tech=tech, max_minutes=180)
            if tech in (1, 5):
                first = planner.schedule(job, past)
                if first is not None:
                    first.status, first.outcome = "COMPLETED", "RETURN_NEEDED"
            visit = planner.schedule_today(job, tech)
            if visit is not None:
                visit.status = next(active)
                if visit.status == "PAUSED":
                    visit.reason = rng.choice(PAUSE_REASONS)
                elif visit.status == "DEPARTED":
                    visit.reason = visit.outcome = "RETURN_NEEDED"
        for _ in range(2):
            job = planner.new_job("SCHEDULED", tech=tech, max_minutes=150)
            if planner.schedule_today(job, tech) is None:
                planner.schedule(job, future)
    for hhmm in ("09:00", "11:00", "13:00", "14:30"):
        job = planner.new_job("SCHEDULED", max_minutes=120)
        start = _at(today, hhmm)
        job.visits.append(
            PlannedVisit(
                start=start,
                end=start + timedelta(minutes=max(60, job.template.minutes)),
                techs=(),
            )
        )

    # Last week: two crew installs (booked first: they need a whole day of two people) and
    # finished work, most of it invoiced.
    for title, (_, members), status in zip(
        CREW_TEMPLATES, CREWS[::2], ("INVOICED", "COMPLETED"), strict=True
    ):
        job = planner.new_job(status, title=title)
        if (visit := planner.schedule(job, older, crew=members[:2])) is not None:
            visit.status = "COMPLETED"
    for status, count, days in (("COMPLETED", 20, past), ("INVOICED", 14, older)):
        for _ in range(count):
            job = planner.new_job(status, max_minutes=300)
            if (visit := planner.schedule(job, days)) is not None:
                visit.status = "COMPLETED"

    # Next week: the same two kinds of crew install, then booked work.
    for title, (_, members) in zip(CREW_TEMPLATES, CREWS[::2], strict=True):
        planner.schedule(planner.new_job("SCHEDULED", title=title), future, crew=members)
    for _ in range(26):
        planner.schedule(planner.new_job("SCHEDULED", max_minutes=360), future)

    # Waiting: parts on order after a first visit, or permits, approvals, postponements.
    for n in range(9):
        job = planner.new_job("ON_HOLD", max_minutes=300)
        if n < 4 and (visit := planner.schedule(job, past)) is not None:
            visit.status, visit.outcome = "COMPLETED", "PARTS_NEEDED"
            job.hold_reason = (
                f"Waiting on parts: {job.template.equipment or 'fittings'} parts on backorder"
            )
            job.tags.append("parts-on-order")
        else:
            job.hold_reason = HOLD_REASONS[n % len(HOLD_REASONS)]
    for n in range(9):
        job = planner.new_job("CANCELLED", max_minutes=240)
        job.cancel_reason = CANCEL_REASONS[n % len(CANCEL_REASONS)]
        if n < 3 and (visit := planner.schedule(job, future if n else past)) is not None:
            visit.status, visit.reason = "CANCELLED", job.cancel_reason
    for _ in range(18):
        job = planner.new_job("UNSCHEDULED")
        if rng.random() < 0.3:
            job.created_at = _at(today, "07:00") + timedelta(minutes=rng.randint(0, 90))

    for job in planner.jobs:
        if not job.visits and job.status not in ("UNSCHEDULED", "ON_HOLD", "CANCELLED"):
            job.status = "UNSCHEDULED"  # no free slot was found: still waiting for one
        _timeline(rng, job)
    planner.jobs.sort(key=lambda j: j.created_at)
    return planner.jobs


_CHAIN = ("EN_ROUTE", "ARRIVED", "WORKING", "DEPARTED", "COMPLETED")


def _transitions(visit: PlannedVisit) -> list[tuple[str, datetime]]:
    """The dispatch status moves that led a visit to its current status, with their times."""
    times = {
        "EN_ROUTE": visit.start - timedelta(minutes=20),
        "ARRIVED": visit.start,
        "WORKING": visit.start + timedelta(minutes=5),
        "PAUSED": visit.start + (visit.end - visit.start) / 2,
        "DEPARTED": visit.end - timedelta(minutes=5),
        "COMPLETED": visit.end,
    }
    if visit.status == "SCHEDULED":
        return []
    if visit.status == "CANCELLED":
        return [
            ("CANCELLED", min(visit.start, visit.scheduled_at or visit.start) + timedelta(hours=20))
        ]
    if visit.status == "PAUSED":
        return [(s, times[s]) for s in ("EN_ROUTE", "ARRIVED", "WORKING", "PAUSED")]
    return [(s, times[s]) for s in _CHAIN[: _CHAIN.index(visit.status) + 1]]


def _timeline(rng: random.Random, job: PlannedJob) -> None:
    """The job's events, from creation through dispatch to its current status.

    Names and payloads are those the API writes (resolvers/jobs.py, resolvers/dispatch.py);
    visit and technician ids are added as global ids when the rows exist (see `_create`).
    """

    def add(
        at: datetime, kind: str, payload: dict[str, Any], actor: Actor, visit: int | None = None
    ) -> None:
        job.events.append(PlannedEvent(at, kind, payload, actor, visit))

    status = "UNSCHEDULED"

    def move_job(at: datetime, kind: str, to: str, actor: Actor, **extra: Any) -> None:
        nonlocal status
        add(at, kind, {"from": status, "to": to, **extra}, actor)
        status = to

    add(
        job.created_at,
        "job.created",
        {"title": job.template.title, "status": status},
        rng.choice(("office", "dispatcher")),
    )
    ready = job.created_at
    for index, visit in enumerate(job.visits):
        scheduled_at = min(
            ready + timedelta(minutes=rng.randint(15, 180)), visit.start - timedelta(hours=1)
        )
        visit.scheduled_at = max(scheduled_at, ready + timedelta(minutes=5))
        add(
            visit.scheduled_at,
            "visit.created",
            {
                "to": "SCHEDULED",
                "start": visit.start.isoformat(),
                "end": visit.end.isoformat(),
                "technicianIds": list(visit.techs),
            },
            "dispatcher",
            index,
        )
        if status == "UNSCHEDULED":
            move_job(visit.scheduled_at, "job.status_changed", "SCHEDULED", "dispatcher")
        previous = "SCHEDULED"
        actor: Actor = visit.techs[0] if visit.techs else "dispatcher"
        for moved_to, at in _transitions(visit):
            payload: dict[str, Any] = {"from": previous, "to": moved_to}
            if moved_to in ("PAUSED", "CANCELLED"):
                payload["reason"] = visit.reason
            elif moved_to == "DEPARTED":
                payload["outcome"] = visit.outcome
            add(
                at,
                f"visit.{moved_to.lower()}",
                payload,
                "office" if moved_to == "CANCELLED" else actor,
                index,
            )
            previous = moved_to
            if moved_to == "EN_ROUTE" and status == "SCHEDULED":
                move_job(at, "job.status_changed", "IN_PROGRESS", actor)
            elif moved_to == "CANCELLED" and status == "SCHEDULED" and index == len(job.visits) - 1:
                move_job(at, "job.status_changed", "UNSCHEDULED", "office")
        ready = visit.end
    last = max(e.at for e in job.events)
    if job.status in ("COMPLETED", "INVOICED"):
        done = last + timedelta(minutes=10)
        move_job(done, "job.completed", "COMPLETED", job.visits[-1].techs[0])
        if job.status == "INVOICED":
            move_job(
                _at(done.date() + timedelta(days=1), "10:15"), "job.invoiced", "INVOICED", "office"
            )
    elif job.status == "ON_HOLD":
        at = max(last + timedelta(minutes=30), job.created_at + timedelta(hours=3))
        move_job(at, "job.held", "ON_HOLD", "dispatcher", reason=job.hold_reason)
    elif job.status == "CANCELLED":
        at = max(last + timedelta(minutes=30), job.created_at + timedelta(hours=3))
        move_job(at, "job.cancelled", "CANCELLED", "office", reason=job.cancel_reason)
    job.events.sort(key=lambda e: e.at)


def _serial(rng: random.Random) -> str:
    """Year, week, plant letter and sequence, the shape most HVAC makers use."""
    year, week = rng.randint(10, 23), rng.randint(1, 52)
    return f"{year}{week:02d}{rng.choice('ABCEFGHKMX')}{rng.randint(10000, 99999)}"


def _phone(rng: random.Random) -> str:
    return f"({rng.choice(('303', '720'))}) 555-01{rng.randint(0, 99):02d}"


def _email_name(name: str) -> str:
    return name.lower().replace(" ", ".").replace("'", "")


def _user_email(name: str) -> str:
    return f"{_email_name(name)}@{DEMO_DOMAIN}"


STAFF = (*OFFICE, *((tech.name, "technician") for tech in TECHNICIANS))
DEMO_EMAILS = tuple(_user_email(name) for name, _ in STAFF)


async def load_demo(db: RequestDB, *, today: date | None = None) -> list[dict[str, Any]]:
    """Create the demo company unless it exists; return its users with fresh tokens.

    Each user is a dict with email, name, role, password (the shared demo password) and token.
    Concurrent callers are serialized by an advisory lock, so the company is created once.
    """
    await db.execute(text("SELECT pg_advisory_xact_lock(hashtext('opus.demo'))"))
    company_id = await demo_company_id(db)
    if company_id is None:
        company_id = await _create(db, today or datetime.now(TZ).date())
    await db.set_company(company_id)
    rows = await db.all(
        select(users.c.id, users.c.email, users.c.name, users.c.role)
        .where(users.c.company_id == company_id, users.c.email.in_(DEMO_EMAILS))
        .order_by(users.c.id)
    )
    return [
        {
            "email": row.email,
            "name": row.name,
            "role": row.role,
            "password": DEMO_PASSWORD,
            "token": await issue_token(db, row.id, company_id),
        }
        for row in rows
    ]


async def demo_company_id(db: RequestDB) -> int | None:
    """The demo company's id, or None when the demo was never loaded. Leaves `db` as system."""
    await db.set_system()
    return await db.scalar(select(users.c.company_id).where(users.c.email == DEMO_EMAILS[0]))


def _global_id(type_name: str, db_id: int) -> str:
    """The Relay id the API shows for a row (as schema/ids.py; db/ must not import schema/)."""
    return base64.b64encode(f"{type_name}:{db_id}".encode()).decode()


class _Writer:
    """Bulk inserts for one company: every row gets its company_id, ids come back in order."""

    def __init__(self, db: RequestDB, company_id: int) -> None:
        self.db = db
        self.company_id = company_id

    async def insert(self, table: Any, rows: list[dict[str, Any]]) -> list[int]:
        rows = [{"company_id": self.company_id, **row} for row in rows]
        if "id" not in table.c:
            await self.db.execute(table.insert(), rows)
            return []
        result = await self.db.execute(
            table.insert().returning(table.c.id, sort_by_parameter_order=True), rows
        )
        return [row.id for row in result]


async def _create(db: RequestDB, today: date) -> int:
    """Write the whole demo company; returns its id."""
    rng = random.Random(SEED)
    (admin_name, _), *others = STAFF
    company_id, admin_id, _ = await create_company(
        db,
        DEMO_COMPANY,
        DEMO_EMAILS[0],
        DEMO_PASSWORD,
        admin_name=admin_name,
        timezone=DEMO_TIMEZONE,
    )
    out = _Writer(db, company_id)
    shared_hash = hash_password(DEMO_PASSWORD)
    user_ids = [
        admin_id,
        *await out.insert(
            users,
            [
                {
                    "email": _user_email(name),
                    "name": name,
                    "role": role,
                    "password_hash": shared_hash,
                }
                for name, role in others
            ],
        ),
    ]
    tech_ids = await out.insert(
        technicians,
        [
            {
                "user_id": user_id,
                "name": tech.name,
                "email": _user_email(tech.name),
                "phone": _phone(rng),
                "home_lat": tech.home[0],
                "home_lng": tech.home[1],
                "skills": [
                    {"skill": skill, "level": level} for skill, level in tech.skills.items()
                ],
                "working_hours": tech.hours,
                "hourly_cost": Decimal(tech.hourly_cost),
                "color": tech.color,
            }
            for user_id, tech in zip(user_ids[len(OFFICE) :], TECHNICIANS, strict=True)
        ],
    )
    crew_ids = await out.insert(crews, [{"name": name} for name, _ in CREWS])
    await out.insert(
        crew_members,
        [
            {"crew_id": crew_id, "technician_id": tech_ids[member]}
            for crew_id, (_, members) in zip(crew_ids, CREWS, strict=True)
            for member in members
        ],
    )

    names, places = _places(rng)
    customer_ids, contact_ids = await _write_customers(out, rng, names, today)
    location_ids = await out.insert(
        locations,
        [
            {
                "customer_id": customer_ids[p.customer],
                "label": p.label,
                "street": p.street,
                "city": p.city,
                "region": "CO",
                "postal_code": p.postal_code,
                "lat": p.lat,
                "lng": p.lng,
                "access_notes": p.access_notes,
            }
            for p in places
        ],
    )
    equipment = [(p.key, kind) for p in places for kind in p.equipment]
    asset_rows = []
    for key, kind in equipment:
        name, make, model = rng.choice(EQUIPMENT[kind])
        installed = date(rng.randint(2006, 2023), rng.randint(1, 12), rng.randint(1, 28))
        asset_rows.append(
            {
                "location_id": location_ids[key],
                "name": name,
                "make": make,
                "model": model,
                "serial": _serial(rng),
                "installed_on": installed,
            }
        )
    asset_ids = dict(zip(equipment, await out.insert(assets, asset_rows), strict=True))

    planned = plan_jobs(rng, today, places)
    job_ids = await out.insert(
        jobs,
        [
            {
                "number": FIRST_JOB_NUMBER + n,
                "title": job.template.title,
                "scope": job.template.scope,
                "customer_id": customer_ids[job.place.customer],
                "location_id": location_ids[job.place.key],
                "contact_id": contact_ids[job.place.customer],
                "priority": job.priority,
                "status": job.status,
                "hold_reason": job.hold_reason,
                "cancel_reason": job.cancel_reason,
                "source": job.source,
                "source_reference": _source_reference(job, n),
                "billing_type": job.template.billing,
                "estimated_duration_minutes": job.template.minutes,
                "required_skills": list(job.template.skills),
                "tags": job.tags,
                "version": sum(e.kind.startswith("job.") for e in job.events),
                "created_at": job.created_at,
                "updated_at": job.events[-1].at,
            }
            for n, job in enumerate(planned)
        ],
    )
    await out.insert(
        job_assets,
        [
            {"job_id": job_id, "asset_id": asset_ids[(job.place.key, job.template.equipment)]}
            for job_id, job in zip(job_ids, planned, strict=True)
            if job.template.equipment
        ],
    )
    planned_visits = [
        (job_id, job, visit)
        for job_id, job in zip(job_ids, planned, strict=True)
        for visit in job.visits
    ]
    visit_ids = await out.insert(
        visits, [_visit_row(rng, job_id, job, visit) for job_id, job, visit in planned_visits]
    )
    await out.insert(
        visit_technicians,
        [
            {"visit_id": visit_id, "technician_id": tech_ids[tech]}
            for visit_id, (_, _, visit) in zip(visit_ids, planned_visits, strict=True)
            for tech in visit.techs
        ],
    )

    actors: dict[Actor, Viewer] = {
        role: Viewer(
            user_id=user_ids[i],
            company_id=company_id,
            role=role,
            name=name,
            email=DEMO_EMAILS[i],
            technician_id=None,
        )
        for i, (name, role) in enumerate(OFFICE)
    }
    for t, (tech, tech_id) in enumerate(zip(TECHNICIANS, tech_ids, strict=True)):
        actors[t] = Viewer(
            user_id=user_ids[len(OFFICE) + t],
            company_id=company_id,
            role="technician",
            name=tech.name,
            email=_user_email(tech.name),
            technician_id=tech_id,
        )
    visit_id_of = {
        id(visit): vid for vid, (_, _, visit) in zip(visit_ids, planned_visits, strict=True)
    }
    await _write_timelines(db, company_id, job_ids, planned, visit_id_of, tech_ids, actors)
    await db.execute(
        update(companies)
        .where(companies.c.id == company_id)
        .values(job_seq=FIRST_JOB_NUMBER + len(planned) - 1)
    )
    await write_demo_materials(
        db, out, company_id, today, job_ids, planned, tech_ids, [t.name for t in TECHNICIANS]
    )
    await write_demo_workspace(
        db, company_id, job_ids, planned, visit_ids, planned_visits, tech_ids, user_ids[0]
    )
    return company_id


async def _write_timelines(
    db: RequestDB,
    company_id: int,
    job_ids: list[int],
    planned: list[PlannedJob],
    visit_id_of: dict[int, int],
    tech_ids: list[int],
    actors: dict[Actor, Viewer],
) -> None:
    """Every job's events through record_event, then dated when they happened."""
    dated = []
    for number, (job_id, job) in enumerate(zip(job_ids, planned, strict=True), FIRST_JOB_NUMBER):
        for event in job.events:
            payload = dict(event.payload)
            visit_id = None
            if event.visit is not None:
                visit_id = visit_id_of[id(job.visits[event.visit])]
                payload = {"visitId": _global_id("Visit", visit_id), **payload}
            if "technicianIds" in payload:
                payload["technicianIds"] = [
                    _global_id("Technician", tech_ids[t]) for t in payload["technicianIds"]
                ]
            if event.kind == "job.created":
                payload = {"number": f"J-{number}", **payload}
            row = await record_event(
                db,
                company_id=company_id,
                job_id=job_id,
                type=event.kind,
                payload=payload,
                actor=actors[event.actor],
                visit_id=visit_id,
            )
            dated.append({"event_id": row.id, "at": event.at})
    # record_event stamps the time of writing; a timeline shows when things happened.
    await db.execute(
        update(job_events)
        .where(job_events.c.id == bindparam("event_id"))
        .values(created_at=bindparam("at")),
        dated,
    )


async def _write_customers(
    out: _Writer,
    rng: random.Random,
    names: list[tuple[str, str | None]],
    today: date,
) -> tuple[list[int], list[int]]:
    """Insert customers and their contacts; return customer ids and each one's main contact id."""
    customer_rows = []
    contact_rows: list[dict[str, Any]] = []
    for index, (name, business) in enumerate(names):
        since = today - timedelta(days=rng.randint(60, 1800))
        slug = "".join(c for c in name.lower() if c.isalnum())
        email = f"service@{slug}.example" if business else f"{_email_name(name)}@example.com"
        customer_rows.append(
            {
                "name": name,
                "phone": _phone(rng),
                "email": email,
                "notes": rng.choice(CUSTOMER_NOTES),
                "created_at": _at(since, "10:00"),
            }
        )
        people = [_main_contact(rng, name, business)]
        if rng.random() < 0.4:
            surname = rng.choice(LAST_NAMES) if business else name.split()[-1]
            people.append(
                (f"{rng.choice(FIRST_NAMES)} {surname}", "Office Manager" if business else "Spouse")
            )
        contact_rows.extend(
            {
                "customer_id": index,
                "name": person,
                "role": role,
                "phone": _phone(rng),
                "email": f"{_email_name(person)}@example.com",
            }
            for person, role in people
        )
    customer_ids = await out.insert(customers, customer_rows)
    for row in contact_rows:
        row["customer_id"] = customer_ids[row["customer_id"]]
    contact_ids = await out.insert(contacts, contact_rows)
    main_contact: dict[int, int] = {}
    for contact_id, row in zip(contact_ids, contact_rows, strict=True):
        main_contact.setdefault(row["customer_id"], contact_id)
    return customer_ids, [main_contact[customer_id] for customer_id in customer_ids]


def _main_contact(rng: random.Random, name: str, business: str | None) -> tuple[str, str]:
    if business is None:
        return name, "Homeowner"
    role = rng.choice(("Facilities Manager", "General Manager", "Property Manager", "Owner"))
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", role


def _source_reference(job: PlannedJob, n: int) -> str | None:
    prefix = {"QUOTE": "Q-", "BOOKING_REQUEST": "BR-", "LEAD": "LEAD-", "AGREEMENT_VISIT": "AGR-"}
    if job.source not in prefix:
        return None
    base = 200 + job.place.customer if job.source == "AGREEMENT_VISIT" else 2400 + n * 3
    return f"{prefix[job.source]}{base}"


def _visit_row(
    rng: random.Random, job_id: int, job: PlannedJob, visit: PlannedVisit
) -> dict[str, Any]:
    window_start = window_end = None
    if visit.window:
        window_start = visit.start.replace(minute=0) - timedelta(hours=rng.choice((0, 1)))
        window_end = window_start + timedelta(hours=rng.choice((2, 3)))
    moves = _transitions(visit)
    changed_at = moves[-1][1] if moves else visit.scheduled_at
    lat = lng = None
    if visit.status == "EN_ROUTE":
        home = TECHNICIANS[visit.techs[0]].home
        lat, lng = (home[0] + job.place.lat) / 2, (home[1] + job.place.lng) / 2
    elif moves and visit.status != "CANCELLED":
        lat, lng = job.place.lat, job.place.lng
    return {
        "job_id": job_id,
        "start_at": visit.start,
        "end_at": visit.end,
        "arrival_window_start": window_start,
        "arrival_window_end": window_end,
        "status": visit.status,
        "status_changed_at": changed_at,
        "status_reason": visit.reason,
        "last_lat": lat,
        "last_lng": lng,
        "version": 1 + len(moves),
        "created_at": visit.scheduled_at,
        "updated_at": changed_at,
    }
