// The fuzzing run against a running gateway (see scripts/fuzz.mjs for the command).
// Senders: streams before authentication, logged-in clients and components; each bad
// frame goes to a fresh stream (it is closed by the error), addressed to a receiver (a
// logged-in user, a component). Checks: each bad frame is answered with the stream
// error the reference parser (bin/lib/strict-xml.mjs) gives; each valid frame arrives
// once, well-formed, with the same namespaces and content; nothing of a bad frame ever
// arrives; every frame a receiver gets is well-formed; /health stays 200.
import { parseStrictFrame } from "../../bin/lib/strict-xml.mjs";
import { badStanza, rng, validStanza } from "./fuzz-frames.mjs";
import { client, component, preauth } from "./fuzz-xmpp.mjs";

const STREAM_ERROR = /<stream:error[^>]*><([a-z-]+) xmlns="urn:ietf:params:xml:ns:xmpp-streams"/;
const MARKER = /fz\d+-\d+/g;

/**
 * @param {object} o
 * @param {string} o.base gateway http URL
 * @param {string} o.host served host
 * @param {{ sender: string, receiver: string, password: string }} o.users local parts
 * @param {{ senders: Array<{ jid: string, secret: string }>, receiver: { jid: string, secret: string } }} o.components
 * @param {number} o.frames
 * @param {number} o.seed
 * @param {number} [o.concurrency]
 * @param {number} [o.maxBytes] the gateway's limits.max_stanza_size
 * @param {number} [o.validShare] share of valid frames (default 0.2)
 * @param {number} [o.preauthShare] share of bad frames sent before authentication (default 0.6)
 * @param {() => number} [o.memoryKiB] the gateway's memory now (optional)
 * @param {(line: string) => void} [o.log]
 */
