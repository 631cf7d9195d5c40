// A component's stream, top-down (XEP-0114 over RFC 7395 framing, CONTRACT.md
// "Component sockets"): <open to=JID/> → our <open id=…/> → <handshake/> → stanzas.
// After the handshake every stanza goes to the component's mailbox object, which
// applies the privilege and delegation rules and routes it.
//
// A failed handshake counts against the client's address in the same THROTTLE counter
// as failed logins (ip:ADDRESS, 15-minute window): from limits.auth_failures_before_delay
// failures on, the answer waits 1 s, 2 s, 4 s, then 5 s each, so guessing a secret is slow.
//
// References: XEP-0114 §3 (handshake), RFC 6120 §4.9.3.12 (not-authorized).
import type { Connection } from "../stream/connection";
import type { ComponentState } from "./component-state";
import { checkOpen, openElement, randomStreamId } from "../stream/framing";
import { parseFrame } from "../xml/frame-parser";
import { NS } from "../xml/namespaces";
import { errorReply, isResponse, withNamespace, xml } from "../xml/stanza";
import { verifyHandshake } from "./handshake";
import { forComponent } from "./mailbox";
import { route } from "../pipeline/route";
import { wait } from "../stream/failure-delay";
import { checkComponentStanza } from "./stanza-check";

type Conn = Connection<ComponentState>;

async function throttleFailure(conn: Conn): Promise<void> {
  await wait(await conn.services.ports.throttle(`ip:${conn.remoteAddress}`).fail(conn.config.limits.authFailuresBeforeDelay));
}

export async function onComponentFrame(conn: Conn, frame: string): Promise<void> {
  const state = conn.state;
  if (state.phase === "closed") return;
  const parsed = parseFrame(frame, conn.config.limits.maxStanzaSize);
  if (!parsed.ok) return conn.close(parsed.condition, parsed.text);
  const el = parsed.element;
  if (el.name === "close" && el.attrs.xmlns === NS.framing) return conn.close();

  if (state.phase === "connected") {
    const check = checkOpen(el);
    if (!check.ok) return conn.close(check.condition);
    const streamId = randomStreamId();
    conn.send(openElement(check.to, streamId));
    if (!conn.config.components[check.to]) {
      console.log(JSON.stringify({ event: "component-handshake", component: check.to, outcome: "host-unknown" }));
      return conn.close("host-unknown", `${check.to} is not a configured component`);
    }
    conn.state = { kind: "component", phase: "handshake", jid: check.to, streamId };
    conn.save();
    return;
  }

  if (state.phase === "handshake") {
    if (el.name !== "handshake" || (el.attrs.xmlns ?? NS.component) !== NS.component) {
      return conn.close("not-authorized", "send the handshake first");
    }
    const secret = conn.secrets.component(state.jid);
    if (!secret || !(await verifyHandshake(state.streamId, secret, el.getText()))) {
      // Logged for the operator; neither the secret nor the offered digest is.
      const reason = secret ? "wrong handshake" : "no secret for this component in COMPONENT_SECRETS";
      console.log(JSON.stringify({ event: "component-handshake", component: state.jid, outcome: "not-authorized", reason }));
      await throttleFailure(conn);
      return conn.close("not-authorized", "handshake failed");
    }
    conn.state = { kind: "component", phase: "ready", jid: state.jid, streamId: state.streamId };
    conn.save();
    conn.send(xml("handshake", { xmlns: NS.component }));
    console.log(JSON.stringify({ event: "component-handshake", component: state.jid, outcome: "ok" }));
    await conn.services.ports.component(state.jid).attach(conn.sessionId);
    return;
  }

  // Ready: one stanza per message, checked before it goes anywhere.
  const check = checkComponentStanza(state.jid, el);
  // The connection's rate limit holds for components too (policy-violation, stream kept).
  if (check.ok && !conn.allowStanza()) {
    if (!isResponse(check.stanza)) conn.send(withNamespace(errorReply(check.stanza, "policy-violation", "rate limit exceeded, slow down", state.jid), NS.component));
    return;
  }
  if (!check.ok) {
    if (check.stream) return conn.close(check.stream, check.text);
    if (check.reply) conn.send(check.reply);
    return;
  }
  conn.requests?.answered(check.stanza);
  // Only what a feature keeps in the mailbox (answers to delegated requests, privileged
  // actions) goes there; the rest is routed from here, one hop fewer.
  const takes = conn.services.mailboxTakes(check.stanza);
  // An answer to a delegated request forwarded straight to this connection is handled here.
  if (takes && conn.delegations && (await conn.delegations.answer(check.stanza))) return;
  const replies = takes
    ? await conn.services.ports.component(state.jid).fromComponent(check.stanza.toString())
    : (await route(conn.services, { kind: "component", jid: state.jid }, check.stanza)).map(forComponent);
  for (const r of replies) conn.send(r);
}

export async function onComponentGone(conn: Conn): Promise<void> {
  const state = conn.state;
  conn.state = { kind: "component", phase: "closed" };
  conn.save();
  if (state.phase !== "ready") return;
  await conn.delegations?.closed();
  // Requests written to the socket that no answer came back for (./requests-in-flight.ts).
  const unanswered = conn.requests?.takeAll(state.jid) ?? [];
  await Promise.all(unanswered.map((reply) => route(conn.services, { kind: "component", jid: state.jid }, reply).catch(() => [])));
  await conn.services.ports.component(state.jid).detach(conn.sessionId);
}
