// Words and marks for the API's enums. Colours live in app.css (.s-<STATUS>); every colour comes
// with an icon and a label, so colour is never the only cue.

export const DISPATCH = {
  SCHEDULED: { label: "Scheduled", icon: "○", action: "Call off trip" },
  EN_ROUTE: { label: "En route", icon: "➜", action: "En route" },
  ARRIVED: { label: "Arrived", icon: "◉", action: "Arrived" },
  WORKING: { label: "Working", icon: "⚒", action: "Working" },
  PAUSED: { label: "Paused", icon: "Ⅱ", action: "Pause" },
  DEPARTED: { label: "Departed", icon: "⇥", action: "Depart" },
  COMPLETED: { label: "Completed", icon: "✓", action: "Complete" },
  CANCELLED: { label: "Cancelled", icon: "✕", action: "Cancel visit" },
};

export const BOARD_STATUSES = [
  "SCHEDULED", "EN_ROUTE", "ARRIVED", "WORKING", "PAUSED", "DEPARTED", "COMPLETED",
];

export const JOB_STATUS = {
  UNSCHEDULED: "Unscheduled",
  SCHEDULED: "Scheduled",
  IN_PROGRESS: "In progress",
  ON_HOLD: "On hold",
  COMPLETED: "Completed",
  INVOICED: "Invoiced",
  CANCELLED: "Cancelled",
};

export const PRIORITY = { LOW: "Low", NORMAL: "Normal", HIGH: "High", EMERGENCY: "Emergency" };

export const OUTCOMES = {
  FINISHED: "Finished",
  RETURN_NEEDED: "Return visit needed",
  PARTS_NEEDED: "Parts needed",
};

export const ORDER_BY = {
  CREATED_AT_DESC: "Newest first",
  CREATED_AT_ASC: "Oldest first",
  UPDATED_AT_DESC: "Recently changed",
  NUMBER_DESC: "Job number, high to low",
  NUMBER_ASC: "Job number, low to high",
};

export const READINESS = {
  READY: "Parts ready",
  ON_ORDER: "Parts on order",
  AT_RISK: "Parts at risk",
  SHORT: "Parts short",
};

export const READINESS_SHORT = {
  READY: "Ready",
  ON_ORDER: "On order",
  AT_RISK: "At risk",
  SHORT: "Short",
};

export function dispatchLabel(status) {
  return DISPATCH[status]?.label ?? status;
}

export function humanize(value) {
  if (!value) return "";
  const text = String(value).replaceAll("_", " ").toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "visit.en_route" -> "En route"; "job.status_changed" + payload -> "Job: Scheduled → In progress". */
export function describeEvent(type, payload) {
  const [area, what = ""] = String(type).split(".");
  const from = payload?.from;
  const to = payload?.to;
  const label = (s) => DISPATCH[s]?.label ?? JOB_STATUS[s] ?? humanize(s);
  let text;
  if (area === "visit" && DISPATCH[what.toUpperCase()]) text = `Visit ${label(what.toUpperCase()).toLowerCase()}`;
  else if (from && to) text = `${humanize(area)}: ${label(from)} → ${label(to)}`;
  else text = `${humanize(area)} ${humanize(what).toLowerCase()}`;
  const why = payload?.reason ?? (payload?.outcome ? OUTCOMES[payload.outcome] ?? payload.outcome : null);
  return why ? `${text} (${why})` : text;
}
