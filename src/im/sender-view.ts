// What a client's connection knows of its own account, so that a message needs the
// account only when the account has something to do with it.
// - Sent: refuse it (XEP-0191: the blocklist matches the recipient, asked before the
//   message goes), or act on it after it left (XEP-0313: archive it; XEP-0280: copy it to
//   the user's other resources with carbons on). A message that is neither archivable
//   nor carbon-copied (a chat state, a message with a no-store hint while no other
//   resource has carbons) costs no call to the account at all.
// - Received: a user's message to a full JID may come straight from the sender's
//   connection (src/im/outgoing.ts) when the recipient's account would only pass it on:
//   not archivable (XEP-0313 stamps and keeps those), no carbons <private/> to strip. The
//   recipient's connection then writes it only if its account's blocklist does not match
//   the sender (XEP-0191 §3.3) and no other resource would get a carbon copy (XEP-0280);
//   otherwise the sender takes the account's way. The account's messageArriving and
//   messageDelivered handlers are the MAM and carbons features' (the same test holds
//   that list).
// Cached per isolate, read from the account once, dropped when the account's blocklist
// or carbons change (the account tells every connection of the user:
// ConnectionPort.forgetSenderView), or when the object is evicted. The account's
// messageSent handlers are the MAM and carbons features' (test/unit/sender-view.test.ts
// holds that list): a feature that adds one must be asked about here.
import type { DirectMessage, Ports, SenderView } from "../ports/ports";
import type { Element } from "../xml/stanza";
import { isBlocked } from "../blocking/matching";
import { isArchivable } from "../mam/eligibility";
import { isCarbonEligible } from "../carbons/eligibility";
import { hasChild } from "../xml/forwarded";
import { NS } from "../xml/namespaces";

const MAX_VIEWS = 4096;
type View = { blocked: ReadonlySet<string>; carbons: readonly string[] };
const views = new Map<string, View>();
/** Bumped by every change told to this isolate: a view read across one is not kept. */
let changes = 0;

async function viewOf(ports: Ports, bare: string): Promise<View> {
  const known = views.get(bare);
  if (known) return known;
  const before = changes;
  const read: SenderView = await ports.account(bare).outgoingView();
  const view: View = { blocked: new Set(read.blocked), carbons: read.carbons };
  if (changes === before) {
    if (views.size >= MAX_VIEWS) views.delete(views.keys().next().value!);
    views.set(bare, view);
  }
  return view;
}

/** Whether the account of `bare` refuses stanzas to `to` (its blocklist matches). */
export async function sendsBlocked(ports: Ports, bare: string, to: string): Promise<boolean> {
  const { blocked } = await viewOf(ports, bare);
  return blocked.size > 0 && isBlocked(blocked, to);
}

/** Whether the account of `bare` acts on `message`, sent from `resource`, after it left
 *  (archive, sent carbons). The account decides the details; false only when neither can apply. */
export async function accountActsOn(ports: Ports, bare: string, resource: string, message: Element): Promise<boolean> {
  if (isArchivable(message)) return true;
  const { carbons } = await viewOf(ports, bare);
  return carbons.some((r) => r !== resource) && isCarbonEligible(message, "sent");
}

/** What the sender's connection hands over with a message it may deliver past the
 *  recipient's account, or null when that account must see it (see above). */
export function directMessage(message: Element, senderBare: string, recipientBare: string): DirectMessage | null {
  const from = message.attrs.from;
  if (!from || senderBare === recipientBare || isArchivable(message)) return null;
  if (hasChild(message, NS.carbons, ["private"])) return null;
  return { kind: "message", from, carbonEligible: isCarbonEligible(message, "received") };
}

/** Whether the connection of `bare`/`resource` may write a message that came past its
 *  account: the blocklist does not match the sender, and no other resource copies it. */
export async function acceptsDirect(ports: Ports, bare: string, resource: string, message: DirectMessage): Promise<boolean> {
  const { blocked, carbons } = await viewOf(ports, bare);
  if (blocked.size > 0 && isBlocked(blocked, message.from)) return false;
  return !(message.carbonEligible && carbons.some((r) => r !== resource));
}

/** Whether the blocklist of `bare` matches `from` (XEP-0191 §3.3: its presence is dropped). */
export async function blocksFrom(ports: Ports, bare: string, from: string): Promise<boolean> {
  const { blocked } = await viewOf(ports, bare);
  return blocked.size > 0 && isBlocked(blocked, from);
}

export function forgetSenderView(bare: string): void {
  changes++;
  views.delete(bare);
}
