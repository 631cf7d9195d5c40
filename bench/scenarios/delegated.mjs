// delegated: an IQ in a namespace that the bench configuration delegates (XEP-0355,
// admin mode) to a component, sent without 'to' so that the server forwards it wrapped
// in <delegation><forwarded/></delegation>; against the same IQ sent directly to the
// component ('to' = the component's JID). The component answers every request at once.
// On the floor only the direct form exists: client → component object → component
// socket → client object → client socket, one RPC each way.
//
// References: XEP-0355 v0.5 §Stanza forwarding; XEP-0114; RFC 6120 §8.2.3.
import { attr, Component } from "../lib/xmpp.mjs";
import { quiet, sleep } from "../lib/stats.mjs";
import { closeAll, loginAll, measuredWindow } from "./common.mjs";

/** The component's answers: a wrapped result for a forwarded IQ, a plain one otherwise. */
function answer(component, frame) {
  if (!frame.startsWith("<iq")) return;
  const type = attr(frame, "type");
  if (type !== "get" && type !== "set") return;
  const id = attr(frame, "id");
  const from = attr(frame, "from");
  const fwd = frame.indexOf("<forwarded");
  if (fwd < 0) {
    component.send(`<iq xmlns='jabber:component:accept' type='result' id='${id}' from='${attr(frame, "to") ?? component.jid}' to='${from}'/>`);
    return;
  }
  const inner = frame.slice(frame.indexOf("<iq", fwd));
  const innerTo = attr(inner, "to");
  const reply = `<iq xmlns='jabber:client' type='result' id='${attr(inner, "id")}' to='${attr(inner, "from")}'${innerTo ? ` from='${innerTo}'` : ""}/>`;
  component.send(
    `<iq xmlns='jabber:component:accept' type='result' id='${id}' from='${component.jid}' to='${from}'>` +
      `<delegation xmlns='urn:xmpp:delegation:2'><forwarded xmlns='urn:xmpp:forward:0'>${reply}</forwarded></delegation></iq>`,
  );
}

async function measure(target, clients, request, { warmupMs, durationMs, maxMessages }) {
  let measuring = false;
  let stopped = false;
  let count = 0;
  let errors = 0;
  let firstError = null;
  const latencies = [];
  for (const c of clients) {
    let n = 0;
    let sentAt = 0;
    let timer = null;
    const next = () => {
      sentAt = performance.now();
      c.send(request(c, `q${++n}`));
      clearTimeout(timer);
      timer = setTimeout(() => !stopped && next(), 5000); // a lost answer does not stall the client
    };
    c.onFrame = (frame) => {
      if (!frame.startsWith("<iq") || attr(frame, "id") !== `q${n}`) return;
      if (attr(frame, "type") !== "result") {
        errors++;
        firstError ??= frame.slice(0, 400);
      } else if (measuring) {
        count++;
        latencies.push(performance.now() - sentAt);
        if (count >= maxMessages) stopped = true;
      }
      if (!stopped) next();
      else clearTimeout(timer);
    };
    next();
  }
  const w = await measuredWindow(target, warmupMs, durationMs, () => stopped, (on) => (measuring = on));
  stopped = true;
  await sleep(300);
  await quiet(target.server, 5000);
  return { errors, firstError, window: { count, latencies, wallMs: w.wallMs, cpuMs: w.cpuMs, otherCpuMs: w.otherCpuMs, generatorCpuMs: w.generatorCpuMs } };
}

export async function delegated(target, { accounts, component: jid, secret, ns, modes, ...opts }) {
  // A peer server takes its component over TCP (bench/lib/tcp-component.mjs).
  const component = target.newComponent?.(jid, secret) ?? new Component(target.wsUrl, jid, secret);
  await component.connect();
  component.onFrame = (frame) => answer(component, frame);
  const clients = await loginAll(target, accounts);
  await quiet(target.server, 5000);
  const out = {};
  try {
    for (const mode of modes) {
      out[mode] ??= { windows: [], errors: 0, firstError: null };
      const request = mode === "direct"
        ? (c, id) => `<iq from='${c.full}' to='${jid}' type='get' id='${id}'><query xmlns='${ns}'/></iq>`
        : (c, id) => `<iq from='${c.full}' type='get' id='${id}'><query xmlns='${ns}'/></iq>`;
      const m = await measure(target, clients, request, opts);
      if (m.window.count) out[mode].windows.push(m.window);
      out[mode].errors += m.errors;
      out[mode].firstError ??= m.firstError;
    }
  } finally {
    await closeAll([...clients, component]);
    await quiet(target.server);
  }
  return out;
}
