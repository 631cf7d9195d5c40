// Where a stanza goes, decided from its `to` and the configuration alone, once per
// stanza. Prosody's router classifies the same way (host, bare, full); nothing here
// touches storage, so it is cheap on every stanza.
import type { GatewayConfig } from "../config";
import type { Jid } from "../jid/jid";

export type Destination =
  | { kind: "host"; host: string } // a configured virtual host itself
  | { kind: "account"; host: string; bare: string; resource: string } // a user at a host (resource "" = bare)
  | { kind: "component"; component: string } // a component's domain or any JID at it
  | { kind: "remote"; domain: string }; // anything else: no server-to-server here

/** The destination part of an event name: `self` is the sender's own bare JID. */
export type DestinationKind = "host" | "self" | "bare" | "full" | "component" | "remote";

export function classify(config: GatewayConfig, to: Jid): Destination {
  if (config.components[to.domain]) return { kind: "component", component: to.domain };
  if (config.hosts[to.domain]) {
    if (!to.local) return { kind: "host", host: to.domain };
    return { kind: "account", host: to.domain, bare: to.bare, resource: to.resource };
  }
  return { kind: "remote", domain: to.domain };
}

/** The event kind of a destination, as seen by a sender whose bare JID is `senderBare`. */
export function destinationKind(dest: Destination, senderBare: string): DestinationKind {
  if (dest.kind !== "account") return dest.kind;
  if (dest.resource) return "full";
  return dest.bare === senderBare ? "self" : "bare";
}
