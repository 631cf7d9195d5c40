// The benchmark's floor (README, "Benchmarks"): a Worker and one Durable Object class that
// only relay WebSocket messages, with the Hibernation API. Each socket is held by its
// own object, named by the `user` query parameter (the account's bare JID); a frame is
// relayed with exactly one RPC call to the object of the peer named in its `to`
// attribute, which sends it on its socket.
//
// It speaks no XMPP. The few canned answers below exist only so that the benchmark's
// generator can drive the floor with the same code as the gateway (open, auth,
// restart, bind; component open and handshake). Frames are inspected with string
// searches, never parsed: that is the point of a floor.
import { DurableObject } from "cloudflare:workers";
import { attr } from "../lib/frame-attr.mjs";

const FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";
const STREAMS = "http://etherx.jabber.org/streams";


function bareOf(jid) {
  const slash = jid.indexOf("/");
  return slash < 0 ? jid : jid.slice(0, slash);
}

export class RelayObject extends DurableObject {
  /** Peers this object has relayed to: where a frame without `to` goes (see relayFrame). */
  peers = null;

  async fetch(request) {
    const url = new URL(request.url);
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    pair[1].serializeAttachment({
      name: url.searchParams.get("user") ?? "",
      component: url.pathname === "/xmpp-component",
      host: "",
      authed: false,
      bound: false,
    });
    return new Response(null, { status: 101, webSocket: pair[0], headers: { "Sec-WebSocket-Protocol": "xmpp" } });
  }

  async webSocketMessage(ws, message) {
    const frame = typeof message === "string" ? message : new TextDecoder().decode(message);
    if (frame.startsWith("<message") || frame.startsWith("<presence") || (frame.startsWith("<iq") && !frame.includes("xmpp-bind"))) {
      return this.relayFrame(ws, frame);
    }
    return this.pretend(ws, frame);
  }

  /** The hot path: one RPC to the peer's object. */
  async relayFrame(ws, frame) {
    const to = attr(frame, "to");
    const peers = this.knownPeers();
    if (to === null) {
      // No addressee (a broadcast presence): one RPC per peer this object has talked to.
      await Promise.all([...peers].map((p) => this.env.RELAY.getByName(p).relay(frame)));
      return;
    }
    const peer = bareOf(to);
    if (peer === ws.deserializeAttachment().host) {
      ws.send(frame); // addressed to the server itself: the floor answers by echoing
      return;
    }
    if (!peers.has(peer)) {
      peers.add(peer);
      this.ctx.storage.kv.put("peers", [...peers]);
    }
    await this.env.RELAY.getByName(peer).relay(frame);
  }

  knownPeers() {
    if (!this.peers) this.peers = new Set(this.ctx.storage.kv.get("peers") ?? []);
    return this.peers;
  }

  /** RPC from another object: send the frame on this object's socket. */
  async relay(frame) {
    const ws = this.ctx.getWebSockets()[0];
    // Like any server, deliver only to a stream that has bound its resource.
    if (!ws || !ws.deserializeAttachment().bound) return false;
    ws.send(frame);
    return true;
  }

  /** Canned answers for the stream set-up the generator performs (not XMPP processing). */
  pretend(ws, frame) {
    const a = ws.deserializeAttachment();
    if (frame.startsWith("<open")) {
      a.host = attr(frame, "to") ?? "";
      ws.serializeAttachment(a);
      const id = crypto.randomUUID();
      ws.send(`<open xmlns='${FRAMING}' from='${a.host}' id='${id}' version='1.0'/>`);
      if (a.component) return;
      const inner = a.authed
        ? "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
        : "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>";
      ws.send(`<stream:features xmlns:stream='${STREAMS}'>${inner}</stream:features>`);
    } else if (frame.startsWith("<auth")) {
      a.authed = true;
      ws.serializeAttachment(a);
      ws.send("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    } else if (frame.startsWith("<handshake")) {
      a.bound = true;
      ws.serializeAttachment(a);
      ws.send("<handshake xmlns='jabber:component:accept'/>");
    } else if (frame.startsWith("<iq")) {
      const r = frame.indexOf("<resource>");
      const resource = r < 0 ? "floor" : frame.slice(r + 10, frame.indexOf("</resource>"));
      a.bound = true;
      ws.serializeAttachment(a);
      ws.send(`<iq type='result' id='${attr(frame, "id")}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>${a.name}/${resource}</jid></bind></iq>`);
    } else if (frame.startsWith("<close")) {
      ws.send(`<close xmlns='${FRAMING}'/>`);
      ws.close(1000, "closed");
    }
  }

  async webSocketClose(ws) {
    try {
      ws.close(1000, "closed");
    } catch {
      // already closed
    }
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("floor\n");
    const user = url.searchParams.get("user");
    if (!user) return new Response("?user= is required\n", { status: 400 });
    return env.RELAY.getByName(user).fetch(request);
  },
};
