// Audits a GraphQL endpoint against the GraphQL over HTTP spec with graphql-http's suite.
// Usage: node audit.mjs URL
// Prints {ok, warn, error, notice, results: [{id, name, status, reason}]} as JSON; exits 0
// whenever the audit ran (the caller judges the figures), 2 on bad usage or a fatal failure.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

try {
  const audits = await auditServer({ url });
  const results = audits.map((result) => ({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === 'ok' ? null : result.reason,
  }));
  const count = (status) => results.filter((r) => r.status === status).length;
  const summary = {
    ok: count('ok'),
    warn: count('warn'),
    error: count('error'),
    notice: count('notice'),
    results,
  };
  console.log(JSON.stringify(summary, null, 2));
} catch (error) {
  console.error(error);
  process.exit(2);
}
