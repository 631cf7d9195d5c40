// A client's stream, top-down: each WebSocket message is parsed, then handled by
// the phase the stream is in (RFC 6120 §4.3.2): open → SASL → restart → bind → stanzas.
import type { Connection } from "./connection";
import type { ClientState } from "./client-state";
import { checkOpen, closeElement, features, isClose, openElement, randomStreamId } from "./framing";
import { mechanismsFeature, onAbort, onAuth, onResponse } from "./sasl-exchange";
import { handleRegistrationIq, registrationStreamFeature } from "../registration/registration";
import { handleBoundStanza } from "../pipeline/client-stanza";
import { parseFrame, utf8Length } from "../xml/frame-parser";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, iqResult, isResponse, xml } from "../xml/stanza";
import { smFeature } from "../stream-management/protocol";
import { csiFeature } from "../csi/csi";
import { countHandled, isSmOrCsiNonza, onNonza, onStreamEnd } from "../stream-management/client-sm";

type Conn = Connection<ClientState>;

export async function onClientFrame(conn: Conn, frame: string): Promise<void> {
  const state = conn.state;
  if (state.phase === "closed") return;
  const parsed = parseFrame(frame, conn.config.limits.maxStanzaSize);
  if (!parsed.ok) {
    if (state.phase === "connected" || state.phase === "restart") sendHeaderBeforeError(conn, undefined);
    return conn.close(parsed.condition, parsed.text);
  }
  const el = parsed.element;
  if (isClose(el)) return conn.close();

  switch (state.phase) {
    case "connected":
      return onOpen(conn, el, null);
    case "restart":
      return onOpen(conn, el, state);
    case "sasl":
      return onSasl(conn, state, el);
    case "bind":
      if (conn.sm && isSmOrCsiNonza(el)) return onNonza(conn, conn.sm, el);
      if (state.resuming) return conn.close("not-authorized", "wait for the answer to <resume/>");
      return onBind(conn, state, el);
    case "bound":
      // XEP-0198 / XEP-0352 nonzas: not stanzas, not counted, never unsupported-stanza-type.
      if (conn.sm && isSmOrCsiNonza(el)) return onNonza(conn, conn.sm, el);
      // The answer to the server's own ping (slow readers, ./reader-proof.ts) goes nowhere.
      if (!conn.readingProof?.(el)) await handleBoundStanza(conn, state, el);
      // XEP-0198 §4: counted once handled (routed, stored, or answered).
      if (conn.sm) countHandled(conn, conn.sm);
      return;
  }
}

/** A frame that is not UTF-8 text (RFC 6120 §4.9.3.22, RFC 7395 §3.2). */
export async function onClientUndecodable(conn: Conn): Promise<void> {
  if (conn.state.phase === "connected" || conn.state.phase === "restart") sendHeaderBeforeError(conn, undefined);
  return conn.close("unsupported-encoding", "frames are UTF-8 text");
}

/**
 * RFC 6120 §4.9.1.2: a stream error is sent on a stream whose header we have sent, even
 * when the client's header (or what came instead of it) caused the error.
 */
function sendHeaderBeforeError(conn: Conn, to: string | undefined): void {
  const host = conn.config.hosts[(to ?? "").toLowerCase()]?.domain ?? Object.keys(conn.config.hosts)[0]!;
  conn.send(openElement(host, randomStreamId()));
}

async function onOpen(conn: Conn, el: Element, restart: Extract<ClientState, { phase: "restart" }> | null): Promise<void> {
  const check = checkOpen(el);
  const streamId = randomStreamId();
  if (!check.ok) {
    sendHeaderBeforeError(conn, typeof el.attrs.to === "string" ? el.attrs.to : undefined);
    return conn.close(check.condition);
  }
  const host = conn.config.hosts[check.to];
  if (!host || (restart && restart.host !== check.to)) {
    // RFC 6120 §4.9.1.2: the stream header is sent first, then the error.
    conn.send(openElement(check.to, streamId));
    return conn.close("host-unknown", `${check.to} is not served here`);
  }
  conn.send(openElement(host.domain, streamId));
  if (!restart) {
    conn.state = { kind: "client", phase: "sasl", host: host.domain, streamId };
    conn.save();
    const offered = [mechanismsFeature()];
    if (host.registration) offered.push(registrationStreamFeature());
    conn.send(features(...offered));
    return;
  }
  conn.state = { kind: "client", phase: "bind", host: host.domain, bare: restart.bare, streamId };
  conn.save();
  conn.send(
    features(
      xml("bind", { xmlns: NS.bind }),
      xml("session", { xmlns: NS.session }, xml("optional")),
      xml("ver", { xmlns: NS.rosterVersioning }),
      ...(conn.sm ? [smFeature(), csiFeature()] : []),
    ),
  );
}

