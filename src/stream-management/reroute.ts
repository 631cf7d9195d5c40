// What becomes of the stanzas a session still holds when it ends without resumption
// (the window passed, the queue overflowed, or the client closed the stream with
// stanzas unacknowledged). XEP-0198 §5 leaves it to the server; CONTRACT.md: no message
// is lost, nothing is bounced that could have been kept.
//
// - message (not type error): rerouted as if sent to the user's bare JID (RFC 6121
//   §8.5.2: another resource of the highest priority, else offline storage), whatever
//   its 'to' was: the client never saw it, so the §8.5.3.2.1 "silently ignore" of a
//   normal message to a gone full JID would lose it. A groupchat message cannot be
//   kept (offline storage never takes it, §8.5.2.1.1): the room gets service-unavailable,
//   the choice §8.5.3.2.1 allows, so it learns the occupant is gone.
// - message type error: dropped (RFC 6120 §8.3.1: never answer an error).
// - message from the account's own bare JID: dropped. Those are made for that one
//   session (XEP-0280 carbon copies, XEP-0313 query results): the archive has them,
//   and stored offline they would come back as if someone had sent them.
// - iq get/set: answered service-unavailable from the resource (RFC 6121 §8.5.3.2.2).
// - iq result/error: dropped.
// - presence: dropped; the contact's next presence or a probe renews it.
import { parseTrusted } from "../xml/frame-parser";
import { errorReply } from "../xml/stanza";
import { parseMessageType } from "../im/delivery-rules";

export interface Rerouted {
  /** Messages to deliver by the bare-JID rules of RFC 6121 §8.5.2, in order. */
  messages: string[];
  /** Error replies to route back to the senders (IQ requests, groupchat). */
  errors: string[];
  /** How many stanzas were dropped (presence, responses). */
  dropped: number;
}

/** `owner`: the account's bare JID (its own copies and results are not rerouted). */
export function rerouteHeld(stanzas: readonly string[], owner: string): Rerouted {
  const out: Rerouted = { messages: [], errors: [], dropped: 0 };
  for (const raw of stanzas) {
    const el = parseTrusted(raw);
    const type = el.attrs.type;
    if (el.name === "message") {
      const t = parseMessageType(type);
      if (t === "error" || el.attrs.from === owner) out.dropped++;
      else if (t === "groupchat") out.errors.push(errorReply(el, "service-unavailable").toString());
      else out.messages.push(raw);
    } else if (el.name === "iq" && (type === "get" || type === "set")) {
      out.errors.push(errorReply(el, "service-unavailable").toString());
    } else {
      out.dropped++;
    }
  }
  return out;
}
