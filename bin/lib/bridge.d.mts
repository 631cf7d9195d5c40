import type { AddressInfo } from "node:net";

export declare const HANDSHAKE_TIMEOUT_MS: number;
export declare const PRE_HANDSHAKE_CHARS: number;
export declare const DEFAULT_MAX_STANZA_SIZE: number;
export declare const DEFAULT_MAX_CONNECTIONS: number;

export interface RunningBridge {
  address: AddressInfo;
  connections(): number;
  close(): Promise<void>;
}

export declare function startBridge(options: {
  gateway: string;
  host: string;
  port: number;
  log?: (line: string) => void;
  maxConnections?: number;
  maxStanzaSize?: number;
  handshakeTimeoutMs?: number;
}): Promise<RunningBridge>;
