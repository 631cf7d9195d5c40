#!/usr/bin/env node
// `npm run model`: what each kind of Durable Object sees at a given scale, from the RPC
// counts per operation (docs/architecture.md, "Hops and parses per stanza", and the code
// cited at each operation below) and, with --results=FILE (`npm run bench -- --json`),
// the CPU each operation cost in that run. Prints, per kind of object, the request rate
// over all instances, its busiest instance and that instance's share of the platform's
// per-object limit (PLATFORM.md §3: about 1,000 requests/s), then the sharding that keeps
// every object under half that limit. See docs/scale.md.
//
//   npm run model                              the default load (docs/scale.md)
//   npm run model -- --results=run.json        also the CPU estimate from a bench run
//   npm run model -- --presence-grant=own      a component with XEP-0356 presence access
//   npm run model -- --KEY=VALUE               any parameter below, e.g. --roster=100
//   npm run model -- --json                    the figures as JSON
import { readFileSync } from "node:fs";

const argv = process.argv.slice(2);
const option = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/** The load, and the assumptions the brief leaves open (each one a flag). */
const P = {
  accounts: 1_000_000,
  online: 100_000,
  stanzas: 10_000, // per second, sent by clients
  chat: 0.8,
  presence: 0.15,
  iq: 0.05,
  delegated: 0.5, // share of the IQs
  logins: 1000, // per second; as many logouts (steady state)
  components: 20,
  hosts: 1,
  limit: 1000, // requests/s per object (soft)
  headroom: 0.5, // shard so that no object passes this share of the limit
  // Assumptions:
  roster: 50, // contacts per account, subscription both
  resources: 1, // connections per online account
  "chat-bare": 0.5, // share of chat to a bare JID (first message of a conversation); the rest to a full JID
  "chat-plain": 0.5, // of the chat to a full JID: what neither account acts on (chat states, receipts, markers, no-store), on the direct route
  "iq-server": 1 / 3, // of the non-delegated IQs: answered by the connection (ping, disco of the server)
  "iq-account": 1 / 3, // ... by the user's own account (roster, vCard, private storage)
  "iq-component": 1 / 3, // ... sent to a component (MUC, upload): each component's mailbox
  "delegating-components": 1, // components the delegated namespaces go to (1: one takes all)
  "busiest-component": 0.25, // the busiest component's share of the direct component IQs
  followers: 10_000, // the most popular account is in this many rosters
  "auth-failures": 0.02, // failed logins per login
  "nat-share": 0.01, // share of the logins from the busiest address (a carrier-grade NAT)
  "presence-grant": "none", // none | own | roster: one component with XEP-0356 presence access on the host
  "routes-known": 0.75, // share of a broadcast's contacts whose routes the isolate knows (learned in the last 5 min, src/im/presence-straight.ts)
};
for (const key of Object.keys(P)) {
  const v = option(key);
  if (v !== undefined) P[key] = typeof P[key] === "number" ? Number(v) : v;
}

const chat = P.stanzas * P.chat;
const presence = P.stanzas * P.presence;
const iq = P.stanzas * P.iq;
const delegated = iq * P.delegated;
const otherIq = iq - delegated;
const pOnline = P.online / P.accounts;
const onlineContacts = P.roster * pOnline; // of an account's contacts, online now
const perOnlineBroadcasts = presence / P.online; // presence updates per online account per s
const loginsPerAccount = P.logins / P.accounts;

