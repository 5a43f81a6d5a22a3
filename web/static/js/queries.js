// The GraphQL documents of the page. Job selections take the readiness fields the server has
// (see capabilities.js), so one page works before and after the materials area exists.

export function jobFragment(caps) {
  return `
fragment BoardJob on Job {
  id number title priority status tags version
  customer { name }
  location { address }
  ${caps.jobReadiness}
}`;
}

export function fragments(caps) {
  return `${jobFragment(caps)}
fragment BoardVisit on Visit {
  id version status statusReason statusChangedAt start end
  arrivalWindowStart arrivalWindowEnd eta isLate lateByMinutes
  technicians { id name color }
  job { ...BoardJob }
}`;
}

export const VIEWER = `query Viewer {
  viewer { role user { id name email } company { id name timezone } }
}`;

export const LOGIN = `mutation Login($input: LoginInput!) {
  login(input: $input) {
    token
    errors { code message field }
  }
}`;

export const LOGOUT = `mutation Logout { logout { ok errors { code message } } }`;

export const TECHNICIANS = `query Technicians {
  technicians(first: 100, active: true) { nodes { id name color } }
}`;

export const board = (caps) => `query Board($date: Date!) {
  dispatchBoard(date: $date) {
    date
    lanes { technician { id name color } visits { ...BoardVisit } }
    unassigned { ...BoardVisit }
  }
}
${fragments(caps)}`;

export const dispatchEvents = (caps) => `subscription Live($date: Date!, $after: String) {
  dispatchEvents(date: $date, after: $after) {
    cursor type at actor
    event { id type payload }
    visit { ...BoardVisit }
    job { ...BoardJob }
  }
}
${fragments(caps)}`;

const JOB_DETAIL = (caps) => `
fragment JobDetail on Job {
  ...BoardJob
  scope holdReason cancelReason estimatedDurationMinutes
  customer { name phone email }
  contact { name phone email role }
  location { address accessNotes }
  assets { name make model }
  timeline(first: 6, newestFirst: true) { totalCount nodes { id type at actorName payload } }
}
${fragments(caps)}`;

export const visitInfo = (caps) => `query VisitInfo($id: ID!) {
  node(id: $id) {
    ... on Visit {
      ...BoardVisit
      availableTransitions { to allowed reason requiresReason requiresOutcome }
      job { ...JobDetail }
    }
  }
}
${JOB_DETAIL(caps)}`;

export const jobInfo = (caps) => `query JobInfo($id: ID!) {
  node(id: $id) {
    ... on Job { ...JobDetail visits { ...BoardVisit } }
  }
}
${JOB_DETAIL(caps)}`;

const VISIT_PAYLOAD = (caps, name, input) => `mutation ${name}($input: ${input}!) {
  result: ${name.charAt(0).toLowerCase()}${name.slice(1)}(input: $input) {
    visit { ...BoardVisit }
    errors { code message field }
  }
}
${fragments(caps)}`;

export const visitTransition = (caps) => VISIT_PAYLOAD(caps, "VisitTransition", "VisitTransitionInput");
export const visitReschedule = (caps) => VISIT_PAYLOAD(caps, "VisitReschedule", "VisitRescheduleInput");
export const visitAssign = (caps) => VISIT_PAYLOAD(caps, "VisitAssign", "VisitAssignInput");
export const visitCancel = (caps) => VISIT_PAYLOAD(caps, "VisitCancel", "VisitCancelInput");

export const jobs = (caps) => `query Jobs(
  $first: Int, $after: String, $last: Int, $before: String,
  $filter: JobFilter, $orderBy: JobOrderBy!
) {
  jobs(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes {
      ...BoardJob
      visits { id status start end technicians { id name color } }
    }
  }
}
${jobFragment(caps)}`;

const JOB_STATUSES = [
  "UNSCHEDULED", "SCHEDULED", "IN_PROGRESS", "ON_HOLD", "COMPLETED", "INVOICED", "CANCELLED",
];

export function dashboard(caps) {
  const counts = JOB_STATUSES.map(
    (s) => `  ${s.toLowerCase()}: jobs(first: 1, filter: { status: [${s}] }) { totalCount }`,
  ).join("\n");
  const blockedValues = caps.readinessValues.filter((v) => v === "SHORT" || v === "AT_RISK");
  const blocked = caps.readinessFilter && blockedValues.length
    ? `  blocked: jobs(first: 1, filter: { readiness: [${blockedValues.join(", ")}] }) { totalCount }`
    : "";
  return `query Dashboard($date: Date!) {
${counts}
${blocked}
  dispatchBoard(date: $date) {
    lanes { technician { id name color } visits { ...BoardVisit } }
    unassigned { ...BoardVisit }
  }
}
${fragments(caps)}`;
}

export { JOB_STATUSES };
