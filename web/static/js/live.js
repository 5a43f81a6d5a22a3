// A small client for the graphql-transport-ws protocol: one socket for all subscriptions,
// connection_init with the bearer token, ping/pong to notice a dead link, reconnection with
// exponential backoff and jitter, and resubscription with fresh variables (callers pass a
// function, so a resumed subscription asks for events `after` the last cursor it received).

const PROTOCOL = "graphql-transport-ws";
// Close codes after which retrying cannot help: the token is not accepted.
const FATAL = new Set([4401, 4403]);

export class LiveClient {
  #url;
  #connectionParams;
  #onState;
  #onFatal;
  #options;
  #socket = null;
  #acked = false;
  #running = false;
  #attempt = 0;
  #subscriptions = new Map();
  #nextId = 1;
  #timers = { retry: null, ack: null, ping: null, pong: null };

  state = "idle";

  constructor({ url, connectionParams, onState = () => {}, onFatal = () => {}, ...options }) {
    this.#url = url;
    this.#connectionParams = connectionParams;
    this.#onState = onState;
    this.#onFatal = onFatal;
    this.#options = {
      ackTimeout: 10000, pingInterval: 12000, pongTimeout: 6000,
      minDelay: 300, maxDelay: 8000, ...options,
    };
    this.retryNow = this.retryNow.bind(this);
  }

  start() {
    if (this.#running) return;
    this.#running = true;
    window.addEventListener("online", this.retryNow);
    this.#open();
  }

  stop() {
    this.#running = false;
    window.removeEventListener("online", this.retryNow);
    this.#clearTimers();
    const socket = this.#socket;
    this.#socket = null;
    this.#acked = false;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000, "Normal Closure");
    this.#subscriptions.clear();
    this.#setState("idle");
  }

  /** When the browser says it is back online, do not wait for the backoff timer. */
  retryNow() {
    if (this.#running && this.#timers.retry) {
      clearTimeout(this.#timers.retry);
      this.#timers.retry = null;
      this.#open();
    }
  }

  /**
   * Start a subscription. `variables` is a function called at every (re)subscription, and
   * `onSubscribed(variables)` runs after each subscribe message is sent.
   * Returns a function that ends the subscription.
   */
  subscribe({ query, variables, onNext, onError = () => {}, onSubscribed = () => {} }) {
    const id = String(this.#nextId);
    this.#nextId += 1;
    const subscription = { id, query, variables, onNext, onError, onSubscribed };
    this.#subscriptions.set(id, subscription);
    if (this.#acked) this.#sendSubscribe(subscription);
    return () => {
      if (this.#subscriptions.delete(id) && this.#acked) this.#send({ id, type: "complete" });
    };
  }

  #setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.#onState(state);
  }

  #send(message) {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  #sendSubscribe(subscription) {
    const variables = subscription.variables();
    this.#send({
      id: subscription.id,
      type: "subscribe",
      payload: { query: subscription.query, variables },
    });
    subscription.onSubscribed(variables);
  }

  #clearTimers() {
    for (const key of Object.keys(this.#timers)) {
      clearTimeout(this.#timers[key]);
      this.#timers[key] = null;
    }
  }

  #open() {
    this.#timers.retry = null;
    this.#setState(this.state === "idle" ? "connecting" : "reconnecting");
    let socket;
    try {
      socket = new WebSocket(this.#url, PROTOCOL);
    } catch {
      this.#scheduleRetry();
      return;
    }
    this.#socket = socket;
    this.#acked = false;
    socket.onopen = () => {
      this.#send({ type: "connection_init", payload: this.#connectionParams() });
      this.#timers.ack = setTimeout(
        () => socket.close(4408, "Connection acknowledgement timeout"),
        this.#options.ackTimeout,
      );
    };
    socket.onmessage = (event) => {
      if (socket === this.#socket) this.#receive(event.data);
    };
    socket.onclose = (event) => {
      if (socket === this.#socket) this.#closed(event);
    };
  }

  #receive(raw) {
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      this.#socket.close(4400, "Invalid message");
      return;
    }
    const subscription = message.id ? this.#subscriptions.get(message.id) : null;
    switch (message.type) {
      case "connection_ack":
        clearTimeout(this.#timers.ack);
        this.#acked = true;
        this.#attempt = 0;
        this.#setState("live");
        for (const sub of this.#subscriptions.values()) this.#sendSubscribe(sub);
        this.#schedulePing();
        break;
      case "ping":
        this.#send({ type: "pong" });
        break;
      case "pong":
        clearTimeout(this.#timers.pong);
        this.#timers.pong = null;
        break;
      case "next":
        subscription?.onNext(message.payload);
        break;
      case "error":
        if (subscription) {
          this.#subscriptions.delete(message.id);
          subscription.onError(message.payload);
        }
        break;
      case "complete":
        // The server ended a subscription the page still wants: ask again shortly.
        if (subscription) {
          setTimeout(() => {
            if (this.#acked && this.#subscriptions.has(subscription.id)) this.#sendSubscribe(subscription);
          }, 1000);
        }
        break;
      default:
        break;
    }
  }

  #schedulePing() {
    clearTimeout(this.#timers.ping);
    this.#timers.ping = setTimeout(() => {
      if (!this.#acked) return;
      this.#send({ type: "ping" });
      const socket = this.#socket;
      this.#timers.pong = setTimeout(
        () => socket.close(4504, "No pong: connection presumed dead"),
        this.#options.pongTimeout,
      );
      this.#schedulePing();
    }, this.#options.pingInterval);
  }

  #closed(event) {
    this.#clearTimers();
    this.#socket = null;
    this.#acked = false;
    if (!this.#running) return;
    if (FATAL.has(event.code)) {
      this.#running = false;
      this.#setState("idle");
      this.#onFatal(event);
      return;
    }
    this.#scheduleRetry();
  }

  #scheduleRetry() {
    this.#setState("reconnecting");
    const { minDelay, maxDelay } = this.#options;
    const ceiling = Math.min(maxDelay, minDelay * 2 ** this.#attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.#attempt += 1;
    this.#timers.retry = setTimeout(() => this.#open(), delay);
  }
}
