// The day board: one row per technician across the day's hours, visits as blocks placed by
// their start and end, an unassigned lane, live updates merged by visit version.

import { clear, h } from "./dom.js";
import * as Q from "./queries.js";
import { BOARD_STATUSES, DISPATCH, PRIORITY, dispatchLabel } from "./status.js";
import {
  addDays, formatDay, formatRange, hourLabel, localDate, minutesIntoDay, todayIn,
} from "./time.js";

const FIRST_HOUR = 6;
const LAST_HOUR = 20;
const ROW_HEIGHT = 52; // px per stacked row of a lane; matches .lane-track in app.css

export class BoardView {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.date = null;
    this.lanes = [];
    this.unassigned = [];
    this.visits = new Map();
    this.loaded = false;
    this.error = null;
    this.flash = new Set();
    this.renderQueued = false;
  }

  get tz() {
    return this.app.timezone;
  }

  async load(date) {
    const changedDay = date !== this.date;
    this.date = date;
    if (changedDay) {
      this.loaded = false;
      this.lanes = [];
      this.unassigned = [];
      this.visits = new Map();
      this.render();
    }
    const requestedFor = date;
    try {
      const data = await this.app.gql(Q.board(this.app.caps), { date });
      if (requestedFor !== this.date) return;
      this.#replace(data.dispatchBoard);
      this.error = null;
    } catch (error) {
      if (requestedFor !== this.date) return;
      this.error = error.message;
    }
    this.loaded = true;
    this.render();
  }

  /** Take a fresh board from the server, keeping any visit the page already knows newer. */
  #replace(board) {
    const known = this.visits;
    this.lanes = board.lanes.map((lane) => ({ technician: lane.technician, visits: [] }));
    this.unassigned = [];
    this.visits = new Map();
    const fetched = [...board.lanes.flatMap((l) => l.visits), ...board.unassigned];
    for (const visit of fetched) this.#place(visit);
    for (const [id, visit] of known) {
      const fresh = this.visits.get(id);
      if (!fresh || fresh.version < visit.version) this.applyVisit(visit, { quiet: true });
    }
  }

  #onDay(visit) {
    return visit.status !== "CANCELLED" && localDate(visit.start, this.tz) === this.date;
  }

  #remove(id) {
    for (const lane of this.lanes) lane.visits = lane.visits.filter((v) => v.id !== id);
    this.unassigned = this.unassigned.filter((v) => v.id !== id);
    this.visits.delete(id);
  }

  /** Put a visit in its lanes; false when one of its technicians has no lane yet. */
  #place(visit) {
    if (!this.#onDay(visit)) return true;
    this.visits.set(visit.id, visit);
    const byStart = (a, b) => new Date(a.start) - new Date(b.start);
    if (!visit.technicians.length) {
      this.unassigned = [...this.unassigned, visit].sort(byStart);
      return true;
    }
    let complete = true;
    for (const technician of visit.technicians) {
      const lane = this.lanes.find((l) => l.technician.id === technician.id);
      if (lane) lane.visits = [...lane.visits, visit].sort(byStart);
      else complete = false;
    }
    return complete;
  }

  /** A visit as the server has it now (from a live event or a mutation). */
  applyVisit(visit, { quiet = false } = {}) {
    const old = this.visits.get(visit.id);
    if (old && old.version > visit.version) return null;
    this.#remove(visit.id);
    if (!this.#place(visit)) this.refreshSoon();
    if (!quiet) {
      if (!old || old.version !== visit.version) this.flash.add(visit.id);
      this.scheduleRender();
    }
    return old ?? null;
  }

  applyJob(job) {
    let touched = false;
    for (const visit of this.visits.values()) {
      if (visit.job?.id === job.id && (visit.job.version ?? 0) <= (job.version ?? 0)) {
        visit.job = { ...visit.job, ...job };
        touched = true;
      }
    }
    if (touched) this.scheduleRender();
  }

  /** A dispatchEvents message; returns a sentence for screen readers, or null. */
  applyEvent(event) {
    if (!this.loaded) return null;
    if (event.job) this.applyJob(event.job);
    if (!event.visit) return null;
    const old = this.applyVisit(event.visit);
    const visit = event.visit;
    if (old && old.status === visit.status) return null;
    const who = visit.technicians.map((t) => t.name).join(", ") || "unassigned";
    return `${visit.job?.number ?? "Visit"} (${who}) is now ${dispatchLabel(visit.status)}.`;
  }

  refreshSoon() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.date && this.load(this.date), 400);
  }

  scheduleRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    queueMicrotask(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  #hours() {
    let first = FIRST_HOUR;
    let last = LAST_HOUR;
    for (const visit of this.visits.values()) {
      const start = minutesIntoDay(visit.start, this.date, this.tz) / 60;
      const end = minutesIntoDay(visit.end, this.date, this.tz) / 60;
      first = Math.min(first, Math.max(0, Math.floor(start)));
      last = Math.max(last, Math.min(24, Math.ceil(end)));
    }
    return { first, last };
  }

  render() {
    const focused = document.activeElement?.closest?.("[data-visit-id]");
    const focusKey = focused && this.root.contains(focused)
      ? [focused.dataset.visitId, focused.closest("[data-lane]")?.dataset.lane] : null;
    clear(this.root);
    this.root.append(this.#toolbar(), this.#legend());
    if (this.error) {
      this.root.append(h("p", { class: "notice error", role: "alert" }, this.error));
    }
    if (!this.loaded) {
      this.root.append(h("p", { class: "notice", role: "status" }, "Loading the board…"));
      return;
    }
    this.root.append(this.#grid());
    this.flash.clear();
    if (focusKey) {
      const [visitId, lane] = focusKey;
      const again = this.root.querySelector(
        `[data-lane="${CSS.escape(lane ?? "")}"] [data-visit-id="${CSS.escape(visitId)}"]`,
      ) ?? this.root.querySelector(`[data-visit-id="${CSS.escape(visitId)}"]`);
      again?.focus({ preventScroll: true });
    }
  }

  #toolbar() {
    const visits = [...this.visits.values()];
    const late = visits.filter((v) => v.isLate).length;
    const blocked = visits.filter((v) => this.app.caps.blockedByParts(v.job)).length;
    const dateInput = h("input", {
      type: "date", id: "board-date", value: this.date ?? "",
      onchange: (e) => e.target.value && this.app.showDate(e.target.value),
    });
    const today = todayIn(this.tz);
    return h("div", { class: "toolbar" },
      h("h1", { id: "board-title" }, "Board",
        h("span", { class: "subtitle" }, this.date ? ` · ${formatDay(this.date)}` : "")),
      h("div", { class: "date-nav" },
        h("button", {
          type: "button", class: "button-quiet", "aria-label": "Previous day",
          onclick: () => this.app.showDate(addDays(this.date, -1)),
        }, "‹"),
        h("label", { for: "board-date", class: "sr-only" }, "Day"),
        dateInput,
        h("button", {
          type: "button", class: "button-quiet", "aria-label": "Next day",
          onclick: () => this.app.showDate(addDays(this.date, 1)),
        }, "›"),
        h("button", {
          type: "button", class: "button-quiet", disabled: this.date === today,
          onclick: () => this.app.showDate(today),
        }, "Today")),
      h("p", { class: "board-summary", id: "board-summary" },
        `${visits.length} visits`,
        h("span", { class: late ? "summary-late" : "" }, ` · ${late} late`),
        ` · ${this.unassigned.length} unassigned`,
        this.app.caps.jobReadiness ? ` · ${blocked} blocked by parts` : ""));
  }

  #legend() {
    return h("ul", { class: "legend", "aria-label": "Status key" },
      BOARD_STATUSES.map((status) => h("li", { class: `legend-item s-${status}` },
        h("span", { class: "swatch", "aria-hidden": "true" }, DISPATCH[status].icon),
        DISPATCH[status].label)),
      h("li", { class: "legend-item legend-flag" },
        h("span", { class: "flag flag-late", "aria-hidden": "true" }, "⚠"), "Late"),
      this.app.caps.jobReadiness
        ? h("li", { class: "legend-item legend-flag" },
          h("span", { class: "flag flag-parts", "aria-hidden": "true" }, "⊘"), "Blocked by parts")
        : null);
  }

  #grid() {
    const { first, last } = this.#hours();
    const span = (last - first) * 60;
    const hours = [];
    for (let hour = first; hour < last; hour += 1) hours.push(hour);
    const head = h("div", { class: "lane lane-head", "aria-hidden": "true" },
      h("div", { class: "lane-label" }, "Technician"),
      h("div", { class: "lane-hours", style: { "--hours": String(last - first) } },
        hours.map((hour) => h("span", { class: "hour" }, hourLabel(hour)))));
    const rows = this.lanes.map((lane) => this.#lane({
      key: lane.technician.id,
      label: lane.technician.name,
      color: lane.technician.color,
      visits: lane.visits,
      first, span,
    }));
    const unassigned = this.#lane({
      key: "unassigned", label: "Unassigned", visits: this.unassigned, first, span,
      extraClass: "lane-unassigned",
    });
    return h("div", {
      class: "board-scroll", role: "region", tabindex: "0",
      "aria-label": `Visits on ${formatDay(this.date)}, one row per technician`,
    },
    h("div", { class: "board-grid", style: { "--hours": String(last - first) } },
      head, unassigned, rows, this.#nowLine(first, span)));
  }

  #nowLine(first, span) {
    if (this.date !== todayIn(this.tz)) return null;
    const minutes = minutesIntoDay(new Date(), this.date, this.tz) - first * 60;
    if (minutes < 0 || minutes > span) return null;
    return h("div", {
      class: "now-line", "aria-hidden": "true",
      style: { "--at": String(minutes / span) },
    });
  }

  #lane({ key, label, color, visits, first, span, extraClass = "" }) {
    const rowEnds = [];
    const placed = visits.map((visit) => {
      const start = minutesIntoDay(visit.start, this.date, this.tz) - first * 60;
      const end = minutesIntoDay(visit.end, this.date, this.tz) - first * 60;
      let row = rowEnds.findIndex((edge) => edge <= start);
      if (row === -1) row = rowEnds.length;
      rowEnds[row] = end;
      return { visit, start, end, row };
    });
    const rows = Math.max(1, rowEnds.length);
    const late = visits.filter((v) => v.isLate).length;
    return h("div", {
      class: `lane ${extraClass}`, role: "group", dataset: { lane: key },
      "aria-label": `${label}: ${visits.length} visits${late ? `, ${late} late` : ""}`,
    },
    h("div", { class: "lane-label" },
      color ? h("span", { class: "dot", style: { background: color }, "aria-hidden": "true" }) : null,
      h("span", { class: "lane-name", title: label }, label),
      h("span", { class: "lane-count", "aria-hidden": "true" }, String(visits.length))),
    h("div", { class: "lane-track", style: { height: `${rows * ROW_HEIGHT}px` } },
      placed.map((p) => this.#block(p, span)),
      visits.length ? null : h("span", { class: "lane-empty" }, "No visits")));
  }

  #block({ visit, start, end, row }, span) {
    const left = Math.max(0, start) / span;
    const right = Math.min(span, Math.max(end, start + 15)) / span;
    const info = DISPATCH[visit.status] ?? { label: visit.status, icon: "?" };
    const job = visit.job ?? {};
    const blocked = this.app.caps.blockedByParts(job);
    const when = formatRange(visit.start, visit.end, this.tz);
    const priority = job.priority === "HIGH" || job.priority === "EMERGENCY" ? job.priority : null;
    const description = [
      job.number, job.customer?.name, job.title, when, info.label,
      visit.isLate ? `late by ${visit.lateByMinutes} minutes` : null,
      blocked ? "blocked by parts" : null,
      priority ? `${PRIORITY[priority]} priority` : null,
    ].filter(Boolean).join(", ");
    const classes = ["visit", `s-${visit.status}`];
    if (visit.isLate) classes.push("is-late");
    if (blocked) classes.push("is-blocked");
    if (this.flash.has(visit.id)) classes.push("flash");
    return h("button", {
      type: "button",
      class: classes.join(" "),
      dataset: { visitId: visit.id, status: visit.status, late: String(visit.isLate) },
      style: {
        left: `${left * 100}%`, width: `calc(${(right - left) * 100}% - 3px)`,
        top: `${row * ROW_HEIGHT + 4}px`,
      },
      title: description,
      "aria-label": description,
      onclick: (e) => this.app.openVisit(visit.id, e.currentTarget),
    },
    // Flags first: in a short block they matter more than the status word beside the icon.
    h("span", { class: "visit-line" },
      h("span", { class: "visit-icon", "aria-hidden": "true" }, info.icon),
      visit.isLate ? h("span", { class: "flag flag-late" }, `⚠ ${shortDuration(visit.lateByMinutes)}`) : null,
      blocked ? h("span", { class: "flag flag-parts" }, "⊘ parts") : null,
      h("span", { class: "visit-status" }, info.label)),
    h("span", { class: "visit-line visit-main" },
      priority ? h("span", { class: `priority p-${priority}` }, priority === "EMERGENCY" ? "!!" : "!") : null,
      h("strong", null, job.number ?? ""), " ", job.customer?.name ?? job.title ?? ""));
  }
}

function shortDuration(minutes) {
  return minutes >= 60 ? `${Math.round(minutes / 60)}h late` : `${minutes}m late`;
}
