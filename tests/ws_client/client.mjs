// Subscribes with the reference `graphql-ws` client and prints one JSON line per message:
//   {"connected": true}                  once the server acknowledged connection_init
//   {"next": {...execution result...}}   for every event
//   {"error": "..."}                     on a GraphQL or socket error (exit code 1)
// Usage: node client.mjs URL TOKEN QUERY [VARIABLES_JSON] [COUNT]
// With COUNT, exits 0 after that many events; otherwise runs until the server completes.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, token, query, variablesJson = "{}", countArg] = process.argv.slice(2);
if (!url || !token || !query) {
  console.error("usage: node client.mjs URL TOKEN QUERY [VARIABLES_JSON] [COUNT]");
  process.exit(2);
}
const wanted = countArg === undefined ? Infinity : Number(countArg);
const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const describe = (error) =>
  error instanceof Error
    ? error.message
    : error && typeof error === "object" && "code" in error
      ? `closed ${error.code} ${error.reason ?? ""}`.trim()
      : JSON.stringify(error);

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  retryAttempts: 0,
  lazy: false,
  on: { connected: () => print({ connected: true }) },
  onNonLazyError: (error) => {
    print({ error: describe(error) });
    process.exit(1);
  },
});

let received = 0;
const finish = async (code) => {
  await client.dispose();
  process.exit(code);
};

client.subscribe(
  { query, variables: JSON.parse(variablesJson) },
  {
    next: (result) => {
      print({ next: result });
      received += 1;
      if (received >= wanted) void finish(0);
    },
    error: (error) => {
      print({ error: describe(error) });
      void finish(1);
    },
    complete: () => void finish(0),
  },
);
