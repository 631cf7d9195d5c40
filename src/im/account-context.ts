// The account stage: a stanza addressed to an account, in that account's object.
// Fired with the same event names as the origin stage, without the `pre-` prefix:
// `message/full`, `iq-get/self/{jabber:iq:roster}query`, `presence/bare`, ...
// DEST is `self` when the sender is the account itself, `full` for one of its
// resources, `bare` for anyone else writing to the bare JID.
import type { Jid } from "../jid/jid";
import type { Services } from "../pipeline/context";
import type { Element } from "../xml/stanza";
import type { Account } from "./account";

export interface AccountContext {
  readonly services: Services;
  readonly account: Account;
  /** False for a JID nobody registered (or a deleted account): see no-account.ts. */
  readonly exists: boolean;
  readonly stanza: Element;
  /** The stanza as it arrived, to forward unchanged. */
  readonly raw: string;
  readonly name: "message" | "presence" | "iq";
  readonly type: string | undefined;
  /** The sender's bare JID (trusted). */
  readonly fromBare: string;
  readonly to: Jid;
  readonly kind: "self" | "bare" | "full";
  /** For an IQ get/set: its single payload element, or null. */
  readonly payload: Element | null;
  reply(stanza: Element | string): void;
}
