// The state of one client stream, kept in the socket's attachment (≤16 KiB, plain
// JSON) so that it survives hibernation. RFC 6120 §4.3.2 order of negotiation:
// open → SASL → restart → bind → stanzas.
import type { ScramPending } from "../sasl";

export type ClientState =
  | { kind: "client"; phase: "connected" }
  | { kind: "client"; phase: "sasl"; host: string; streamId: string; scram?: ScramPending; failures?: number; attempts?: number }
  | { kind: "client"; phase: "restart"; host: string; bare: string }
  // `resuming`: a XEP-0198 <resume/> is under way; stanzas for the session are kept under that id.
  | { kind: "client"; phase: "bind"; host: string; bare: string; streamId: string; resuming?: string }
  // `smId`: XEP-0198 is on for this stream (its session in the connection object's SmStore).
  // `csi`: the stream sent a XEP-0352 nonza (its state is in the connection object's CsiStore).
  // `available`: the resource's last broadcast presence was available (true) or unavailable
  // (false, also before the first); after a XEP-0198 resumption, the account's record;
  // unknown on a stream whose attachment predates the field, until the client's next broadcast.
  | { kind: "client"; phase: "bound"; host: string; bare: string; resource: string; full: string; streamId: string; smId?: string; csi?: true; available?: boolean }
  | { kind: "client"; phase: "closed" };
