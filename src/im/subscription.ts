// Presence subscription state machine of RFC 6121 §3, as pure decisions.
//
// The account object owns storage and I/O; it asks these functions what a
// subscription stanza does to a contact's state, whether the stanza travels
// on, and what else must happen (roster push, presence, auto-reply).
//
// The implementation follows the prose rules of §3; the tests check it
// against the state tables of Appendix A, row by row.
//
// References:
//   RFC 6121 §2.1.2.2 (ask), §2.1.2.5 (subscription), §2.5.2 (roster remove)
//   RFC 6121 §3.1.2 / §3.1.3 / §3.1.5 / §3.1.6 (subscribe, approve)
//   RFC 6121 §3.2.2 / §3.2.3 (cancel: outbound/inbound "unsubscribed")
//   RFC 6121 §3.3.2 / §3.3.3 (unsubscribe)
//   RFC 6121 §3.4 (pre-approval: not supported, not advertised)
//   RFC 6121 Appendix A.1 (defined states), A.2 (outbound), A.3 (inbound)
//   https://www.rfc-editor.org/rfc/rfc6121#appendix-A

export type Subscription = "none" | "to" | "from" | "both";

/**
 * What the user's server knows about one contact.
 * The nine states of Appendix A.1 are (subscription, askOut, pendingIn);
 * "Pending Out" is askOut, "Pending In" is pendingIn.
 */
export interface ContactState {
  subscription: Subscription;
  /** ask='subscribe': the user asked the contact and got no answer yet. */
  askOut: boolean;
  /** The contact asked the user and the user has not answered yet. */
  pendingIn: boolean;
  /**
   * A visible roster item exists. A contact known only through a pending
   * inbound request has none (§3.1.3: the server MUST NOT add one before the
   * user approves), but its pendingIn must still be stored.
   */
  inRoster: boolean;
}

export const NO_CONTACT: ContactState = Object.freeze({
  subscription: "none",
  askOut: false,
  pendingIn: false,
  inRoster: false,
});

export type SubscriptionType = "subscribe" | "subscribed" | "unsubscribe" | "unsubscribed";

/** The presence types that are subscription stanzas (RFC 6121 §3). */
export const SUBSCRIPTION_TYPES: ReadonlySet<string> = new Set<SubscriptionType>(["subscribe", "subscribed", "unsubscribe", "unsubscribed"]);

export function isSubscriptionType(type: string | undefined): type is SubscriptionType {
  return type !== undefined && SUBSCRIPTION_TYPES.has(type);
}

export interface OutboundDecision {
  next: ContactState;
  /** Stamp the stanza and send it on to the contact. */
  route: boolean;
  /** Roster push to the user's interested resources (the item changed). */
  push: boolean;
  /**
   * "available": after an approval, send the user's current presence from
   * every available resource to the contact (§3.1.5).
   * "unavailable": after a cancellation that took away the contact's 'from',
   * send unavailable presence from every available resource to the contact,
   * before routing the "unsubscribed" (§3.2.2).
   */
  sendPresence: "none" | "available" | "unavailable";
}

export interface InboundDecision {
  next: ContactState;
  /**
   * Deliver the stanza to the user's available resources. For "subscribe",
   * next.pendingIn records the request so that the caller can deliver it
   * again when a resource becomes available (§3.1.3).
   */
  deliver: boolean;
  push: boolean;
  /** The contact already has 'from'/'both': answer "subscribed" on the user's behalf (§3.1.3). */
  autoReply: "none" | "subscribed";
  /**
   * "unavailable": the contact unsubscribed from the user's presence; send
   * unavailable presence from each of the user's available resources to the
   * contact (§3.3.3).
   */
  sendPresence: "none" | "unavailable";
}

/** The contact receives the user's presence. */
export function sendsPresenceTo(s: Subscription): boolean {
  return s === "from" || s === "both";
}

/** The user receives the contact's presence (targets of the user's probes). */
export function wantsPresenceFrom(s: Subscription): boolean {
  return s === "to" || s === "both";
}

/** The roster item's attributes (§2.1.2.2, §2.1.2.5). */
export function rosterItemAttributes(state: ContactState): { subscription: Subscription; ask?: "subscribe" } {
  const s = normalize(state);
  return s.askOut ? { subscription: s.subscription, ask: "subscribe" } : { subscription: s.subscription };
}

/** The Appendix A.1 name of a state, e.g. "None + Pending Out+In" (for logs and tests). */
export function describeState(state: ContactState): string {
  const s = normalize(state);
  const base = { none: "None", to: "To", from: "From", both: "Both" }[s.subscription];
  if (s.askOut && s.pendingIn) return `${base} + Pending Out+In`;
  if (s.askOut) return `${base} + Pending Out`;
  if (s.pendingIn) return `${base} + Pending In`;
  return base;
}