// ---- Operations: for each, the events each kind of object receives (RPCs in, and the
// frames that arrive on a socket, which the object handles like a request). -------------
// `S` client connections (SessionObject), `C` a component's connection (a SessionObject
// too), `A` AccountObject, `M` ComponentRouter (mailbox), `H` HostObject, `T` ThrottleObject.
const grantCopies = P["presence-grant"] === "own" ? 1 : P["presence-grant"] === "roster" ? 1 + onlineContacts * P.resources : 0;
// The contacts' accounts a broadcast reaches: every contact with a "roster" grant (the copies
// are made there); otherwise those whose routes are not known, twice (the presence and the
// routes asked for).
const viaAccount = P["presence-grant"] === "roster" ? 1 : 2 * (1 - P["routes-known"]);
const broadcastAccounts = P.roster * viaAccount;
const ops = [
  {
    name: "chat to a full JID, archived", rate: chat * (1 - P["chat-bare"]) * (1 - P["chat-plain"]),
    // src/im/outgoing.ts: the recipient's account (archive, blocklist, carbons) then its
    // connection; the sender's account afterwards (its archive, sent carbons).
    events: { S: 2, A: 2 }, bench: ["pairs", 2],
  },
  {
    name: "chat to a full JID, neither account acts", rate: chat * (1 - P["chat-bare"]) * P["chat-plain"],
    // src/im/outgoing.ts pastAccount(): the sender's connection straight to the recipient's,
    // which checks its account's blocklist and carbons in memory (src/im/sender-view.ts).
    events: { S: 2 }, bench: ["pairs", 2],
  },
  {
    name: "chat to a bare JID", rate: chat * P["chat-bare"],
    // src/routing/feature.ts toOwner(): frame → account.receive → each resource's connection;
    // the sender's account afterwards (src/im/outgoing.ts).
    events: { S: 1 + P.resources, A: 2 }, bench: ["pairs", 3],
  },
  {
    name: "presence broadcast", rate: presence,
    // src/im/account.ts broadcast(): own account, then for a contact whose routes are known
    // (src/im/presence-straight.ts) each online resource's connection directly (an offline
    // contact costs nothing); otherwise the contact's account, its online connections, and
    // the routes asked for once. With a "roster" grant every contact passes its account
    // (the copies are made there); XEP-0356 copies (account-hooks.ts).
    events: { S: 1 + onlineContacts * P.resources, A: 1 + broadcastAccounts, M: grantCopies, C: grantCopies },
    bench: ["fanout", 1],
  },
  {
    name: "delegated IQ round trip", rate: delegated,
    // src/delegation/forward.ts → the component's connection (connection-delegations.ts)
    // once its route is known: it keeps the request, validates the answer and hands it
    // straight to the sender's connection (src/routing/direct.ts). The mailbox is not on it.
    events: { S: 2, C: 2 }, bench: ["delegated", 2],
  },
  {
    name: "IQ to a component", rate: otherIq * P["iq-component"],
    // src/routing/feature.ts toComponentDirect(): straight to the component's connection once
    // the route is known (its mailbox only for presences, and the first stanza of an isolate);
    // the answer straight back to the sender's connection (src/routing/direct.ts).
    events: { S: 2, C: 2 }, bench: ["direct", 2],
  },
  {
    name: "IQ to the user's account", rate: otherIq * P["iq-account"],
    events: { S: 1, A: 1 }, bench: ["iq", 1],
  },
  {
    name: "IQ answered by the connection", rate: otherIq * P["iq-server"],
    events: { S: 1 }, bench: ["iq", 1],
  },
  {
    name: "login", rate: P.logins,
    // Upgrade + ~6 frames (open, auth, response, open, bind, presence) on the new connection;
    // src/stream/sasl-exchange.ts: credentials, throttle clear; bind; initial presence:
    // broadcast + probe to every contact's account, the online ones' connections get the
    // presence and the new connection their answers (src/im/account.ts); the host directory
    // when some entity has presence access (account-hooks.ts online()).
    events: {
      S: 7 + 2 * onlineContacts * P.resources, A: 3 + P.roster + broadcastAccounts, T: 1 + 2 * P["auth-failures"],
      H: P["presence-grant"] === "none" ? 0 : 1, M: grantCopies, C: grantCopies,
    },
    bench: ["login", null],
  },
  {
    name: "logout", rate: P.logins,
    // unbind, unavailable broadcast, the host directory (last resource gone).
    events: { S: 1 + onlineContacts * P.resources, A: 1 + broadcastAccounts, H: P["presence-grant"] === "none" ? 0 : 1, M: grantCopies, C: grantCopies },
    bench: ["login", null],
  },
];

// ---- Instances and the busiest one of each kind -----------------------------------------
// Share of each operation's events that lands on the busiest instance of the kind.
const compShare = (op) =>
  op.name.startsWith("delegated") ? 1 / P["delegating-components"] : op.name === "IQ to a component" ? P["busiest-component"] : 1; // grant copies: the one entity