export async function runFuzz(o) {
  const r = rng(o.seed);
  const log = o.log ?? (() => undefined);
  const maxBytes = o.maxBytes ?? 262144;
  const concurrency = o.concurrency ?? 4;
  const validShare = o.validShare ?? 0.2;
  const result = {
    seed: o.seed, frames: 0, bad: 0, valid: 0, byCondition: {}, labelDisagreements: 0,
    problems: /** @type {string[]} */ ([]), healthChecks: 0, memoryKiB: /** @type {number[]} */ ([]), seconds: 0,
  };
  const problem = (s) => {
    if (result.problems.length < 50) result.problems.push(s);
  };
  const started = Date.now();

  // Receivers: everything they get is checked.
  const badMarkers = new Set();
  /** @type {Map<string, (frame: string) => void>} */
  const awaited = new Map();
  const watch = (conn, who) => {
    conn.onFrame = (f) => {
      const check = parseStrictFrame(f);
      if (!check.ok) problem(`${who} received non-well-formed XML (${check.condition}: ${check.text}): ${f.slice(0, 300)}`);
      for (const m of f.match(MARKER) ?? []) {
        if (badMarkers.has(m)) problem(`${who} received something of bad frame ${m}: ${f.slice(0, 300)}`);
        awaited.get(m)?.(f);
      }
    };
  };
  const rxUser = await client(o.base, o.host, o.users.receiver, o.users.password, "rx");
  rxUser.send(`<presence xmlns='jabber:client'/>`);
  watch(rxUser, "the receiving user");
  const rxComp = await component(o.base, o.components.receiver.jid, o.components.receiver.secret);
  watch(rxComp, "the receiving component");
  const targets = [rxUser.jid, `svc@${o.components.receiver.jid}`];

  // Memory and health, sampled while the frames fly.
  const sampler = setInterval(async () => {
    if (o.memoryKiB) result.memoryKiB.push(o.memoryKiB());
    try {
      const res = await fetch(`${o.base}/health`, { signal: AbortSignal.timeout(10_000) });
      result.healthChecks++;
      if (res.status !== 200) problem(`/health answered ${res.status}`);
    } catch (e) {
      problem(`/health failed: ${e instanceof Error ? e.message : e}`);
    }
  }, 2000);

  /** Long-lived senders for valid frames (a valid frame leaves its stream open). */
  const keep = { clients: [], components: [] };

  let next = 0;
  let logged = 0;
  const one = async (worker) => {
    const n = next++;
    const marker = `fz${o.seed}-${n}`;
    const to = r.pick(targets);
    const valid = r.chance(validShare);
    // Bad frames close their stream: most go to streams before authentication (the
    // same parse, the cheapest new stream), the rest to logged-in clients and components.
    const kind = valid ? r.pick(["client", "component"]) : r.chance(o.preauthShare ?? 0.6) ? "preauth" : r.pick(["client", "component"]);
    // Bad frames and valid ones come from different component JIDs: a new stream for a
    // JID replaces the old one (conflict), and bad frames need a new stream each.
    const senders = o.components.senders;
    const sender = valid ? senders[(worker + concurrency) % senders.length] : senders[worker % senders.length];
    const from = kind === "component" ? `s${n}@${sender.jid}` : undefined;
    if (valid) {
      const frame = validStanza(r, { to, from, marker });
      const ref = parseStrictFrame(frame, { maxBytes });
      if (!ref.ok) return problem(`generator: a valid frame is refused by the reference (${ref.condition}: ${ref.text}): ${frame.slice(0, 300)}`);
      result.valid++;
      const conn = await keptSender(kind, worker, sender);
      const arrived = new Promise((resolve) => {
        const t = setTimeout(() => resolve(null), 10_000);
        awaited.set(marker, (f) => (clearTimeout(t), resolve(f)));
      });
      conn.send(frame);
      const got = await arrived;
      awaited.delete(marker);
      if (!got) return problem(`valid frame ${marker} from a ${kind} never arrived: ${frame.slice(0, 300)}${conn.isClosed ? ` (the sender's stream closed: ${conn.frames.slice(-2).join(" ")})` : ""}`);
      const same = sameContent(ref.element, parseStrictFrame(got).element);
      if (same !== true) problem(`valid frame ${marker} arrived changed (${same}):\n  sent ${frame.slice(0, 300)}\n  got  ${got.slice(0, 300)}`);
      return;
    }
    const mutated = badStanza(r, { to, from, marker }, maxBytes);
    const { what, label } = mutated;
    // What actually goes on the wire: a WebSocket text frame is UTF-8, so a lone surrogate
    // the mutation left in the string is sent as U+FFFD (and the frame may be valid then).
    const frame = Buffer.from(mutated.frame, "utf8").toString("utf8");
    const ref = parseStrictFrame(frame, { maxBytes });
    if (ref.ok) return; // the mutation happened to keep the frame valid: not a bad frame
    if (label && label !== ref.condition) result.labelDisagreements++;
    result.bad++;
    badMarkers.add(marker);
    const conn = kind === "preauth" ? await preauth(o.base, o.host)
      : kind === "client" ? await client(o.base, o.host, o.users.sender, o.users.password, `w${worker}-${n}`)
      : await component(o.base, sender.jid, sender.secret);
    conn.send(frame);
    const err = await conn.next(/<stream:error/, 10_000);
    conn.close();
    const condition = STREAM_ERROR.exec(err ?? "")?.[1] ?? (err === null ? "no stream error" : err);
    result.byCondition[condition] = (result.byCondition[condition] ?? 0) + 1;
    if (condition !== ref.condition) problem(`${what} from a ${kind}: expected <${ref.condition}/> (${ref.text}), got ${condition}: ${JSON.stringify(frame.slice(0, 200))}`);
  };

  async function keptSender(kind, worker, sender) {
    const pool = kind === "client" ? keep.clients : keep.components;
    let c = pool[worker];
    if (!c || c.isClosed) {
      c = kind === "client"
        ? await client(o.base, o.host, o.users.sender, o.users.password, `keep${worker}`)
        : await component(o.base, sender.jid, sender.secret);
      pool[worker] = c;
    }
    return c;
  }

  const workers = [];
  for (let w = 0; w < concurrency; w++) {
    workers.push((async () => {
      while (next < o.frames) {
        try {
          await one(w);
        } catch (e) {
          problem(`frame ${next}: ${e instanceof Error ? e.message : e}`);
        }
        result.frames = Math.min(next, o.frames);
        if (next >= logged + 1000) {
          logged = next - (next % 1000);
          log(`${next} frames, ${result.problems.length} problems, ${Math.round((Date.now() - started) / 1000)} s`);
        }
      }
    })());
  }
  await Promise.all(workers);
  await new Promise((res) => setTimeout(res, 1000)); // late arrivals still get checked
  clearInterval(sampler);
  const health = await fetch(`${o.base}/health`).then((res) => res.status, () => 0);
  if (health !== 200) problem(`/health at the end: ${health}`);
  for (const c of [rxUser, rxComp, ...keep.clients, ...keep.components]) c?.close();
  result.seconds = Math.round((Date.now() - started) / 100) / 10;
  return result;
}

/** What the receiving server adds to a delivered message and is not the sender's: its
 *  archive id (XEP-0359 <stanza-id by='receiver'/>, XEP-0313). */
const addedByServer = (c) => typeof c !== "string" && c.name === "stanza-id" && c.attrs.xmlns === "urn:xmpp:sid:0";

/** Same name, namespace, attributes (but from/xmlns on the root) and children. */
function sameContent(sent, got) {
  if (!got) return "not parseable";
  if (sent.name !== got.name) return `name ${got.name}`;
  const strip = (el) => {
    const { from: _f, xmlns: _x, ...rest } = el.attrs;
    return JSON.stringify(Object.entries(rest).sort());
  };
  if (strip(sent) !== strip(got)) return `attributes ${strip(got)}`;
  const kids = (el) => el.children.filter((c) => !addedByServer(c)).map((c) => (typeof c === "string" ? c : c.toString())).join("");
  if (kids(sent) !== kids(got)) return "children differ";
  return true;
}
