"""Enums shared by several areas of the schema (values match what the database stores)."""

from enum import Enum

import strawberry


@strawberry.enum(
    description="What the office sees of a job's progress; moved only by mutations and visits."
)
class JobStatus(Enum):
    UNSCHEDULED = "UNSCHEDULED"
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    ON_HOLD = "ON_HOLD"
    COMPLETED = "COMPLETED"
    INVOICED = "INVOICED"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="How urgent a job is.")
class Priority(Enum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    EMERGENCY = "EMERGENCY"


@strawberry.enum(description="Where a job came from.")
class JobSource(Enum):
    QUOTE = "QUOTE"
    BOOKING_REQUEST = "BOOKING_REQUEST"
    LEAD = "LEAD"
    AGREEMENT_VISIT = "AGREEMENT_VISIT"
    DIRECT = "DIRECT"


@strawberry.enum(description="How a job is billed.")
class BillingType(Enum):
    FIXED_PRICE = "FIXED_PRICE"
    TIME_AND_MATERIALS = "TIME_AND_MATERIALS"
    AGREEMENT = "AGREEMENT"
    WARRANTY = "WARRANTY"
    NO_CHARGE = "NO_CHARGE"


@strawberry.enum(description="Where a visit stands in the field (the dispatch state machine).")
class DispatchStatus(Enum):
    SCHEDULED = "SCHEDULED"
    EN_ROUTE = "EN_ROUTE"
    ARRIVED = "ARRIVED"
    WORKING = "WORKING"
    PAUSED = "PAUSED"
    DEPARTED = "DEPARTED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@strawberry.enum(
    description="What a user may do: office roles plan and dispatch, technicians execute."
)
class Role(Enum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    OFFICE = "office"
    TECHNICIAN = "technician"


@strawberry.enum(description="Day of the week.")
class Weekday(Enum):
    MON = "MON"
    TUE = "TUE"
    WED = "WED"
    THU = "THU"
    FRI = "FRI"
    SAT = "SAT"
    SUN = "SUN"
