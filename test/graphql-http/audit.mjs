// Runs graphql-http's server audits against a GraphQL endpoint and prints
// one JSON array on stdout: [{id, name, status, reason?, httpStatus?, body?}],
// status "ok", or "notice", "warn", "error" for a MAY, SHOULD or MUST that
// failed. The Go test TestGraphQLHTTPAudit (cmd/byline) judges the results.
//
//   node audit.mjs [--parallel] <url>
//
// The audits run one at a time: several of them send the same body with
// different Accept headers, and a server that merges identical concurrent
// requests (Byline's response cache does) would answer them alike.
// --parallel runs them all at once, as graphql-http's auditServer does.
import { serverAudits } from 'graphql-http';

const args = process.argv.slice(2);
const parallel = args.includes('--parallel');
const url = args.find((a) => !a.startsWith('--'));
if (!url) {
  console.error('usage: node audit.mjs [--parallel] <url of the GraphQL endpoint>');
  process.exit(2);
}

const audits = serverAudits({ url });
let results;
if (parallel) {
  results = await Promise.all(audits.map(({ fn }) => fn()));
} else {
  results = [];
  for (const { fn } of audits) {
    results.push(await fn());
  }
}

const out = [];
for (const r of results) {
  const row = { id: r.id, name: r.name, status: r.status };
  if (r.status !== 'ok') {
    row.reason = r.reason;
    row.httpStatus = r.response.status;
    try {
      row.body = await r.response.text();
    } catch {
      // the audit has read the body already
    }
  }
  out.push(row);
}
process.stdout.write(JSON.stringify(out) + '\n');
