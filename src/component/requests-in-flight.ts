// IQ requests written down a component's socket and not answered yet, kept in memory by
// the component's connection object, so that none goes unanswered when the socket closes.
// XEP-0114 has no acknowledgements: a request written while the component is going away
// (its close frame already on the way) would otherwise never get an answer, and RFC 6120
// §8.2.3 says every IQ request gets one. Answers are matched as they come up the socket
// (by the requester's JID and the id); at the close every request still open is answered
// service-unavailable from the address it was sent to.
// Memory only, like the socket itself: a restart of the runtime drops both. Bounded: past
// MAX_REQUESTS_IN_FLIGHT the oldest is forgotten (left to the component), never the stream.
import { type Element, errorReply, xml } from "../xml/stanza";
import { NS } from "../xml/namespaces";

export const MAX_REQUESTS_IN_FLIGHT = 10_000;

type Request = { from: string; to: string; id: string; type: string };

/** What a stanza's opening tag says: all that is needed to remember a request. */
export type StanzaHead = Pick<Element, "name" | "attrs">;

/** The head of a stanza, to hand across an RPC with its text (saves the receiver a parse). */
export function headOf(stanza: Element): StanzaHead {
  const { type, from, to, id } = stanza.attrs;
  return { name: stanza.name, attrs: { type, from, to, id } };
}

function key(requester: string, id: string): string {
  return `${requester}\u0000${id}`;
}

export class RequestsInFlight {
  private readonly open = new Map<string, Request>();

  get size(): number {
    return this.open.size;
  }

  /** A stanza written to the component (its name and attributes are enough): an IQ
   *  request is remembered until answered. */
  sent(stanza: StanzaHead): void {
    const { type, from, to, id } = stanza.attrs;
    if (stanza.name !== "iq" || (type !== "get" && type !== "set") || !from || !to || id === undefined) return;
    if (this.open.size >= MAX_REQUESTS_IN_FLIGHT) this.open.delete(this.open.keys().next().value!);
    this.open.set(key(from, id), { from, to, id, type });
  }

  /** A stanza from the component: an IQ response closes the request it answers. */
  answered(stanza: Element): void {
    if (stanza.name !== "iq" || (stanza.attrs.type !== "result" && stanza.attrs.type !== "error") || this.open.size === 0) return;
    this.open.delete(key(stanza.attrs.to ?? "", stanza.attrs.id ?? ""));
  }

  /** The socket is gone: the answers for every request still open, oldest first. */
  takeAll(component: string): Element[] {
    const replies = [...this.open.values()].map((r) =>
      errorReply(xml("iq", { xmlns: NS.client, from: r.from, to: r.to, id: r.id, type: r.type }), "service-unavailable", `${component} disconnected`));
    this.open.clear();
    return replies;
  }
}
