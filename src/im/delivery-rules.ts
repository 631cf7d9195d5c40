// Where a stanza addressed to a local account goes: RFC 6121 §8.5, as pure
// decisions over the account's resources.
//
// The message rules follow the summary table of §8.5.4 (reproduced in the
// tests). Where the RFC leaves a choice, the choice made here is named in
// the comment of the function.
//
// Words used as in §8.5 / RFC 6120: a resource is "connected" once bound and
// "available" once it has sent initial presence and not yet unavailable.
// Every bound resource is in the `resources` list; `available` tells which.
//
// References:
//   RFC 6121 §5.2.2 (message type), §4.7.2.3 (priority)
//   RFC 6121 §8.5.1 (no such user)
//   RFC 6121 §8.5.2.1.1-3 / §8.5.2.2.1-3 (bare JID: message, presence, IQ)
//   RFC 6121 §8.5.3.1 / §8.5.3.2.1-3 (full JID: match, no match)
//   RFC 6121 §8.5.4 (summary of message delivery rules)
//   RFC 6120 §8.2.3, §8.3.1 (never answer a "result" or "error" with an error)
//   https://www.rfc-editor.org/rfc/rfc6121#section-8.5

export interface ResourceView {
  resource: string;
  priority: number;
  /** Sent initial presence and not unavailable since. */
  available: boolean;
}

export type MessageType = "normal" | "chat" | "groupchat" | "headline" | "error";

export type Delivery =
  | { kind: "resources"; resources: string[] }
  | { kind: "offline" }
  | { kind: "error"; condition: "service-unavailable" | "item-not-found" }
  | { kind: "drop" };

export type IqType = "get" | "set" | "result" | "error";

export type IqDelivery =
  | { kind: "resource"; resource: string }
  | { kind: "server" }
  | { kind: "error"; condition: "service-unavailable" }
  | { kind: "drop" };

/** Presence types as they appear on the wire; "available" is the absent 'type'. */
export type PresenceType =
  | "available"
  | "unavailable"
  | "probe"
  | "subscribe"
  | "subscribed"
  | "unsubscribe"
  | "unsubscribed"
  | "error";

/**
 * "account": a probe (§4.3) or a subscription stanza (§3), which the account
 * object handles itself whatever the resource in the 'to' address.
 */
export type PresenceDelivery = { kind: "resources"; resources: string[] } | { kind: "account" } | { kind: "drop" };

const MESSAGE_TYPES: ReadonlySet<string> = new Set<MessageType>(["normal", "chat", "groupchat", "headline", "error"]);

/** §5.2.2: a missing or unknown 'type' means "normal". */
export function parseMessageType(t: string | undefined): MessageType {
  return t !== undefined && MESSAGE_TYPES.has(t) ? (t as MessageType) : "normal";
}

/**
 * The "most available" resources: the available ones sharing the highest
 * priority, provided it is non-negative (§8.5.2.1.1; a negative priority
 * never receives bare-JID messages, §4.7.2.3). Input order is kept.
 */
export function highestPriority(resources: ResourceView[]): ResourceView[] {
  const eligible = nonNegativeAvailable(resources);
  if (eligible.length === 0) return [];
  const top = Math.max(...eligible.map((r) => r.priority));
  return eligible.filter((r) => r.priority === top);
}

/**
 * A message to the bare JID (§8.5.2, table §8.5.4 rows "bare").
 * - normal, chat: every resource of the highest non-negative priority ("M",
 *   the RFC lets us deliver to all of them); none → offline storage ("O").
 * - headline: every available non-negative resource ("A"); none → drop.
 * - groupchat: service-unavailable ("E"). error: drop.
 * - No account (§8.5.1): service-unavailable (of the two choices the RFC
 *   allows, the one that tells the sender), except type error: drop.
 */
export function messageToBare(type: MessageType, accountExists: boolean, resources: ResourceView[]): Delivery {
  if (type === "error") return DROP;
  if (!accountExists) return SERVICE_UNAVAILABLE;
  switch (type) {
    case "groupchat":
      return SERVICE_UNAVAILABLE;
    case "headline": {
      const targets = nonNegativeAvailable(resources);
      return targets.length > 0 ? toResources(targets) : DROP;
    }
    case "normal":
    case "chat": {
      const targets = highestPriority(resources);
      return targets.length > 0 ? toResources(targets) : OFFLINE;
    }
  }
}

