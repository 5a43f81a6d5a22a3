// The dispatch page: sign in and out, the three views (board, jobs list, dashboard) chosen by
// the URL, the quick-info panel, and one live subscription feeding all of them.

import { gql, payloadError, session } from "./api.js";
import { BoardView } from "./board.js";
import { NONE, detectCapabilities } from "./capabilities.js";
import { DashboardView } from "./dashboard.js";
import { announce, clear } from "./dom.js";
import { ListView } from "./list.js";
import { LiveClient } from "./live.js";
import { Panel } from "./panel.js";
import * as Q from "./queries.js";
import { isDay, todayIn } from "./time.js";

const VIEWS = ["board", "list", "dashboard"];
const BOARD_REFRESH_MS = 60000; // lateness moves with the clock, not only with events
const CATCH_UP_MS = 1000;
const $ = (id) => document.getElementById(id);

const app = {
  viewer: null,
  timezone: "UTC",
  caps: NONE,
  technicians: [],
  date: null,
  view: null,
  lastCursor: null,
  live: null,
  unsubscribe: null,
  refreshTimer: null,
  board: null,
  list: null,
  dashboard: null,
  panel: null,
  signingOut: false,

  gql: (query, variables) => gql(query, variables),

  setParams(params, { push = false } = {}) {
    const url = `${location.pathname}?${params}`;
    if (push) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
  },

  navigate(params) {
    this.setParams(params, { push: true });
    route();
  },

  showDate(date) {
    const params = new URLSearchParams(location.search);
    params.set("date", date);
    if (!params.get("view")) params.set("view", "board");
    this.navigate(params);
  },

  openVisit(id, opener) {
    return this.panel.openVisit(id, opener);
  },

  openJob(id, opener) {
    return this.panel.openJob(id, opener);
  },
};

// --- live updates --------------------------------------------------------------------------

const LIVE_TEXT = {
  idle: "Offline", connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…",
};

function showLiveState(state) {
  const status = $("live-status");
  status.textContent = LIVE_TEXT[state] ?? state;
  status.dataset.state = state;
  $("reconnect-banner").hidden = state !== "reconnecting";
  if (state === "live" && app.wasReconnecting) announce("Live updates are back.");
  app.wasReconnecting = state === "reconnecting";
}

function onLiveEvent(result) {
  const event = result?.data?.dispatchEvents;
  if (!event) return;
  app.lastCursor = event.cursor;
  const sentence = app.board.applyEvent(event);
  if (sentence) announce(sentence);
  if (app.view === "list") app.list.onEvent(event);
  if (app.view === "dashboard") app.dashboard.onEvent(event);
  app.panel.onEvent(event);
}

// A subscription without a cursor starts wherever the server's event stream is when it gets
// to it, which the page cannot observe: events committed between the board query and that
// moment would be lost. So the board is fetched once more after such a start (versions decide
// which copy of a visit wins). A subscription resumed with a cursor needs nothing of the sort.
function catchUp(variables) {
  const board = app.board;
  if (variables.after) {
    board.root.dataset.synced = "true";
    return;
  }
  board.root.dataset.synced = "false";
  clearTimeout(app.catchUpTimer);
  app.catchUpTimer = setTimeout(async () => {
    if (variables.date !== app.date) return;
    await board.load(variables.date);
    board.root.dataset.synced = "true";
  }, CATCH_UP_MS);
}

function subscribe() {
  app.unsubscribe?.();
  app.unsubscribe = app.live.subscribe({
    query: Q.dispatchEvents(app.caps),
    variables: () => ({ date: app.date, after: app.lastCursor }),
    onSubscribed: catchUp,
    onNext: onLiveEvent,
    onError: () => {
      // A refused subscription (e.g. a cursor the server no longer knows): start afresh.
      app.lastCursor = null;
      setTimeout(() => {
        if (!app.live) return;
        subscribe();
        app.board.load(app.date);
      }, 1000);
    },
  });
}

// --- views ---------------------------------------------------------------------------------

