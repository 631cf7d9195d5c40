// What a client's connection knows of its own account's outbound rules, so that a stanza
// needs a synchronous call to the sender's account only when that account may refuse it:
// the blocklist (XEP-0191: stanzas to a blocked JID are refused). Cached per isolate, read
// from the account once, dropped when the account's blocklist changes (the account tells
// every connection of the user: ConnectionPort.forgetSenderView), or when the object is
// evicted.
import type { Ports } from "../ports/ports";
import { isBlocked } from "../blocking/matching";

const MAX_VIEWS = 4096;
const views = new Map<string, ReadonlySet<string>>();

/** Whether the account of `bare` refuses stanzas to `to` (its blocklist matches). */
export async function sendsBlocked(ports: Ports, bare: string, to: string): Promise<boolean> {
  let blocked = views.get(bare);
  if (!blocked) {
    blocked = new Set((await ports.account(bare).outgoingView()).blocked);
    if (views.size >= MAX_VIEWS) views.delete(views.keys().next().value!);
    views.set(bare, blocked);
  }
  return blocked.size > 0 && isBlocked(blocked, to);
}

export function forgetSenderView(bare: string): void {
  views.delete(bare);
}
