// A component's stream, top-down (XEP-0114 over RFC 7395 framing, CONTRACT.md
// "Component sockets"): <open to=JID/> → our <open id=…/> → <handshake/> → stanzas.
// After the handshake every stanza goes to the component's router object, which
// applies the privilege and delegation rules and routes it.
import type { Connection } from "../stream/connection";
import type { ComponentState } from "./component-state";
import { checkOpen, openElement, randomStreamId } from "../stream/framing";
import { componentSecret } from "../config";
import { parseFrame } from "../xml/frame-parser";
import { parseJid } from "../jid/jid";
import { NS } from "../xml/namespaces";
import { errorReply, isResponse, xml } from "../xml/stanza";
import { componentStub } from "../routing/route";
import { fromAllowed, verifyHandshake } from "./handshake";

type Conn = Connection<ComponentState>;
const STANZAS = new Set(["message", "presence", "iq"]);

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
    if (!conn.config.components[check.to]) return conn.close("host-unknown", `${check.to} is not a configured component`);
    conn.state = { kind: "component", phase: "handshake", jid: check.to, streamId };
    conn.save();
    return;
  }

  if (state.phase === "handshake") {
    if (el.name !== "handshake" || (el.attrs.xmlns ?? NS.component) !== NS.component) {
      return conn.close("not-authorized", "send the handshake first");
    }
    const secret = componentSecret(conn.env, state.jid);
    if (!secret || !(await verifyHandshake(state.streamId, secret, el.getText()))) {
      console.log(JSON.stringify({ event: "component-handshake", component: state.jid, outcome: "not-authorized" }));
      return conn.close("not-authorized", "handshake failed");
    }
    conn.state = { kind: "component", phase: "ready", jid: state.jid, streamId: state.streamId };
    conn.save();
    conn.send(xml("handshake", { xmlns: NS.component }));
    console.log(JSON.stringify({ event: "component-handshake", component: state.jid, outcome: "ok" }));
    await componentStub(conn.env, state.jid).attach(conn.sessionId);
    return;
  }

  // Ready: one stanza per message.
  if (!STANZAS.has(el.name)) return conn.close("unsupported-stanza-type", `<${el.name}/> is not a stanza`);
  const ns = el.attrs.xmlns ?? NS.component;
  if (ns !== NS.component && ns !== NS.client) return conn.close("invalid-namespace");
  el.attrs.xmlns = NS.client; // inside the gateway every stanza is in jabber:client
  const from = el.attrs.from ? parseJid(el.attrs.from) : parseJid(state.jid);
  if (!from || !fromAllowed(state.jid, from.full)) {
    if (!isResponse(el)) {
      const reply = errorReply(el, "forbidden", `'from' must be ${state.jid} or a JID at it`, state.jid);
      reply.attrs.xmlns = NS.component;
      conn.send(reply);
    }
    return;
  }
  el.attrs.from = from.full;
  if (el.attrs.to !== undefined) {
    const to = parseJid(el.attrs.to);
    if (!to) {
      if (!isResponse(el)) conn.send(errorReply(el, "jid-malformed", "invalid 'to' address", state.jid).attr("xmlns", NS.component));
      return;
    }
    el.attrs.to = to.full;
  }
  const replies = await componentStub(conn.env, state.jid).fromComponent(el.toString());
  for (const r of replies) conn.send(r);
}

export async function onComponentGone(conn: Conn): Promise<void> {
  const state = conn.state;
  conn.state = { kind: "component", phase: "closed" };
  conn.save();
  if (state.phase === "ready") await componentStub(conn.env, state.jid).detach(conn.sessionId);
}