/** Events reaching the most popular account: its followers' broadcasts, logins (presence + probe) and logouts. */
const followerEvents = (op) =>
  op.name === "presence broadcast" ? P.followers * pOnline * perOnlineBroadcasts * viaAccount
    : op.name === "login" ? P.followers * loginsPerAccount * (1 + viaAccount) // the probe, and the presence
      : op.name === "logout" ? P.followers * loginsPerAccount * viaAccount
        : 0;
const kinds = [
  { key: "S", name: "SessionObject (client connection)", instances: P.online * P.resources, per: "connection",
    busiest: "a connection of the most popular account",
    busiestRate: (op) => (op.name === "presence broadcast" ? P.followers * pOnline * perOnlineBroadcasts : op.name === "login" ? P.followers * loginsPerAccount : op.name === "logout" ? P.followers * loginsPerAccount : op.rate * (op.events.S ?? 0) / (P.online * P.resources)) },
  { key: "C", name: "SessionObject (component connection)", instances: P.components, per: "component",
    busiest: "the connection of the component taking the delegations", busiestRate: (op) => op.rate * (op.events.C ?? 0) * compShare(op),
    how: "delegated namespaces split over several components (--delegating-components=N), or several connections per component" },
  { key: "A", name: "AccountObject", instances: P.accounts, per: "bare JID",
    busiest: `the most popular account (in ${P.followers} rosters)`, busiestRate: followerEvents,
    how: "not shardable (one object per account by design); an account in that many rosters is a service: a component, or its presence cached" },
  { key: "M", name: "ComponentRouter (mailbox)", instances: P.components, per: "component JID",
    busiest: "the mailbox of the component taking the delegations", busiestRate: (op) => op.rate * (op.events.M ?? 0) * compShare(op),
    how: "mailbox shards by a hash of the sender's bare JID; the forwarded id names its shard, so the answer comes back to the request it answers" },
  { key: "H", name: "HostObject", instances: P.hosts, per: "host",
    busiest: "the host's directory", busiestRate: (op) => op.rate * (op.events.H ?? 0) / P.hosts,
    how: "directory shards by a hash of the bare JID; onlineAccounts() asks every shard" },
  { key: "T", name: "ThrottleObject", instances: P.accounts, per: "address/account key",
    busiest: "the key of the busiest address (its failed logins)", busiestRate: (op) => (op.name === "login" ? op.rate * P["nat-share"] * P["auth-failures"] : 0) },
];

// ---- Measured costs (optional) -----------------------------------------------------------
/** µs of server CPU per event for each operation, from a bench run's JSON. */
function measuredCosts(file) {
  const r = JSON.parse(readFileSync(file, "utf8"));
  const s = r.scenarios ?? {};
  const fanoutRuns = s.fanout?.gateway?.runs ?? [];
  const mid = fanoutRuns[Math.min(1, fanoutRuns.length - 1)];
  const login = s.connect?.gateway?.runs?.at(-1);
  return {
    tree: r.machine?.gatewayTree,
    load: r.machine?.loadAverage,
    perOp: {
      pairs: s.pairs?.gateway?.cpuUsPerOp,
      fanout: mid?.cpuUsPerDelivery,
      delegated: s.delegated?.gateway?.delegated?.cpuUsPerOp,
      direct: s.delegated?.gateway?.direct?.cpuUsPerOp,
      iq: s.iq?.gateway?.cpuUsPerOp,
      login: login ? login.cpuMsPerLogin * 1000 : undefined,
    },
  };
}
const costs = option("results") ? measuredCosts(option("results")) : null;
/** µs per event of `op` (its measured CPU spread evenly over its events), or null. */
function usPerEvent(op) {
  if (!costs) return null;
  const [scenario, events] = op.bench;
  const us = costs.perOp[scenario];
  if (us === undefined || us === null) return null;
  const total = Object.values(op.events).reduce((a, b) => a + b, 0);
  return us / (events ?? total);
}

