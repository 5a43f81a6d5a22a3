// Dashboard: job counts by status (one query, one alias per status), and the chosen day's late,
// unassigned, blocked and completed visits.

import { clear, debounce, h } from "./dom.js";
import * as Q from "./queries.js";
import { DISPATCH, JOB_STATUS, dispatchLabel } from "./status.js";
import { formatDay, formatMinutes, formatRange } from "./time.js";

export class DashboardView {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.sequence = 0;
    this.refreshSoon = debounce(() => this.load(), 500);
  }

  get tz() {
    return this.app.timezone;
  }

  onEvent() {
    this.refreshSoon();
  }

  async load() {
    this.sequence += 1;
    const mine = this.sequence;
    const date = this.app.date;
    if (!this.root.childElementCount) {
      this.root.append(h("p", { class: "notice", role: "status" }, "Loading the dashboard…"));
    }
    try {
      const data = await this.app.gql(Q.dashboard(this.app.caps), { date });
      if (mine === this.sequence) this.#render(data, date);
    } catch (error) {
      if (mine !== this.sequence) return;
      clear(this.root).append(this.#heading(date), h("p", { class: "notice error", role: "alert" }, error.message));
    }
  }

  #heading(date) {
    return h("div", { class: "toolbar" },
      h("h1", { id: "dashboard-title" }, "Dashboard",
        h("span", { class: "subtitle" }, ` · ${formatDay(date)}`)));
  }

  #card({ label, value, href, tone = "", key }) {
    const body = [h("span", { class: "card-value" }, String(value)), h("span", { class: "card-label" }, label)];
    return h("li", { class: `stat ${tone}`, dataset: { stat: key } },
      href
        ? h("a", { href, class: "stat-link", "aria-label": `${label}: ${value}` }, body)
        : h("div", { class: "stat-body" }, body));
  }

  #visitList(title, visits, empty) {
    return h("section", { class: "card dash-list", "aria-label": title },
      h("h2", null, title, h("span", { class: "muted" }, ` (${visits.length})`)),
      visits.length
        ? h("ul", null, visits.map((v) => h("li", null,
          h("button", {
            type: "button", class: "link", dataset: { visitId: v.id },
            onclick: (e) => this.app.openVisit(v.id, e.currentTarget),
          }, v.job?.number ?? "Visit"),
          ` ${v.job?.customer?.name ?? ""} · ${formatRange(v.start, v.end, this.tz)} · `,
          h("span", { class: `status-chip small s-${v.status}` },
            h("span", { "aria-hidden": "true" }, DISPATCH[v.status]?.icon), " ", dispatchLabel(v.status)),
          v.isLate ? h("span", { class: "flag flag-late" }, `⚠ ${formatMinutes(v.lateByMinutes)} late`) : null,
          v.technicians.length ? ` · ${v.technicians.map((t) => t.name).join(", ")}` : "")))
        : h("p", { class: "muted" }, empty));
  }

  #render(data, date) {
    const caps = this.app.caps;
    const board = data.dispatchBoard;
    const unique = new Map();
    for (const visit of [...board.lanes.flatMap((l) => l.visits), ...board.unassigned]) unique.set(visit.id, visit);
    const visits = [...unique.values()].sort((a, b) => new Date(a.start) - new Date(b.start));
    const late = visits.filter((v) => v.isLate);
    const completed = visits.filter((v) => v.status === "COMPLETED");
    const blockedVisits = visits.filter((v) => caps.blockedByParts(v.job));
    const listLink = (params) => `?${new URLSearchParams({ view: "list", ...params })}`;
    const statusCards = Q.JOB_STATUSES.map((status) => this.#card({
      key: status, label: JOB_STATUS[status], value: data[status.toLowerCase()].totalCount,
      href: listLink({ status }), tone: `j-${status}`,
    }));
    const today = [
      this.#card({ key: "visits", label: "Visits this day", value: visits.length, href: `?view=board&date=${date}` }),
      this.#card({ key: "late", label: "Late visits", value: late.length, tone: late.length ? "alert" : "" }),
      this.#card({ key: "unassigned", label: "Unassigned visits", value: board.unassigned.length, tone: board.unassigned.length ? "warn" : "" }),
      this.#card({ key: "on-hold", label: "Jobs on hold", value: data.on_hold.totalCount, href: listLink({ status: "ON_HOLD" }) }),
      this.#card({ key: "completed", label: "Visits completed this day", value: completed.length }),
      caps.jobReadiness
        ? this.#card({
          key: "blocked", label: "Jobs blocked by parts",
          value: data.blocked ? data.blocked.totalCount : blockedVisits.length,
          href: caps.readinessFilter ? listLink({ ready: "SHORT,AT_RISK" }) : null,
          tone: (data.blocked ? data.blocked.totalCount : blockedVisits.length) ? "alert" : "",
        })
        : null,
    ];
    clear(this.root).append(
      this.#heading(date),
      h("section", { "aria-labelledby": "dash-day" },
        h("h2", { id: "dash-day", class: "section-title" }, "This day"),
        h("ul", { class: "stats" }, today)),
      h("section", { "aria-labelledby": "dash-status" },
        h("h2", { id: "dash-status", class: "section-title" }, "Jobs by status"),
        h("ul", { class: "stats" }, statusCards)),
      h("div", { class: "dash-lists" },
        this.#visitList("Late visits", late, "Nobody is running late."),
        this.#visitList("Unassigned visits", board.unassigned, "Every visit has a technician."),
        caps.jobReadiness ? this.#visitList("Blocked by parts", blockedVisits, "No visit waits on parts.") : null));
  }
}
