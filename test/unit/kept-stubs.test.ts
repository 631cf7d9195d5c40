// Stubs kept per object instance (src/ports/from-env.ts, keptStubs): one per target while
// it works, a new one after a call through it failed, and never taken for a promise.
import { describe, expect, it } from "vitest";
import { keptStubs } from "../../src/ports/from-env";

interface Echo {
  echo(x: string): Promise<string>;
}

function fakeStubs(failFirst: Set<string>) {
  const made: string[] = [];
  const make = (key: string): Echo => {
    made.push(key);
    const n = made.length;
    return {
      echo: async (x: string) => {
        if (failFirst.delete(key)) throw new Error(`stub ${n} broke`);
        return `${key}:${n}:${x}`;
      },
    };
  };
  return { make, made };
}

describe("stubs kept per object", () => {
  it("makes one stub per target and reuses it for every call", async () => {
    const { make, made } = fakeStubs(new Set());
    const port = keptStubs(make);
    expect(await port("a").echo("1")).toBe("a:1:1");
    expect(await port("a").echo("2")).toBe("a:1:2");
    expect(await port("b").echo("3")).toBe("b:2:3");
    expect(port("a")).toBe(port("a"));
    expect(made).toEqual(["a", "b"]);
  });

  it("drops a stub whose call failed: the caller sees the error, the next call gets a new stub", async () => {
    const { make, made } = fakeStubs(new Set(["a"]));
    const port = keptStubs(make);
    await expect(port("a").echo("1")).rejects.toThrow("stub 1 broke");
    expect(await port("a").echo("2")).toBe("a:2:2");
    expect(made).toEqual(["a", "a"]);
  });

  it("is not a thenable: awaiting a port gives the port, and sends nothing", async () => {
    const calls: string[] = [];
    const port = keptStubs((key) => new Proxy({}, { get: (_t, name) => async () => calls.push(`${key}.${String(name)}`) }) as Echo);
    const p = port("a");
    expect(await Promise.resolve(p)).toBe(p);
    expect((p as unknown as { then?: unknown }).then).toBeUndefined();
    expect(calls).toEqual([]);
  });
});
