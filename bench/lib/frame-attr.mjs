// Shared by the generator and the floor Worker: no dependencies, so the floor's bundle stays minimal.

/** The value of attribute `name` on the top element of `frame`, by string search (no parse). */
export function attr(frame, name) {
  const end = frame.indexOf(">");
  const head = end < 0 ? frame : frame.slice(0, end);
  for (const q of ["'", '"']) {
    const key = ` ${name}=${q}`;
    const i = head.indexOf(key);
    if (i >= 0) {
      const start = i + key.length;
      return head.slice(start, head.indexOf(q, start));
    }
  }
  return null;
}