/** A stanza of `type` sent by the user to the contact (Appendix A.2). */
export function outbound(state: ContactState, type: SubscriptionType): OutboundDecision {
  const prev = normalize(state);
  switch (type) {
    case "subscribe": {
      // §3.1.2 / A.2.1: always routed; the item is created if needed and
      // marked ask='subscribe' unless the user is already subscribed.
      const next = { ...prev, inRoster: true, askOut: !hasTo(prev.subscription) };
      return outboundResult(prev, next, true, "none");
    }
    case "unsubscribe": {
      // §3.3.2 / A.2.2: always routed; drops 'to' and any pending request.
      const next = { ...prev, askOut: false, subscription: withoutTo(prev.subscription) };
      return outboundResult(prev, next, true, "none");
    }
    case "subscribed": {
      // §3.1.5 / A.2.3: only an answer to a pending inbound request is
      // routed. Anything else would be a pre-approval (§3.4), which we do
      // not support: the stanza is ignored.
      if (!prev.pendingIn) return outboundResult(prev, prev, false, "none");
      const next = { ...prev, inRoster: true, pendingIn: false, subscription: withFrom(prev.subscription) };
      return outboundResult(prev, next, true, "available");
    }
    case "unsubscribed": {
      // §3.2.2 / A.2.4: denies a pending inbound request and/or cancels the
      // contact's subscription; with neither, there is nothing to say.
      if (hasFrom(prev.subscription)) {
        const next = { ...prev, pendingIn: false, subscription: withoutFrom(prev.subscription) };
        return outboundResult(prev, next, true, "unavailable");
      }
      if (prev.pendingIn) return outboundResult(prev, { ...prev, pendingIn: false }, true, "none");
      return outboundResult(prev, prev, false, "none");
    }
  }
}

/** A stanza of `type` received from the contact, addressed to the user (Appendix A.3). */
export function inbound(state: ContactState, type: SubscriptionType): InboundDecision {
  const prev = normalize(state);
  switch (type) {
    case "subscribe": {
      // §3.1.3 / A.3.1: already subscribed → the server approves again by
      // itself; a repeated request is not delivered twice; no roster item
      // is created for the requester.
      if (hasFrom(prev.subscription)) return inboundResult(prev, prev, false, "subscribed", "none");
      if (prev.pendingIn) return inboundResult(prev, prev, false, "none", "none");
      return inboundResult(prev, { ...prev, pendingIn: true }, true, "none", "none");
    }
    case "unsubscribe": {
      // §3.3.3 / A.3.2: the contact stops its subscription to the user's
      // presence (or withdraws its pending request).
      if (hasFrom(prev.subscription)) {
        const next = { ...prev, subscription: withoutFrom(prev.subscription) };
        return inboundResult(prev, next, true, "none", "unavailable");
      }
      if (prev.pendingIn) return inboundResult(prev, { ...prev, pendingIn: false }, true, "none", "none");
      return inboundResult(prev, prev, false, "none", "none");
    }
    case "subscribed": {
      // §3.1.6 / A.3.3: only honoured when the user asked (ask='subscribe');
      // otherwise silently ignored: not delivered, no change, no push.
      if (!prev.askOut) return inboundResult(prev, prev, false, "none", "none");
      const next = { ...prev, askOut: false, subscription: withTo(prev.subscription) };
      return inboundResult(prev, next, true, "none", "none");
    }
    case "unsubscribed": {
      // §3.2.3 / A.3.4: the contact cancels the user's subscription or
      // denies the user's pending request.
      if (!hasTo(prev.subscription) && !prev.askOut) return inboundResult(prev, prev, false, "none", "none");
      const next = { ...prev, askOut: false, subscription: withoutTo(prev.subscription) };
      return inboundResult(prev, next, true, "none", "none");
    }
  }
}

/**
 * Roster remove (§2.5.2): what the server sends to the contact before the
 * item goes. `sendUnavailable` comes with `sendUnsubscribed` when the
 * contact loses 'from' (as for an outbound "unsubscribed", §3.2.2).
 */
export function removeItem(state: ContactState): { sendUnsubscribe: boolean; sendUnsubscribed: boolean; sendUnavailable: boolean } {
  const s = normalize(state);
  return {
    sendUnsubscribe: hasTo(s.subscription) || s.askOut,
    sendUnsubscribed: hasFrom(s.subscription) || s.pendingIn,
    sendUnavailable: hasFrom(s.subscription),
  };
}

// --- internals ---

function hasTo(s: Subscription): boolean {
  return s === "to" || s === "both";
}

function hasFrom(s: Subscription): boolean {
  return s === "from" || s === "both";
}

function withTo(s: Subscription): Subscription {
  return s === "from" || s === "both" ? "both" : "to";
}

function withoutTo(s: Subscription): Subscription {
  return s === "both" || s === "from" ? "from" : "none";
}

function withFrom(s: Subscription): Subscription {
  return s === "to" || s === "both" ? "both" : "from";
}

function withoutFrom(s: Subscription): Subscription {
  return s === "both" || s === "to" ? "to" : "none";
}

/**
 * Folds any input onto one of the nine defined states (A.1): a pending
 * request in a direction that is already subscribed means nothing, and any
 * subscription or pending-out implies a roster item.
 */
function normalize(s: ContactState): ContactState {
  const askOut = s.askOut && !hasTo(s.subscription);
  const pendingIn = s.pendingIn && !hasFrom(s.subscription);
  const inRoster = s.inRoster || askOut || s.subscription !== "none";
  return { subscription: s.subscription, askOut, pendingIn, inRoster };
}

/** A roster push is due when the item the user can see appears or changes. */
function itemChanged(prev: ContactState, next: ContactState): boolean {
  if (prev.inRoster !== next.inRoster) return true;
  if (!next.inRoster) return false;
  const a = rosterItemAttributes(prev);
  const b = rosterItemAttributes(next);
  return a.subscription !== b.subscription || a.ask !== b.ask;
}

function outboundResult(
  prev: ContactState,
  next: ContactState,
  route: boolean,
  sendPresence: OutboundDecision["sendPresence"],
): OutboundDecision {
  return { next, route, push: itemChanged(prev, next), sendPresence };
}

function inboundResult(
  prev: ContactState,
  next: ContactState,
  deliver: boolean,
  autoReply: InboundDecision["autoReply"],
  sendPresence: InboundDecision["sendPresence"],
): InboundDecision {
  return { next, deliver, push: itemChanged(prev, next), autoReply, sendPresence };
}
