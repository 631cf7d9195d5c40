// What a stream handler needs from the object holding the socket. The Durable
// Object implements it; handlers stay free of platform details.
import type { GatewayConfig } from "../config";
import type { Services } from "../pipeline/context";
import type { Element, StreamErrorCondition } from "../xml/stanza";
import type { SmSide } from "../stream-management/sm-side";
import type { RequestsInFlight } from "../component/requests-in-flight";

export interface Connection<State> {
  readonly services: Services;
  readonly config: GatewayConfig;
  /** This connection's object id: how other objects reach it. */
  readonly sessionId: string;
  /** Secrets the stream needs (XEP-0114 component secrets); never logged. */
  readonly secrets: { component(jid: string): string | undefined };
  /** The client's address (CF-Connecting-IP), for authentication throttling. */
  readonly remoteAddress: string;
  state: State;
  /** Persists `state` with the socket so it survives hibernation. */
  save(): void;
  send(el: Element | string): void;
  /** Sends a stream error (if given), then <close/>, then closes the socket. */
  close(condition?: StreamErrorCondition, text?: string): Promise<void>;
  /** Takes a token from this connection's rate limiter; false when it is flooding. */
  allowStanza(): boolean;
  /** A component connection's own pending XEP-0355 requests (./../delegation/connection-delegations.ts). */
  readonly delegations?: {
    answer(stanza: Element): Promise<boolean>;
    closed(): Promise<void>;
  };
  /** A component connection's IQ requests written and not answered yet (../component/requests-in-flight.ts). */
  readonly requests?: RequestsInFlight;
  /** A client's IQ answer to the connection's own ping (./reader-proof.ts): true when it
   *  is one, taken as proof that the client reads and routed nowhere. */
  readingProof?(el: Element): boolean;
  /** XEP-0198 / XEP-0352 support of the object holding a client socket. */
  readonly sm?: SmSide;
  /** Keeps the object alive until `p` settles (work after the reply). */
  waitUntil(p: Promise<unknown>): void;
}