/**
 * A message to a full JID (§8.5.3, table §8.5.4 rows "full").
 * - The resource is bound (available or not, any priority): delivered to
 *   it, whatever the type, "error" included (§8.5.3.1, "D").
 * - Otherwise (§8.5.3.2.1): chat is handled as if sent to the bare JID;
 *   normal and headline are silently ignored ("S"); groupchat gets
 *   service-unavailable (the other choice §8.5.3.2.1 allows: a room learns
 *   that the occupant is gone); error is dropped.
 * - No account (§8.5.1): as for the bare JID.
 */
export function messageToFull(
  type: MessageType,
  resource: string,
  accountExists: boolean,
  resources: ResourceView[],
): Delivery {
  if (!accountExists) return messageToBare(type, false, []);
  if (isBound(resource, resources)) return { kind: "resources", resources: [resource] };
  switch (type) {
    case "chat":
      return messageToBare("chat", true, resources);
    case "groupchat":
    case "normal":
      // §8.5.3.2.1 allows ignoring or bouncing; a normal message is bounced so that its
      // sender knows it was not delivered (nothing disappears without an answer).
      return SERVICE_UNAVAILABLE;
    case "headline":
    case "error":
      return DROP;
  }
}

/**
 * An IQ to a full JID: a bound resource gets it (§8.5.3.1); otherwise, or
 * without the account (§8.5.1), a request is answered service-unavailable
 * (§8.5.3.2.3) and a result or error is dropped (RFC 6120 §8.3.1).
 */
export function iqToFull(iqType: IqType, resource: string, accountExists: boolean, resources: ResourceView[]): IqDelivery {
  if (accountExists && isBound(resource, resources)) return { kind: "resource", resource };
  return isRequest(iqType) ? SERVICE_UNAVAILABLE : DROP;
}

/**
 * An IQ to the bare JID: the server answers on the user's behalf and never
 * hands it to a resource (§8.5.2.1.3, §8.5.2.2.3); without the account,
 * requests get service-unavailable (§8.5.1) and results/errors are dropped.
 */
export function iqToBare(iqType: IqType, accountExists: boolean): IqDelivery {
  if (accountExists) return { kind: "server" };
  return isRequest(iqType) ? SERVICE_UNAVAILABLE : DROP;
}

/**
 * Presence to the bare JID (§8.5.2.1.2, §8.5.2.2.2): available and
 * unavailable presence goes to every available resource, whatever its
 * priority (priority only steers messages); with none it is silently
 * ignored, not stored. A presence error is handled the same way (it answers
 * something a resource sent). Probes and subscription stanzas go to the
 * account. No account (§8.5.1): silently ignored.
 */
export function presenceToBare(type: PresenceType, accountExists: boolean, resources: ResourceView[]): PresenceDelivery {
  if (!accountExists) return DROP;
  if (isAccountPresence(type)) return ACCOUNT;
  const targets = resources.filter((r) => r.available);
  return targets.length > 0 ? toResources(targets) : DROP;
}

/**
 * Presence to a full JID: to that resource if it is bound (§8.5.3.1), else
 * silently ignored (§8.5.3.2.2). Probes and subscription stanzas are handled
 * as if addressed to the bare JID, by the account (§8.5.3.1 exceptions,
 * §3.1.3). No account (§8.5.1): silently ignored.
 */
export function presenceToFull(
  type: PresenceType,
  resource: string,
  accountExists: boolean,
  resources: ResourceView[],
): PresenceDelivery {
  if (!accountExists) return DROP;
  if (isAccountPresence(type)) return ACCOUNT;
  return isBound(resource, resources) ? { kind: "resources", resources: [resource] } : DROP;
}

// --- internals ---

const DROP = Object.freeze({ kind: "drop" } as const);
const OFFLINE = Object.freeze({ kind: "offline" } as const);
const ACCOUNT = Object.freeze({ kind: "account" } as const);
const SERVICE_UNAVAILABLE = Object.freeze({ kind: "error", condition: "service-unavailable" } as const);

function nonNegativeAvailable(resources: ResourceView[]): ResourceView[] {
  return resources.filter((r) => r.available && r.priority >= 0);
}

function isBound(resource: string, resources: ResourceView[]): boolean {
  // Resourceparts compare exactly (RFC 7622 §3.5: no case folding).
  return resources.some((r) => r.resource === resource);
}

function toResources(targets: ResourceView[]): { kind: "resources"; resources: string[] } {
  return { kind: "resources", resources: targets.map((r) => r.resource) };
}

function isRequest(t: IqType): boolean {
  return t === "get" || t === "set";
}

function isAccountPresence(t: PresenceType): boolean {
  return t === "probe" || t === "subscribe" || t === "subscribed" || t === "unsubscribe" || t === "unsubscribed";
}
