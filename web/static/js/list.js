// The jobs list: search, filters, sorting and cursor pagination, all kept in the URL's query
// string (?view=list&q=boiler&status=SCHEDULED,ON_HOLD&…) so a view can be shared as a link.

import { clear, debounce, h, uid } from "./dom.js";
import * as Q from "./queries.js";
import {
  DISPATCH, JOB_STATUS, ORDER_BY, PRIORITY, READINESS, READINESS_SHORT, dispatchLabel,
} from "./status.js";
import { addDays, formatDateTime, isDay, zonedInstant } from "./time.js";

const PAGE_SIZE = 25;
const LISTS = ["status", "priority", "tags", "ready"];
const SCALARS = ["q", "tech", "from", "to", "order", "after", "before"];

export function filtersFromParams(params) {
  const filters = {};
  for (const key of LISTS) {
    const raw = params.get(key);
    filters[key] = raw ? raw.split(",").map((v) => v.trim()).filter(Boolean) : [];
  }
  for (const key of SCALARS) filters[key] = params.get(key) ?? "";
  if (!ORDER_BY[filters.order]) filters.order = "";
  if (!isDay(filters.from)) filters.from = "";
  if (!isDay(filters.to)) filters.to = "";
  return filters;
}

export function filtersToParams(filters, params = new URLSearchParams()) {
  for (const key of LISTS) {
    if (filters[key]?.length) params.set(key, filters[key].join(","));
    else params.delete(key);
  }
  for (const key of SCALARS) {
    if (filters[key]) params.set(key, filters[key]);
    else params.delete(key);
  }
  return params;
}

export class ListView {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.filters = filtersFromParams(new URLSearchParams());
    this.built = false;
    this.sequence = 0;
    this.page = 1;
    this.rows = [];
    this.refreshSoon = debounce(() => this.load(), 500);
    this.searchSoon = debounce(() => this.#change({ q: this.form.elements.q.value.trim() }), 300);
    this.tagsSoon = debounce(() => this.#change({ tags: this.#tagsValue() }), 500);
  }

  get tz() {
    return this.app.timezone;
  }

  show(params) {
    if (!this.built) this.#build();
    const next = filtersFromParams(params);
    if (!next.after && !next.before) this.page = 1;
    else if (next.after !== this.filters.after || next.before !== this.filters.before) {
      this.page = null; // a shared link into the middle of the list: position unknown
    }
    this.filters = next;
    this.#syncForm();
    return this.load();
  }

  onEvent(event) {
    const id = event.job?.id ?? event.visit?.job?.id;
    if (id && this.rows.some((row) => row.id === id)) this.refreshSoon();
  }

  #variables() {
    const f = this.filters;
    const filter = {};
    if (f.q) filter.search = f.q;
    if (f.status.length) filter.status = f.status;
    if (f.priority.length) filter.priority = f.priority;
    if (f.tech) filter.technicianId = f.tech;
    if (f.tags.length) filter.tags = f.tags;
    if (f.ready.length && this.app.caps.readinessFilter) filter.readiness = f.ready;
    if (f.from) filter.scheduledFrom = zonedInstant(f.from, "00:00", this.tz).toISOString();
    if (f.to) filter.scheduledTo = zonedInstant(addDays(f.to, 1), "00:00", this.tz).toISOString();
    const page = f.before
      ? { last: PAGE_SIZE, before: f.before }
      : { first: PAGE_SIZE, after: f.after || null };
    return { ...page, filter, orderBy: f.order || "CREATED_AT_DESC" };
  }

  async load() {
    this.sequence += 1;
    const mine = this.sequence;
    this.results.setAttribute("aria-busy", "true");
    try {
      const { jobs } = await this.app.gql(Q.jobs(this.app.caps), this.#variables());
      if (mine !== this.sequence) return;
      this.rows = jobs.nodes;
      this.#renderResults(jobs);
    } catch (error) {
      if (mine !== this.sequence) return;
      this.rows = [];
      clear(this.results).append(h("p", { class: "notice error", role: "alert" }, error.message));
      this.count.textContent = "";
    } finally {
      if (mine === this.sequence) this.results.removeAttribute("aria-busy");
    }
  }

  #change(patch, { keepPage = false } = {}) {
    this.filters = { ...this.filters, ...patch };
    if (!keepPage) {
      this.filters.after = "";
      this.filters.before = "";
      this.page = 1;
    }
    this.app.setParams(filtersToParams(this.filters, new URLSearchParams({ view: "list" })));
    this.load();
  }

