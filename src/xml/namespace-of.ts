// The namespace an element is in. parseFrame puts every element's resolved namespace
// in its own `xmlns` whenever it differs from its parent's, so the answer is the
// nearest `xmlns` going up. Unlike ltx's getNS, an explicit empty `xmlns=""` (no
// namespace) is an answer, not a reason to keep looking.
import type { Element } from "ltx";

/** The element's namespace, or undefined when neither it nor an ancestor names one. */
export function namespaceOf(el: Element): string | undefined {
  for (let e: Element | null = el; e; e = e.parent) {
    const ns = e.attrs.xmlns;
    if (typeof ns === "string") return ns;
  }
  return undefined;
}
