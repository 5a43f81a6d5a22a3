// GraphQL over HTTP with the signed-in user's token; every failure becomes a sentence a
// dispatcher can act on.

const TOKEN_KEY = "opus.token";

export const session = {
  get token() {
    return localStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  },
  onExpired: () => {},
};

export class ApiError extends Error {
  constructor(message, { code = null, kind = "graphql", requestId = null } = {}) {
    super(message);
    this.code = code;
    this.kind = kind;
    this.requestId = requestId;
  }
}

const NETWORK = "The server can't be reached. Check the connection; the page keeps trying.";

function plainMessage(error, requestId) {
  const code = error.extensions?.code;
  if (code === "UNAUTHENTICATED") return "Your session has ended. Please sign in again.";
  if (code === "FORBIDDEN") return error.message || "You are not allowed to do that.";
  if (!error.message || error.message === "Unexpected error.") {
    const ref = requestId ? ` (reference ${requestId})` : "";
    return `Something went wrong on the server${ref}. Try again; if it keeps happening, tell your administrator.`;
  }
  return error.message;
}

export async function gql(query, variables = {}, { token = session.token, signal } = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST", headers, body: JSON.stringify({ query, variables }), signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(NETWORK, { kind: "network" });
  }
  const requestId = response.headers.get("x-request-id");
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(
      `The server answered with an error (HTTP ${response.status}). Try again in a moment.`,
      { kind: "http", requestId },
    );
  }
  if (body.errors?.length) {
    const first = body.errors[0];
    const code = first.extensions?.code ?? null;
    if (code === "UNAUTHENTICATED" && token) session.onExpired();
    throw new ApiError(plainMessage(first, requestId), { code, requestId });
  }
  return body.data;
}

/** A mutation payload's `errors`, as one sentence (null when there are none). */
export function payloadError(payload) {
  const errors = payload?.errors ?? [];
  if (!errors.length) return null;
  if (errors[0].code === "VERSION_CONFLICT") {
    // The server's words ask to reload; the page reloads by itself, so say what happened.
    return "Someone else changed this in the meantime. The latest is shown now; check it and try again.";
  }
  const lead = {
    OVERLAP: "That clashes with another booking. ",
    FORBIDDEN: "You are not allowed to do that. ",
  }[errors[0].code] ?? "";
  return lead + errors.map((e) => e.message).join(" ");
}

/** Run a mutation; returns its payload or throws ApiError with the payload's errors. */
export async function mutate(query, variables, field) {
  const data = await gql(query, variables);
  const payload = data[field];
  const message = payloadError(payload);
  if (message) throw new ApiError(message, { code: payload.errors[0].code, kind: "payload" });
  return payload;
}
