import type { Element } from "ltx";

export declare const NS_COMPONENT: string;
export declare const NS_CLIENT: string;
export declare const NS_STREAMS: string;
export declare const NS_FRAMING: string;
export declare const NS_STREAM_ERRORS: string;

export declare function checkTcpHeader(
  name: string,
  attrs: Record<string, string>,
): { ok: true; to: string } | { ok: false; condition: string; text: string };
export declare function wsOpen(to: string): string;
export declare function wsClose(): string;
export declare function tcpHeader(attrs: { from?: string; id?: string }): string;
export declare function tcpFooter(): string;
export declare function tcpStreamError(condition: string, text?: string): string;
export declare function tcpToWs(el: Element, headerAttrs: Record<string, string>): string;
export declare function isTcpStreamError(el: Element, headerAttrs: Record<string, string>): boolean;
export type WsMessage =
  | { kind: "open"; id: string | undefined; from: string | undefined }
  | { kind: "close" }
  | { kind: "error"; condition: string; xml: string }
  | { kind: "handshake"; xml: string }
  | { kind: "stanza"; xml: string }
  | { kind: "invalid"; text: string };
export declare function wsToTcp(frame: string): WsMessage;
