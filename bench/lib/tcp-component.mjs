// An XEP-0114 component over TCP (a peer server's component port), with the same face as
// the bench's WebSocket Component (connect, send, onFrame, closeAndWait): one frame per
// top-level stanza, as the scenarios expect. @xmpp/component-core does the stream and the
// handshake; no iq-callee middleware, so the scenario alone answers requests.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Component: XmppComponent } = require("@xmpp/component-core");

export class TcpComponent {
  /** `service`: xmpp://127.0.0.1:PORT. */
  constructor(service, jid, secret) {
    this.jid = jid;
    this.onFrame = null;
    this.entity = new XmppComponent({ service, domain: jid });
    this.entity.on("open", (el) => this.entity.authenticate(el.attrs.id, secret).catch((e) => this.entity.emit("error", e)));
    this.entity.on("stanza", (el) => this.onFrame?.(el.toString()));
    this.entity.on("error", (e) => (this.lastError = e));
  }

  async connect() {
    await this.entity.start();
  }

  send(frame) {
    this.entity.write(frame).catch(() => undefined);
  }

  async closeAndWait(timeoutMs = 3000) {
    await Promise.race([this.entity.stop().catch(() => undefined), new Promise((r) => setTimeout(r, timeoutMs))]);
  }
}
