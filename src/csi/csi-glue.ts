// The connection object's side of XEP-0352: a CSI nonza, and the filter a stanza for
// the client passes before it is written (and, with SM on, counted and kept).
import type { Element } from "../xml/stanza";
import { csiDecide, csiRequest } from "./csi";
import type { CsiStore } from "./hold-store";

/**
 * <active/> or <inactive/>: never answered (CONTRACT.md). Returns the stanzas to write
 * now (the held presence, on <active/>), or null when `el` is not a CSI nonza.
 */
export function onCsiNonza(store: CsiStore, owner: string, el: Element): string[] | null {
  const state = csiRequest(el);
  if (state === null) return null;
  return store.setState(owner, state);
}

/** The stanzas to write now, in order, for one stanza to the client (`raw` is `stanza` serialised). */
export function csiFilter(store: CsiStore, owner: string, stanza: Element, raw: string): string[] {
  const d = csiDecide(store.state(owner), stanza);
  if (d.kind === "pass") return [raw];
  const out = store.hold(owner, d.key, raw);
  return out.kind === "held" ? [] : out.stanzas;
}