function route() {
  const params = new URLSearchParams(location.search);
  const view = VIEWS.includes(params.get("view")) ? params.get("view") : "board";
  const date = isDay(params.get("date")) ? params.get("date") : todayIn(app.timezone);
  const dateChanged = date !== app.date;
  app.date = date;
  app.view = view;
  for (const name of VIEWS) $(`${name}-view`).hidden = name !== view;
  for (const link of document.querySelectorAll("[data-view]")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
    const target = new URLSearchParams({ view: link.dataset.view });
    if (date !== todayIn(app.timezone)) target.set("date", date);
    link.href = `?${target}`;
  }
  document.title = `${{ board: "Board", list: "Jobs", dashboard: "Dashboard" }[view]} · Opus Dispatch`;
  if (dateChanged) {
    subscribe();
    app.board.load(date);
  }
  if (view === "list") app.list.show(params);
  if (view === "dashboard") app.dashboard.load();
}

function onNavClick(event) {
  const link = event.target.closest("a[data-view]");
  if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  app.navigate(new URLSearchParams(link.getAttribute("href").slice(1)));
}

// --- signing in and out --------------------------------------------------------------------

function showSignIn(message = "") {
  $("topbar").hidden = true;
  for (const name of VIEWS) $(`${name}-view`).hidden = true;
  $("signin-view").hidden = false;
  $("signin-message").textContent = message;
  $("signin-email").focus();
}

async function start(viewer) {
  app.viewer = viewer;
  app.timezone = viewer.company.timezone || "UTC";
  $("company-name").textContent = viewer.company.name;
  $("user-name").textContent = viewer.user.name;
  $("signin-view").hidden = true;
  $("topbar").hidden = false;
  app.caps = await detectCapabilities(gql);
  try {
    app.technicians = (await gql(Q.TECHNICIANS)).technicians.nodes;
  } catch {
    app.technicians = [];
  }
  app.board = new BoardView($("board-view"), app);
  app.list = new ListView($("list-view"), app);
  app.dashboard = new DashboardView($("dashboard-view"), app);
  app.panel = new Panel($("panel"), app);
  app.date = null;
  app.lastCursor = null;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  app.live = new LiveClient({
    url: `${scheme}://${location.host}/graphql`,
    connectionParams: () => ({ authorization: `Bearer ${session.token}` }),
    onState: showLiveState,
    onFatal: () => signOut({ message: "Your session has ended. Please sign in again.", remote: false }),
  });
  app.live.start();
  route();
  app.refreshTimer = setInterval(() => {
    if (document.visibilityState === "visible" && app.view === "board") app.board.load(app.date);
  }, BOARD_REFRESH_MS);
}

async function signOut({ message = "", remote = true } = {}) {
  if (app.signingOut) return;
  app.signingOut = true;
  try {
    if (remote && session.token) {
      try {
        await gql(Q.LOGOUT);
      } catch {
        // Signing out locally is what matters; the token expires on its own.
      }
    }
    session.token = null;
    app.live?.stop();
    app.live = null;
    app.unsubscribe = null;
    clearInterval(app.refreshTimer);
    clearTimeout(app.catchUpTimer);
    app.panel?.close();
    for (const name of VIEWS) clear($(`${name}-view`));
    showLiveState("idle");
    showSignIn(message);
  } finally {
    app.signingOut = false;
  }
}

async function onSignIn(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const email = form.elements.email.value.trim();
  const password = form.elements.password.value;
  const message = $("signin-message");
  message.textContent = "";
  if (!email || !password) {
    message.textContent = "Enter your email and password.";
    return;
  }
  const button = form.querySelector("[type=submit]");
  button.disabled = true;
  try {
    const { login } = await gql(Q.LOGIN, { input: { email, password } }, { token: null });
    const problem = payloadError(login);
    if (problem) {
      message.textContent = problem;
      form.elements.password.select();
      return;
    }
    session.token = login.token;
    form.reset();
    const { viewer } = await gql(Q.VIEWER);
    await start(viewer);
    $("main").focus();
  } catch (error) {
    message.textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

async function boot() {
  session.onExpired = () => signOut({ message: "Your session has ended. Please sign in again.", remote: false });
  $("signin-form").addEventListener("submit", onSignIn);
  $("sign-out").addEventListener("click", () => signOut());
  document.querySelector("nav.views").addEventListener("click", onNavClick);
  window.addEventListener("popstate", () => app.live && route());
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("panel").hidden) app.panel.close();
  });
  if (!session.token) {
    showSignIn();
    return;
  }
  try {
    const { viewer } = await gql(Q.VIEWER);
    await start(viewer);
  } catch (error) {
    if (!session.token) return; // expired: signOut already showed the form
    showSignIn(error.message);
  }
}

boot();