  #tagsValue() {
    return this.form.elements.tags.value.split(",").map((t) => t.trim()).filter(Boolean);
  }

  #multi(name, label, options) {
    const summaryCount = h("span", { class: "multi-count" });
    const boxes = Object.entries(options).map(([value, text]) => h("label", { class: "choice" },
      h("input", {
        type: "checkbox", name, value,
        onchange: () => {
          const chosen = [...this.form.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
          this.#change({ [name]: chosen });
        },
      }), ` ${text}`));
    return h("details", { class: "multi", dataset: { filter: name } },
      h("summary", null, label, summaryCount),
      h("fieldset", null, h("legend", { class: "sr-only" }, label), boxes));
  }

  #build() {
    this.built = true;
    const caps = this.app.caps;
    const searchId = uid("search");
    const techId = uid("tech");
    const fromId = uid("from");
    const toId = uid("to");
    const tagsId = uid("tags");
    const orderId = uid("order");
    this.form = h("form", {
      class: "filters", role: "search", "aria-label": "Filter jobs",
      onsubmit: (e) => e.preventDefault(),
    },
    h("div", { class: "filter filter-search" },
      h("label", { for: searchId }, "Search"),
      h("input", {
        id: searchId, name: "q", type: "search", autocomplete: "off",
        placeholder: "Number, title, customer, address…", oninput: () => this.searchSoon(),
      })),
    this.#multi("status", "Status", JOB_STATUS),
    this.#multi("priority", "Priority", PRIORITY),
    caps.readinessFilter
      ? this.#multi("ready", "Parts", Object.fromEntries(caps.readinessValues.map((v) => [v, READINESS[v] ?? v])))
      : null,
    h("div", { class: "filter" },
      h("label", { for: techId }, "Technician"),
      h("select", { id: techId, name: "tech", onchange: (e) => this.#change({ tech: e.target.value }) },
        h("option", { value: "" }, "Anyone"),
        this.app.technicians.map((t) => h("option", { value: t.id }, t.name)))),
    h("div", { class: "filter" },
      h("label", { for: fromId }, "Visits from"),
      h("input", { id: fromId, name: "from", type: "date", onchange: (e) => this.#change({ from: e.target.value }) })),
    h("div", { class: "filter" },
      h("label", { for: toId }, "to"),
      h("input", { id: toId, name: "to", type: "date", onchange: (e) => this.#change({ to: e.target.value }) })),
    h("div", { class: "filter" },
      h("label", { for: tagsId }, "Tags (all of)"),
      h("input", {
        id: tagsId, name: "tags", autocomplete: "off", placeholder: "e.g. commercial, warranty",
        oninput: () => this.tagsSoon(),
      })),
    h("div", { class: "filter" },
      h("label", { for: orderId }, "Sort"),
      h("select", { id: orderId, name: "order", onchange: (e) => this.#change({ order: e.target.value }) },
        Object.entries(ORDER_BY).map(([value, text]) => h("option", { value }, text)))),
    h("div", { class: "filter filter-actions" },
      h("button", {
        type: "button", class: "button-quiet",
        onclick: () => {
          this.form.reset();
          this.#change({ q: "", status: [], priority: [], ready: [], tech: "", from: "", to: "", tags: [], order: "" });
        },
      }, "Clear filters")));
    // A filter dropdown closes when the focus or a click goes elsewhere, or on Escape.
    const closeDropdowns = (except) => {
      if (!this.form.isConnected) return;
      for (const open of this.form.querySelectorAll("details.multi[open]")) {
        if (open !== except) open.open = false;
      }
    };
    document.addEventListener("click", (e) => closeDropdowns(e.target.closest?.("details.multi")));
    this.form.addEventListener("focusin", (e) => closeDropdowns(e.target.closest("details.multi")));
    this.form.addEventListener("keydown", (e) => {
      const open = e.target.closest("details.multi[open]");
      if (e.key === "Escape" && open) {
        e.stopPropagation();
        open.open = false;
        open.querySelector("summary").focus();
      }
    });
    this.count = h("p", { class: "list-count", id: "list-count", role: "status" });
    this.results = h("div", { class: "results" });
    clear(this.root).append(
      h("div", { class: "toolbar" }, h("h1", { id: "list-title" }, "Jobs"), this.count),
      this.form, this.results);
  }

  #syncForm() {
    const f = this.filters;
    const els = this.form.elements;
    if (document.activeElement !== els.q) els.q.value = f.q;
    if (document.activeElement !== els.tags) els.tags.value = f.tags.join(", ");
    els.tech.value = f.tech;
    els.from.value = f.from;
    els.to.value = f.to;
    els.order.value = f.order || "CREATED_AT_DESC";
    for (const name of ["status", "priority", "ready"]) {
      for (const box of this.form.querySelectorAll(`input[name=${name}]`)) {
        box.checked = f[name].includes(box.value);
      }
      const count = this.form.querySelector(`[data-filter=${name}] .multi-count`);
      if (count) count.textContent = f[name].length ? ` (${f[name].length})` : "";
    }
  }

  #nextVisit(job) {
    const visits = job.visits.filter((v) => v.status !== "CANCELLED");
    const now = Date.now();
    return visits.find((v) => new Date(v.end) >= now) ?? visits[visits.length - 1] ?? null;
  }

  #renderResults(jobs) {
    const caps = this.app.caps;
    const total = jobs.totalCount;
    this.count.textContent = `${total} ${total === 1 ? "job" : "jobs"} match`;
    this.#syncForm();
    if (!jobs.nodes.length) {
      clear(this.results).append(h("p", { class: "notice" }, "No jobs match these filters."));
      return;
    }
    const rows = jobs.nodes.map((job) => {
      const visit = this.#nextVisit(job);
      const crew = [...new Map(job.visits.flatMap((v) => v.technicians).map((t) => [t.id, t])).values()];
      const readiness = caps.readinessOf(job);
      return h("tr", { dataset: { jobId: job.id } },
        h("th", { scope: "row" }, h("button", {
          type: "button", class: "link job-number",
          onclick: (e) => this.app.openJob(job.id, e.currentTarget),
        }, job.number)),
        h("td", null, job.title),
        h("td", null, job.customer?.name ?? ""),
        h("td", null, h("span", { class: `badge j-${job.status}` }, JOB_STATUS[job.status] ?? job.status)),
        h("td", null, h("span", { class: `badge p-${job.priority}` }, PRIORITY[job.priority] ?? job.priority)),
        h("td", null, visit
          ? [formatDateTime(visit.start, this.tz), " ",
            h("span", { class: `status-chip small s-${visit.status}` },
              h("span", { "aria-hidden": "true" }, DISPATCH[visit.status]?.icon), " ", dispatchLabel(visit.status))]
          : h("span", { class: "muted" }, "—")),
        h("td", null, crew.map((t) => t.name).join(", ")),
        h("td", null, job.tags.join(", ")),
        caps.jobReadiness
          ? h("td", null, readiness ? h("span", {
            class: caps.blockedByParts(job) ? "flag flag-parts" : "",
          }, READINESS_SHORT[readiness] ?? readiness) : "")
          : null);
    });
    const f = this.filters;
    if (f.before && !jobs.pageInfo.hasPreviousPage) this.page = 1;
    const hasPrev = Boolean(f.after) || (Boolean(f.before) && jobs.pageInfo.hasPreviousPage);
    const hasNext = jobs.pageInfo.hasNextPage || Boolean(f.before);
    const pager = h("nav", { class: "pager", "aria-label": "Pages" },
      h("button", {
        type: "button", class: "button-quiet", disabled: !hasPrev, dataset: { page: "previous" },
        onclick: () => {
          this.page = this.page === null ? null : Math.max(1, this.page - 1);
          this.#change({ after: "", before: this.page === 1 ? "" : jobs.pageInfo.startCursor }, { keepPage: true });
        },
      }, "‹ Previous"),
      h("span", { class: "page-number" }, this.page === null
        ? `${jobs.nodes.length} of ${total}`
        : `Page ${this.page} of ${Math.max(1, Math.ceil(total / PAGE_SIZE))}`),
      h("button", {
        type: "button", class: "button-quiet", disabled: !hasNext, dataset: { page: "next" },
        onclick: () => {
          if (this.page !== null) this.page += 1;
          this.#change({ before: "", after: jobs.pageInfo.endCursor }, { keepPage: true });
        },
      }, "Next ›"));
    clear(this.results).append(
      h("div", { class: "table-scroll" },
        h("table", { class: "jobs-table" },
          h("caption", { class: "sr-only" }, "Jobs matching the filters"),
          h("thead", null, h("tr", null,
            ["Job", "Title", "Customer", "Status", "Priority", "Next visit", "Crew", "Tags",
              caps.jobReadiness ? "Parts" : null].filter(Boolean).map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", null, rows))),
      pager);
  }
}
