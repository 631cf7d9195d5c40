// @xmpp/client (the library real web clients use) against the e2e gateway.
// Node 20 has no global WebSocket; @xmpp/websocket expects one.
import { client, type Client } from "@xmpp/client";
import type { Element } from "ltx";
import WebSocket from "ws";
import { gatewayUrl } from "./gateway";
import { wsUrl } from "./url";

if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === "undefined") {
  (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
}

export type { Client };

export interface ConnectedClient {
  xmpp: Client;
  /** The bound full JID. */
  jid: string;
  /** Every stanza received so far. */
  stanzas: Element[];
  /** Resolves with the first stanza (already received or future) matching `pred`. */
  waitFor(pred: (el: Element) => boolean, ms?: number): Promise<Element>;
  stop(): Promise<void>;
}

export async function connectClient(opts: {
  username: string;
  password?: string;
  domain?: string;
  resource?: string;
  base?: string;
}): Promise<ConnectedClient> {
  const xmpp = client({
    service: wsUrl(opts.base ?? gatewayUrl(), "/xmpp-websocket"),
    domain: opts.domain ?? "localhost",
    username: opts.username,
    password: opts.password ?? "pw",
    resource: opts.resource,
  });
  // No reconnects in tests: a dropped session must stay dropped.
  xmpp.reconnect.stop();
  const stanzas: Element[] = [];
  const waiters: Array<{ pred: (el: Element) => boolean; resolve: (el: Element) => void }> = [];
  xmpp.on("stanza", (el: Element) => {
    stanzas.push(el);
    for (const w of [...waiters]) {
      if (w.pred(el)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(el);
      }
    }
  });
  xmpp.on("error", () => {
    // failures surface through start() or waitFor() timeouts
  });
  const address = await xmpp.start();
  const waitFor = (pred: (el: Element) => boolean, ms = 5000) => {
    const found = stanzas.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(entry), 1);
        reject(new Error(`no matching stanza within ${ms} ms; received:\n${stanzas.map(String).join("\n")}`));
      }, ms);
      const entry = {
        pred,
        resolve: (el: Element) => {
          clearTimeout(timer);
          resolve(el);
        },
      };
      waiters.push(entry);
    });
  };
  return {
    xmpp,
    jid: address.toString(),
    stanzas,
    waitFor,
    stop: async () => {
      try {
        await xmpp.stop();
      } catch {
        // already closed
      }
    },
  };
}
