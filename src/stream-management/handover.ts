// What the account and the connection objects say to each other when a session moves
// (XEP-0198 §5 resumption on a new connection) or ends (docs/stream-management.md).
// Plain data: these travel over RPC.
import type { Rerouted } from "./reroute";
import type { SmSnapshot } from "./session-store";

/** The old connection object's answer to "give session `previd` to connection C2". */
export type SmHandOver =
  | { kind: "resumed"; snapshot: SmSnapshot }
  /** Ended (window passed); `rerouted` is set when it ended just now and its stanzas must go elsewhere. */
  | { kind: "expired"; h: number; resource?: string; rerouted?: Rerouted }
  | { kind: "too-high"; h: number; sendCount: number }
  | { kind: "not-found" };

/** The account's answer to a new connection's <resume/>. */
export type SmResumeAnswer =
  /** `pending`: stanzas the account kept for the resource while it moved, after the snapshot's queue.
   *  `available`: whether the account counts the resource as available (its last broadcast
   *  presence), which the new connection needs to take contacts' presences itself. */
  | { kind: "resumed"; snapshot: SmSnapshot; pending: string[]; available: boolean }
  | { kind: "failed"; h?: number }
  | { kind: "too-high"; h: number; sendCount: number };

/** What an ended session still held, for the account to deliver (RFC 6121) or answer. */
export interface SmEnding {
  id: string;
  resource: string;
  connection: string;
  rerouted: Rerouted;
  /** Past the queue bound (CONTRACT.md): messages go to offline storage, not to other resources. */
  offlineOnly: boolean;
}
