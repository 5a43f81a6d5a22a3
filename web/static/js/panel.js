// Quick info for a visit or a job: who, where, what, when, the latest events, and the status
// control (buttons from availableTransitions), reschedule, reassign and cancel.

import { mutate } from "./api.js";
import { announce, append, clear, debounce, h, uid } from "./dom.js";
import * as Q from "./queries.js";
import { cancelSection, reassignSection, rescheduleSection } from "./visit_actions.js";
import {
  DISPATCH, JOB_STATUS, OUTCOMES, PRIORITY, READINESS, describeEvent, dispatchLabel,
} from "./status.js";
import { formatDateTime, formatMinutes, formatRange, formatTime } from "./time.js";

export class Panel {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.target = null; // { kind: "visit" | "job", id }
    this.opener = null;
    this.data = null;
    this.stale = false;
    this.refreshSoon = debounce(() => this.refresh(), 250);
    root.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.close();
    });
  }

  get tz() {
    return this.app.timezone;
  }

  openVisit(id, opener) {
    return this.#open({ kind: "visit", id }, opener);
  }

  openJob(id, opener) {
    return this.#open({ kind: "job", id }, opener);
  }

  async #open(target, opener) {
    this.target = target;
    if (opener) this.opener = { element: opener, visitId: opener.dataset?.visitId };
    this.root.hidden = false;
    document.body.classList.add("panel-open");
    this.#frame("Loading…", h("p", { class: "notice", role: "status" }, "Loading details…"));
    this.root.querySelector("#panel-title").focus();
    await this.refresh({ focusTitle: true });
  }

  close() {
    if (this.root.hidden) return;
    this.root.hidden = true;
    document.body.classList.remove("panel-open");
    this.target = null;
    this.data = null;
    const { element, visitId } = this.opener ?? {};
    this.opener = null;
    const back = element?.isConnected ? element
      : visitId && document.querySelector(`[data-visit-id="${CSS.escape(visitId)}"]`);
    back?.focus();
  }

  /** Live event: refresh when it concerns what is shown (not while the user types in a form). */
  onEvent(event) {
    if (!this.target || !this.data) return;
    const jobId = this.target.kind === "job" ? this.target.id : this.data.job?.id;
    const concerns = event.visit?.id === this.target.id || event.job?.id === jobId
      || event.visit?.job?.id === jobId;
    if (!concerns) return;
    if (this.root.contains(document.activeElement) && document.activeElement.closest("form")) {
      this.stale = true;
      this.root.querySelector(".stale-note")?.removeAttribute("hidden");
      return;
    }
    this.refreshSoon();
  }

  async refresh({ focusTitle = false } = {}) {
    const target = this.target;
    if (!target) return;
    const query = target.kind === "visit" ? Q.visitInfo(this.app.caps) : Q.jobInfo(this.app.caps);
    let node;
    try {
      ({ node } = await this.app.gql(query, { id: target.id }));
    } catch (error) {
      if (this.target !== target) return;
      this.#frame("Details", h("p", { class: "notice error", role: "alert" }, error.message));
      return;
    }
    if (this.target !== target) return;
    if (!node) {
      this.#frame("Not found", h("p", { class: "notice" }, "This item no longer exists or is not yours to see."));
      return;
    }
    // A refresh keeps what the user had open and where they were in the panel.
    const opened = new Set([...this.root.querySelectorAll("details[open] > summary")].map((e) => e.textContent));
    const scrolled = this.root.scrollTop;
    const same = this.data?.id === node.id;
    this.data = node;
    this.stale = false;
    if (target.kind === "visit") this.#renderVisit(node);
    else this.#renderJob(node);
    if (same) {
      for (const summary of this.root.querySelectorAll("details > summary")) {
        if (opened.has(summary.textContent)) summary.parentElement.open = true;
      }
      this.root.scrollTop = scrolled;
    }
    if (focusTitle) this.root.querySelector("#panel-title")?.focus();
  }

  #frame(title, ...body) {
    clear(this.root);
    this.root.append(
      h("div", { class: "panel-head" },
        h("h2", { id: "panel-title", tabindex: "-1" }, title),
        h("button", {
          type: "button", class: "button-quiet close", "aria-label": "Close details",
          onclick: () => this.close(),
        }, "✕")),
      h("p", { class: "stale-note", hidden: true, role: "status" },
        "This changed meanwhile. ",
        h("button", { type: "button", class: "link", onclick: () => this.refresh() }, "Show the latest")),
      h("div", { class: "panel-body" }, body),
    );
  }

  #jobFacts(job, extra = []) {
    const readiness = this.app.caps.readinessOf(job);
    const fact = (label, ...value) => (value.flat().some((v) => v) ? [h("dt", null, label), h("dd", null, value)] : []);
    return h("dl", { class: "facts" },
      fact("Customer", job.customer?.name,
        job.customer?.phone ? [" · ", h("a", { href: `tel:${job.customer.phone}` }, job.customer.phone)] : null),
      fact("Contact", job.contact
        ? [job.contact.name, job.contact.role ? ` (${job.contact.role})` : "",
          job.contact.phone ? [" · ", h("a", { href: `tel:${job.contact.phone}` }, job.contact.phone)] : ""]
        : null),
      fact("Location", job.location?.address,
        job.location?.accessNotes ? h("span", { class: "access" }, `Access: ${job.location.accessNotes}`) : null),
      extra,
      fact("Equipment", job.assets?.map((a) => [a.name, a.make ? ` (${a.make} ${a.model ?? ""})` : ""]).map((x, i) => [i ? "; " : "", x])),
      this.app.caps.jobReadiness
        ? fact("Parts", readiness
          ? h("span", { class: this.app.caps.blockedByParts(job) ? "flag flag-parts" : "" },
            READINESS[readiness] ?? readiness)
          : "Unknown")
        : null,
      fact("Tags", job.tags?.length ? job.tags.join(", ") : null),
      fact("On hold", job.holdReason));
  }

  #jobHeading(job) {
    return [
      h("p", { class: "job-title" }, job.title),
      h("p", { class: "meta" },
        h("span", { class: `badge p-${job.priority}` }, `${PRIORITY[job.priority] ?? job.priority} priority`),
        h("span", { class: "badge" }, JOB_STATUS[job.status] ?? job.status)),
    ];
  }

  #scope(job) {
    return job.scope
      ? h("section", { class: "panel-section" }, h("h3", null, "Scope"), h("p", { class: "scope" }, job.scope))
      : null;
  }

  #timeline(job) {
    const events = job.timeline?.nodes ?? [];
    return h("section", { class: "panel-section" },
      h("h3", null, "Latest activity"),
      events.length
        ? h("ol", { class: "timeline" }, events.map((e) => h("li", null,
          h("span", { class: "event-what" }, describeEvent(e.type, e.payload)),
          h("span", { class: "event-meta" },
            `${formatDateTime(e.at, this.tz)}${e.actorName ? ` · ${e.actorName}` : ""}`))))
        : h("p", { class: "muted" }, "Nothing yet."));
  }

  #statusChip(visit) {
    const info = DISPATCH[visit.status];
    return h("p", { class: `status-chip s-${visit.status}`, id: "panel-status" },
      h("span", { "aria-hidden": "true" }, info?.icon ?? "?"), " ", info?.label ?? visit.status,
      visit.isLate ? [" ", h("span", { class: "flag flag-late" }, `⚠ Late by ${formatMinutes(visit.lateByMinutes)}`)] : null,
      visit.statusReason ? h("span", { class: "reason" }, ` — ${OUTCOMES[visit.statusReason] ?? visit.statusReason}`) : null);
  }

  #renderVisit(visit) {
    const job = visit.job;
    const crew = visit.technicians.length
      ? visit.technicians.map((t) => h("span", { class: "crew-member" },
        h("span", { class: "dot", style: { background: t.color ?? "#888" }, "aria-hidden": "true" }), t.name))
      : h("span", { class: "muted" }, "Nobody assigned");
    const when = [
      h("dt", null, "Planned"),
      h("dd", null, `${formatDateTime(visit.start, this.tz)} – ${formatTime(visit.end, this.tz)}`),
      h("dt", null, "Arrival window"),
      h("dd", null, visit.arrivalWindowStart
        ? formatRange(visit.arrivalWindowStart, visit.arrivalWindowEnd, this.tz) : "None promised"),
      visit.eta ? [h("dt", null, "ETA"), h("dd", null, formatDateTime(visit.eta, this.tz))] : null,
      h("dt", null, "Crew"), h("dd", { class: "crew" }, crew),
    ];
    this.#frame(`${job.number} · Visit`,
      this.#statusChip(visit),
      this.#jobHeading(job),
      this.#jobFacts(job, when),
      this.#scope(job),
      this.#controls(visit),
      rescheduleSection(this, visit),
      reassignSection(this, visit),
      cancelSection(this, visit),
      this.#timeline(job),
      h("p", null, h("button", {
        type: "button", class: "link", onclick: () => this.openJob(job.id),
      }, `All visits of ${job.number}`)));
  }

  #renderJob(job) {
    const visits = [...job.visits].sort((a, b) => new Date(a.start) - new Date(b.start));
    this.#frame(`${job.number} · Job`,
      this.#jobHeading(job),
      this.#jobFacts(job),
      this.#scope(job),
      h("section", { class: "panel-section" },
        h("h3", null, "Visits"),
        visits.length
          ? h("ul", { class: "visit-list" }, visits.map((v) => h("li", null,
            h("span", { class: `status-chip small s-${v.status}` },
              h("span", { "aria-hidden": "true" }, DISPATCH[v.status]?.icon), " ", dispatchLabel(v.status)),
            ` ${formatDateTime(v.start, this.tz)} · `,
            v.technicians.map((t) => t.name).join(", ") || "unassigned",
            " ",
            h("button", {
              type: "button", class: "link", onclick: () => this.openVisit(v.id),
            }, "Open visit"))))
          : h("p", { class: "muted" }, "Not scheduled yet.")),
      this.#timeline(job));
  }

  // --- actions -------------------------------------------------------------------------------

  async run(form, query, input, done) {
    const error = form.querySelector(".form-error");
    const submit = form.querySelector("[type=submit]");
    error.textContent = "";
    if (submit) submit.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const payload = await mutate(query, { input }, "result");
      if (payload.visit) this.app.board.applyVisit(payload.visit);
      announce(done(payload.visit));
      await this.refresh();
      this.root.querySelector("#panel-status")?.setAttribute("tabindex", "-1");
      this.root.querySelector("#panel-status")?.focus();
    } catch (failure) {
      error.textContent = failure.message;
      if (failure.code === "VERSION_CONFLICT") {
        const message = failure.message;
        await this.refresh();
        const again = this.root.querySelector(".controls .form-error");
        if (again) {
          again.textContent = message;
          again.setAttribute("tabindex", "-1");
          again.focus();
        }
      }
    } finally {
      if (submit?.isConnected) submit.disabled = false;
      form.removeAttribute("aria-busy");
    }
  }

  #controls(visit) {
    const options = visit.availableTransitions.filter((o) => o.to !== "CANCELLED");
    const hint = h("p", { class: "hint", id: uid("hint"), "aria-live": "polite" });
    const detail = h("div", { class: "transition-detail" });
    const form = h("form", {
      class: "controls", "aria-labelledby": "status-heading",
      onsubmit: (e) => e.preventDefault(),
    });
    const press = (option, extra = {}) => this.run(form, Q.visitTransition(this.app.caps),
      { visitId: visit.id, to: option.to, expectedVersion: visit.version, ...extra },
      (v) => `${visit.job.number} is now ${dispatchLabel(v?.status ?? option.to)}.`);
    const buttons = options.map((option) => {
      const info = DISPATCH[option.to];
      const label = option.to === "WORKING" && visit.status === "PAUSED" ? "Resume work"
        : info?.action ?? option.to;
      return h("button", {
        type: "button",
        class: `transition s-${option.to}${option.allowed ? "" : " not-allowed"}`,
        dataset: { to: option.to },
        "aria-disabled": option.allowed ? null : "true",
        "aria-describedby": option.allowed ? null : hint.id,
        title: option.allowed ? null : option.reason,
        onclick: () => {
          if (!option.allowed) {
            hint.textContent = `${label}: ${option.reason ?? "not possible now."}`;
            return;
          }
          hint.textContent = "";
          if (option.requiresReason) this.#askReason(detail, option, press);
          else if (option.requiresOutcome) this.#askOutcome(detail, option, press);
          else press(option);
        },
        onfocus: () => {
          hint.textContent = option.allowed ? "" : `${label}: ${option.reason ?? "not possible now."}`;
        },
      }, h("span", { "aria-hidden": "true" }, info?.icon ?? ""), " ", label);
    });
    const allowed = options.filter((o) => o.allowed).length;
    append(form, [
      h("h3", { id: "status-heading" }, "Status"),
      h("div", { class: "transition-buttons", role: "group", "aria-label": "Move the visit to" }, buttons),
      allowed ? null : h("p", { class: "muted" }, "No status change is possible from here."),
      hint, detail, h("p", { class: "form-error", role: "alert" })]);
    return form;
  }

  #askReason(detail, option, press) {
    const id = uid("reason");
    const input = h("input", { id, name: "reason", required: true, autocomplete: "off" });
    clear(detail).append(
      h("label", { for: id }, "Why pause? (required)"), input,
      h("div", { class: "row" },
        h("button", {
          type: "button", class: "button-primary", dataset: { confirm: "PAUSED" },
          onclick: () => {
            if (!input.value.trim()) {
              input.setAttribute("aria-invalid", "true");
              detail.closest("form").querySelector(".form-error").textContent = "Say why the work is paused.";
              input.focus();
              return;
            }
            press(option, { reason: input.value.trim() });
          },
        }, "Pause"),
        h("button", { type: "button", class: "button-quiet", onclick: () => clear(detail) }, "Back")));
    input.focus();
  }

  #askOutcome(detail, option, press) {
    const name = uid("outcome");
    const choices = Object.entries(OUTCOMES).map(([value, label], i) => h("label", { class: "choice" },
      h("input", { type: "radio", name, value, checked: i === 0 }), ` ${label}`));
    clear(detail).append(
      h("fieldset", null, h("legend", null, "How was the visit left?"), choices),
      h("div", { class: "row" },
        h("button", {
          type: "button", class: "button-primary", dataset: { confirm: "DEPARTED" },
          onclick: () => press(option, {
            outcome: detail.querySelector(`input[name="${name}"]:checked`).value,
          }),
        }, "Depart"),
        h("button", { type: "button", class: "button-quiet", onclick: () => clear(detail) }, "Back")));
    detail.querySelector("input").focus();
  }
}
