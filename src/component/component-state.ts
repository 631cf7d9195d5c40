// The state of one component connection (XEP-0114 over RFC 7395 framing), kept in the socket attachment.
export type ComponentState =
  | { kind: "component"; phase: "connected" }
  | { kind: "component"; phase: "handshake"; jid: string; streamId: string }
  | { kind: "component"; phase: "ready"; jid: string; streamId: string }
  | { kind: "component"; phase: "closed"; jid?: string };
