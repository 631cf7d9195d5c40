import type { Element } from "ltx";

export declare const DEFAULT_MAX_ELEMENT_CHARS: number;

export interface SplitterHandlers {
  streamStart(name: string, attrs: Record<string, string>): void;
  element(el: Element): void;
  streamEnd(): void;
  error(condition: string, text: string): void;
}

export declare class StreamSplitter {
  constructor(handlers: SplitterHandlers, options?: { maxElementChars?: number });
  write(chunk: string): void;
}
