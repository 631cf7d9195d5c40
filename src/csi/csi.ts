// XEP-0352 v1.0 Client State Indication (urn:xmpp:csi:0), as pure functions.
//
// §3 / §4: <csi xmlns='urn:xmpp:csi:0'/> is a stream feature; the client sends
// <active/> or <inactive/> (nonzas, never answered, not counted by XEP-0198).
// CONTRACT.md: both are accepted at any time after bind and never answered with an error.
//
// While inactive, what is held back (§5 leaves the policy to the server; "nothing is
// lost" is ours):
// - held: presence updates, i.e. available (no type) and unavailable presence, keyed by
//   the sender's full JID: only the latest per sender is kept; flushed on <active/>.
// - passes at once: every message (with a body, and also without one: chat states,
//   receipts, carbons: holding them would reorder them after a later message with a
//   body from the same sender, and dropping them would lose receipts), every IQ
//   (someone waits for the answer), and presence that is not an update: subscription
//   requests and answers, probes and presence errors, which need the user or change state.
import { type Element, xml } from "../xml/stanza";

export const NS_CSI = "urn:xmpp:csi:0";

export type CsiState = "active" | "inactive";

/** §3: the stream feature. */
export function csiFeature(): Element {
  return xml("csi", { xmlns: NS_CSI });
}

/** The state an element asks for, or null when it is not a CSI nonza. */
export function csiRequest(el: Element): CsiState | null {
  if (el.attrs.xmlns !== NS_CSI) return null;
  if (el.name === "active") return "active";
  if (el.name === "inactive") return "inactive";
  return null;
}

export type CsiDecision = { kind: "pass" } | { kind: "hold"; key: string };

/** What to do with a stanza for the client in state `state`. */
export function csiDecide(state: CsiState, stanza: Element): CsiDecision {
  if (state === "active" || stanza.name !== "presence") return { kind: "pass" };
  const type = stanza.attrs.type;
  if (type !== undefined && type !== "unavailable") return { kind: "pass" };
  return { kind: "hold", key: stanza.attrs.from ?? "" };
}