// ---- The table ---------------------------------------------------------------------------
const rows = kinds.map((k) => {
  const how = k.how ?? "";
  let total = 0, busiest = 0, cpu = 0, cpuKnown = true;
  for (const op of ops) {
    total += op.rate * (op.events[k.key] ?? 0);
    const b = k.busiestRate(op);
    busiest += b;
    if (b > 0) {
      const us = usPerEvent(op);
      if (us === null) cpuKnown = false;
      else cpu += (b * us) / 1e6;
    }
  }
  const share = busiest / P.limit;
  const shards = busiest > P.limit * P.headroom ? Math.ceil(busiest / (P.limit * P.headroom)) : 1;
  return { how, kind: k.name, per: k.per, instances: k.instances, totalPerSec: Math.round(total), busiest: k.busiest, busiestPerSec: Math.round(busiest * 10) / 10,
    ofLimit: Math.round(share * 100), cpuCores: costs ? (cpuKnown ? Math.round(cpu * 100) / 100 : null) : undefined, shards };
});

const fmt = (n) => (n >= 10_000 ? `${Math.round(n / 1000)}k` : n >= 100 ? String(Math.round(n)) : String(n));
if (argv.includes("--json")) {
  process.stdout.write(JSON.stringify({ params: P, ops: ops.map((o) => ({ name: o.name, perSec: o.rate, events: o.events })), rows, costs }, null, 2) + "\n");
  process.exit(0);
}
const out = [];
out.push(`Load: ${P.accounts} accounts, ${P.online} online, ${P.stanzas} stanzas/s (chat ${P.chat * 100}%, presence ${P.presence * 100}%, IQ ${P.iq * 100}% of which ${P.delegated * 100}% delegated), ${P.logins} logins/s and as many logouts, ${P.components} components, ${P.hosts} host(s); roster ${P.roster}, XEP-0356 presence grant: ${P["presence-grant"]}.`);
out.push("");
out.push("Events per operation (RPCs in + socket frames in):");
out.push("");
out.push("| operation | per s | client conn. | component conn. | account | mailbox | host | throttle |");
out.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
const ev = (op, k) => (op.events[k] ? String(Math.round(op.events[k] * 100) / 100) : "");
for (const op of ops) out.push(`| ${op.name} | ${fmt(Math.round(op.rate))} | ${ev(op, "S")} | ${ev(op, "C")} | ${ev(op, "A")} | ${ev(op, "M")} | ${ev(op, "H")} | ${ev(op, "T")} |`);
out.push("");
if (costs) out.push(`CPU per event from ${option("results")} (gateway ${costs.tree ?? "?"}, load ${costs.load?.join(", ") ?? "?"}): ${Object.entries(costs.perOp).map(([k, v]) => `${k} ${v === undefined ? "not measured" : `${Math.round(v)} µs/op`}`).join(", ")}.`, "");
out.push(`| object | one per | instances | requests/s, all | busiest instance | its requests/s | of the ${P.limit}/s limit |${costs ? " its CPU (cores) |" : ""} shards for ≤ ${P.headroom * 100}% |`);
out.push(`| --- | --- | ---: | ---: | --- | ---: | ---: |${costs ? " ---: |" : ""} ---: |`);
for (const r of rows) {
  out.push(`| ${r.kind} | ${r.per} | ${fmt(r.instances)} | ${fmt(r.totalPerSec)} | ${r.busiest} | ${r.busiestPerSec} | ${r.ofLimit}% |${costs ? ` ${r.cpuCores ?? "not measured"} |` : ""} ${r.shards} |`);
}
const top = Math.max(...rows.map((r) => r.busiestPerSec));
const first = rows.filter((r) => r.busiestPerSec === top);
out.push("");
out.push(`First to reach the limit: ${first.map((r) => `${r.kind}, ${r.busiest}`).join("; and, tied, ")}, at ${top} requests/s (${first[0].ofLimit}% of it)${first[0].ofLimit >= 100 ? ": SATURATED" : ""}.`);
for (const r of rows.filter((x) => x.shards > 1)) {
  out.push(`- ${r.kind}: ${r.busiestPerSec}/s on one instance; ${r.shards} shards keep each at or under ${P.limit * P.headroom}/s (${Math.round(r.busiestPerSec / r.shards)}/s each): ${r.how}.`);
}
// Where the popular account stops being fine: events per follower per s.
const perFollower = ops.reduce((a, op) => a + followerEvents(op), 0) / P.followers;
out.push(`- An account reaches the limit when it is in about ${fmt(Math.round(P.limit / perFollower))} rosters (${(perFollower * 1000).toFixed(1)} events/s per 1,000 followers).`);
console.log(out.join("\n"));
