// Dates and times in the company's time zone (the board's day is the company's day, whatever
// the dispatcher's browser thinks), with Intl only: no date library.

const cache = new Map();

function formatter(timeZone, options) {
  const key = `${timeZone}|${JSON.stringify(options)}`;
  let fmt = cache.get(key);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat(options.locale ?? undefined, { timeZone, ...options });
    cache.set(key, fmt);
  }
  return fmt;
}

const PARTS = {
  locale: "en-US", hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit",
};

/** Wall-clock fields of an instant in a zone, as numbers. */
export function zonedParts(instant, timeZone) {
  const out = {};
  for (const { type, value } of formatter(timeZone, PARTS).formatToParts(instant)) {
    if (type !== "literal") out[type] = Number(value);
  }
  if (out.hour === 24) out.hour = 0;
  return out;
}

const pad = (n) => String(n).padStart(2, "0");

/** "YYYY-MM-DD" of an instant (Date or ISO string) in a zone. */
export function localDate(instant, timeZone) {
  const p = zonedParts(new Date(instant), timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** "HH:MM" (24 h) of an instant in a zone, as form inputs want it. */
export function localTime(instant, timeZone) {
  const p = zonedParts(new Date(instant), timeZone);
  return `${pad(p.hour)}:${pad(p.minute)}`;
}

export function todayIn(timeZone) {
  return localDate(new Date(), timeZone);
}

/** The instant at which the wall clock of `timeZone` shows `day` `hhmm`. */
export function zonedInstant(day, hhmm, timeZone) {
  const [y, m, d] = day.split("-").map(Number);
  const [hh, mm] = (hhmm || "00:00").split(":").map(Number);
  const wanted = Date.UTC(y, m - 1, d, hh, mm);
  let guess = wanted;
  for (let i = 0; i < 3; i += 1) {
    const p = zonedParts(new Date(guess), timeZone);
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
    if (shown === wanted) break;
    guess += wanted - shown;
  }
  return new Date(guess);
}

/** Minutes from the start of `day` (in the zone) to an instant; negative before it. */
export function minutesIntoDay(instant, day, timeZone) {
  return (new Date(instant) - zonedInstant(day, "00:00", timeZone)) / 60000;
}

export function formatTime(instant, timeZone) {
  if (!instant) return "";
  return formatter(timeZone, { hour: "numeric", minute: "2-digit" }).format(new Date(instant));
}

export function formatRange(from, to, timeZone) {
  if (!from && !to) return "";
  return `${formatTime(from, timeZone)}–${formatTime(to, timeZone)}`;
}

export function formatDateTime(instant, timeZone) {
  if (!instant) return "";
  return formatter(timeZone, {
    month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
  }).format(new Date(instant));
}

/** "Thursday, November 26" for a "YYYY-MM-DD" day. */
export function formatDay(day) {
  const [y, m, d] = day.split("-").map(Number);
  return formatter("UTC", { weekday: "long", month: "long", day: "numeric", year: "numeric" })
    .format(new Date(Date.UTC(y, m - 1, d, 12)));
}

export function addDays(day, count) {
  const [y, m, d] = day.split("-").map(Number);
  const next = new Date(Date.UTC(y, m - 1, d + count, 12));
  return `${next.getUTCFullYear()}-${pad(next.getUTCMonth() + 1)}-${pad(next.getUTCDate())}`;
}

export function hourLabel(hour) {
  const suffix = hour < 12 || hour === 24 ? "am" : "pm";
  const h12 = hour % 12 === 0 ? 12 : hour % 12;
  return `${h12}${suffix}`;
}

export function isDay(value) {
  return typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value);
}

/** 45 -> "45 min", 812 -> "13 h 32 min". */
export function formatMinutes(minutes) {
  const m = Math.round(minutes);
  if (m < 60) return `${m} min`;
  const rest = m % 60;
  return rest ? `${Math.floor(m / 60)} h ${rest} min` : `${m / 60} h`;
}
