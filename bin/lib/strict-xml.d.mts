import type { Element } from "ltx";

export declare const MAX_DEPTH: number;

export declare class XmlRefusal extends Error {
  constructor(condition: string, text: string);
  condition: string;
}

export declare function parseStrictFrame(
  text: string,
  options?: { maxBytes?: number; maxDepth?: number },
): { ok: true; element: Element } | { ok: false; condition: string; text: string };
