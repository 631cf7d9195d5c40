// What a connection object lends a client stream for XEP-0198 and XEP-0352: its
// stores and its one writer of stanzas (src/stream-management/client-sm.ts uses it).
import type { Element } from "../xml/stanza";
import type { SmStore } from "./session-store";
import type { CsiStore } from "../csi/hold-store";
import type { StreamManagementConfig } from "./config";

/** The CSI owner key: a connection object holds one stream. */
export const CSI_OWNER = "stream";

/** What the connection object lends the stream for SM and CSI. */
export interface SmSide {
  readonly store: SmStore;
  readonly csi: CsiStore;
  readonly cfg: StreamManagementConfig;
  /** Writes a stanza to the client the way every stanza is written (counted when SM is on). */
  write(raw: string): Promise<void>;
  /** Writes a nonza or stream element as is. */
  writeRaw(el: Element | string): void;
  /** The client acknowledged `h` of `sent` stanzas (wire values): proof that it reads. */
  acked(h: number, sent: number): void;
  /** Wakes the connection object at `at` (ms) unless it wakes earlier. */
  scheduleAlarm(at: number): Promise<void>;
}

