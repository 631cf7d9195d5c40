// The state of one client stream, kept in the socket's attachment (≤16 KiB, plain
// JSON) so that it survives hibernation. RFC 6120 §4.3.2 order of negotiation:
// open → SASL → restart → bind → stanzas.
import type { ScramPending } from "../sasl";

export type ClientState =
  | { kind: "client"; phase: "connected" }
  | { kind: "client"; phase: "sasl"; host: string; streamId: string; scram?: ScramPending; failures?: number; attempts?: number }
  | { kind: "client"; phase: "restart"; host: string; bare: string }
  | { kind: "client"; phase: "bind"; host: string; bare: string; streamId: string }
  | { kind: "client"; phase: "bound"; host: string; bare: string; resource: string; full: string; streamId: string }
  | { kind: "client"; phase: "closed" };
