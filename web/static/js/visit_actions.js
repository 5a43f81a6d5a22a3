// The visit panel's office actions: reschedule, reassign and cancel. Each section is a form
// that runs its mutation through the panel (errors in plain words, the board updated, the
// panel refreshed).

import { h, uid } from "./dom.js";
import * as Q from "./queries.js";
import { localDate, localTime, zonedInstant } from "./time.js";

function field(label, attrs) {
  const id = uid("f");
  return [h("label", { for: id }, label), h("input", { id, ...attrs })];
}

function section(title, ...body) {
  return h("details", { class: "panel-section action" }, h("summary", null, title), body);
}

export function rescheduleSection(panel, visit) {
  if (visit.status !== "SCHEDULED") {
    return section("Reschedule", h("p", { class: "muted" }, "Only a visit that has not started can be moved."));
  }
  const tz = panel.tz;
  const time = (value) => (value ? localTime(value, tz) : "");
  const form = h("form", { class: "stack" },
    h("p", { class: "muted" }, `Times are ${tz} time.`),
    h("div", { class: "grid-2" },
      field("Day", { type: "date", name: "day", value: localDate(visit.start, tz), required: true }),
      h("span"),
      field("Start", { type: "time", name: "start", value: time(visit.start), required: true }),
      field("End", { type: "time", name: "end", value: time(visit.end), required: true }),
      field("Window from", { type: "time", name: "windowStart", value: time(visit.arrivalWindowStart) }),
      field("Window to", { type: "time", name: "windowEnd", value: time(visit.arrivalWindowEnd) })),
    h("label", { class: "choice" }, h("input", { type: "checkbox", name: "allowOverlap" }),
      " Book even if a technician is busy then"),
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "button-primary" }, "Save new time"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = form.elements;
    const at = (hhmm) => (hhmm ? zonedInstant(f.day.value, hhmm, tz).toISOString() : null);
    panel.run(form, Q.visitReschedule(panel.app.caps), {
      visitId: visit.id, expectedVersion: visit.version,
      start: at(f.start.value), end: at(f.end.value),
      arrivalWindowStart: at(f.windowStart.value), arrivalWindowEnd: at(f.windowEnd.value),
      allowOverlap: f.allowOverlap.checked,
    }, () => `${visit.job.number} rescheduled.`);
  });
  return section("Reschedule", form);
}

export function reassignSection(panel, visit) {
  const crew = new Set(visit.technicians.map((t) => t.id));
  const form = h("form", { class: "stack" },
    h("fieldset", null, h("legend", null, "Technicians"),
      h("div", { class: "checks" }, panel.app.technicians.map((t) => h("label", { class: "choice" },
        h("input", { type: "checkbox", name: "technician", value: t.id, checked: crew.has(t.id) }),
        " ", t.name)))),
    h("label", { class: "choice" }, h("input", { type: "checkbox", name: "allowOverlap" }),
      " Assign even if a technician is busy then"),
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "button-primary" }, "Save crew"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const ids = [...form.querySelectorAll("input[name=technician]:checked")].map((i) => i.value);
    panel.run(form, Q.visitAssign(panel.app.caps), {
      visitId: visit.id, technicianIds: ids, expectedVersion: visit.version,
      allowOverlap: form.elements.allowOverlap.checked,
    }, () => `${visit.job.number} crew updated.`);
  });
  return section("Reassign", form);
}

export function cancelSection(panel, visit) {
  const option = visit.availableTransitions.find((o) => o.to === "CANCELLED");
  if (!option?.allowed) {
    return section("Cancel visit",
      h("p", { class: "muted" }, option?.reason ?? "This visit cannot be cancelled."));
  }
  const form = h("form", { class: "stack" },
    field("Reason (shown in the timeline)", { name: "reason", autocomplete: "off" }),
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "button-danger" }, "Cancel this visit"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    panel.run(form, Q.visitCancel(panel.app.caps), {
      visitId: visit.id, expectedVersion: visit.version,
      reason: form.elements.reason.value.trim() || null,
    }, () => `${visit.job.number} visit cancelled.`);
  });
  return section("Cancel visit", form);
}
