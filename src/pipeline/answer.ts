// A handler's usual last line: answer the sender and say the stanza was handled.
import type { Element } from "../xml/stanza";

export function answer(ctx: { reply(stanza: Element | string): void }, ...stanzas: (Element | string)[]): true {
  for (const s of stanzas) ctx.reply(s);
  return true;
}
