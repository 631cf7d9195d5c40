// A short run of `npm run fuzz` (scripts/fuzz.mjs) against the e2e gateway, so that it is
// part of `npm test`: generated malformed and hostile frames from streams before
// authentication, logged-in clients and components; each must get the right stream
// error, nothing non-well-formed (nor anything of a bad frame) may reach the receiving
// user or component, valid tricky frames must arrive intact, /health must stay 200.
// The seed is printed; a failure is reproduced with `npm run fuzz -- --seed=S --frames=N`.
import { describe, expect, it } from "vitest";
import { runFuzz } from "../../scripts/lib/fuzz-run.mjs";
import { COMPONENT_SECRETS, E2E_CONFIG } from "./support/config";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";

const FRAMES = 2000;

describe("npm run fuzz, short", () => {
  it(`${FRAMES} generated frames: right stream errors, nothing bad forwarded, /health 200`, { timeout: 300_000 }, async () => {
    const sender = uniqueName("fz-s");
    const receiver = uniqueName("fz-r");
    await createUser(`${sender}@localhost`, "pw");
    await createUser(`${receiver}@localhost`, "pw");
    // Components of the e2e configuration that no other test holds at this moment.
    const comp = (jid: string) => ({ jid, secret: COMPONENT_SECRETS[jid]! });
    const seed = Math.floor(Math.random() * 1_000_000);
    console.log(`fuzz seed ${seed}`);
    const result = await runFuzz({
      base: gatewayUrl(),
      host: "localhost",
      users: { sender, receiver, password: "pw" },
      // Two per worker: one for bad frames (a new stream each), one kept for valid ones.
      components: {
        senders: ["privnone.comp.localhost", "privro.comp.localhost", "echo.comp.localhost", "deleg.comp.localhost", "priv.comp.localhost", "pubsub.localhost"].map(comp),
        receiver: comp("comp.localhost"),
      },
      frames: FRAMES,
      seed,
      concurrency: 3,
      maxBytes: E2E_CONFIG.limits.max_stanza_size,
    });
    expect(result.problems, `seed ${seed}`).toEqual([]);
    expect(result.frames).toBe(FRAMES);
    expect(result.bad).toBeGreaterThan(FRAMES / 2);
    expect(result.valid).toBeGreaterThan(FRAMES / 10);
    expect(Object.keys(result.byCondition).sort()).toEqual(["not-well-formed", "policy-violation", "restricted-xml", "unsupported-encoding"]);
  });
});
