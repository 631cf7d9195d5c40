// Minimal types for @xmpp/client 0.14 (the package ships none): only what the e2e tests use.
declare module "@xmpp/client" {
  import type { Element } from "ltx";
  interface Address {
    toString(): string;
    local: string;
    domain: string;
    resource: string;
  }
  export interface Client {
    start(): Promise<Address>;
    stop(): Promise<void>;
    send(...elements: Element[]): Promise<void>;
    on(event: "stanza", listener: (el: Element) => void): this;
    on(event: "online", listener: (address: Address) => void): this;
    on(event: "offline" | "error" | "status", listener: (...args: unknown[]) => void): this;
    iqCaller: {
      request(el: Element, timeoutMs?: number): Promise<Element>;
      get(child: Element, to?: string, timeoutMs?: number): Promise<Element>;
      set(child: Element, to?: string, timeoutMs?: number): Promise<Element>;
    };
    reconnect: { stop(): void; start(): void; reconnect(): Promise<void> };
    /** @xmpp/stream-management (XEP-0198), on by default when the server offers it. */
    streamManagement: { enabled: boolean; id: string; on(event: "resumed" | "fail" | "ack", listener: (...args: unknown[]) => void): void };
    jid?: Address;
  }
  export function client(options: {
    service: string;
    domain?: string;
    username?: string;
    password?: string;
    resource?: string;
    credentials?: unknown;
  }): Client;
  export function xml(name: string, attrs?: Record<string, string | number | undefined> | null, ...children: Array<Element | string>): Element;
  export function jid(s: string): Address;
}