async function onSasl(conn: Conn, state: Extract<ClientState, { phase: "sasl" }>, el: Element): Promise<void> {
  if (el.attrs.xmlns === NS.sasl) {
    if (el.name === "auth") return onAuth(conn, state, el);
    if (el.name === "response") return onResponse(conn, state, el);
    if (el.name === "abort") return onAbort(conn, state);
    return conn.close("not-authorized", "unexpected SASL element");
  }
  // XEP-0077 §3: registration happens before authentication, on hosts that allow it.
  const host = conn.config.hosts[state.host]!;
  if (host.registration && el.name === "iq" && el.getChild("query", NS.register)) {
    // The connection's rate limit applies before authentication too (each set may derive keys).
    if (!conn.allowStanza()) {
      if (!isResponse(el)) conn.send(errorReply(el, "policy-violation", "rate limit exceeded, slow down", host.domain));
      return;
    }
    conn.send(await handleRegistrationIq(conn.services.ports, host, el, null, conn.remoteAddress));
    return;
  }
  return conn.close("not-authorized", "authenticate first");
}

function generatedResource(): string {
  return `xe-${crypto.randomUUID().slice(0, 13)}`;
}

async function onBind(conn: Conn, state: Extract<ClientState, { phase: "bind" }>, el: Element): Promise<void> {
  if (el.name !== "iq" || (el.attrs.xmlns ?? NS.client) !== NS.client) {
    return conn.close("not-authorized", "bind a resource first");
  }
  const bind = el.getChild("bind", NS.bind);
  if (el.attrs.type !== "set" || !bind) {
    if (el.getChild("session", NS.session) && el.attrs.type === "set") return conn.send(iqResult(el));
    if (el.attrs.type === "result" || el.attrs.type === "error") return;
    return conn.send(errorReply(el, "not-authorized", "bind a resource first"));
  }
  let resource = (bind.getChildText("resource") ?? "").trim();
  if (resource === "") resource = generatedResource();
  // RFC 7622 §3.4: at most 1023 octets of UTF-8.
  if (utf8Length(resource) > 1023 || /[\u0000-\u001f\u007f]/.test(resource)) {
    return conn.send(errorReply(el, "bad-request", "invalid resource"));
  }
  const result = await conn.services.ports.account(state.bare).bind(resource, conn.sessionId);
  if (!result.ok && result.condition) return conn.send(errorReply(el, result.condition, result.reason));
  if (!result.ok) {
    conn.send(errorReply(el, "not-allowed", result.reason));
    return conn.close("not-authorized", result.reason);
  }
  const full = `${state.bare}/${resource}`;
  // Not available until its initial presence (RFC 6121 §4.2).
  conn.state = { kind: "client", phase: "bound", host: state.host, bare: state.bare, resource, full, streamId: state.streamId, available: false };
  conn.save();
  conn.send(iqResult(el, xml("bind", { xmlns: NS.bind }, xml("jid", {}, full))));
}

/**
 * The stream did not reach a bound resource in time (the session object's timer):
 * stream error connection-timeout (RFC 6120 §4.9.3.4). Nothing happens once bound.
 */
export async function onClientTimeout(conn: Conn): Promise<void> {
  const phase = conn.state.phase;
  if (phase === "bound" || phase === "closed") return;
  if (phase === "connected" || phase === "restart") sendHeaderBeforeError(conn, undefined);
  return conn.close("connection-timeout", "authentication and resource binding took too long");
}

/**
 * Called when the stream ends: the account forgets this resource. `lost`: the socket
 * went without a closing handshake; a resumable XEP-0198 session then keeps the
 * resource for its client (src/stream-management/client-sm.ts).
 */
export async function onClientGone(conn: Conn, lost = false): Promise<void> {
  const state = conn.state;
  conn.state = { kind: "client", phase: "closed" };
  conn.save();
  if (state.phase !== "bound") return;
  if (conn.sm && (await onStreamEnd(conn, conn.sm, state, lost))) return;
  await conn.services.ports.account(state.bare).unbind(state.resource, conn.sessionId);
}

export { closeElement };
