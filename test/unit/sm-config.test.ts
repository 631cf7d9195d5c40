// XMPP_CONFIG.stream_management: resume_window and max_queue (CONTRACT.md "Sessions
// that survive"), parsed by the pure function src/config/parse.ts will call.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/types";
import { parseStreamManagement } from "../../src/stream-management/config";
import { parseConfig } from "../../src/config";

function errorOf(raw: unknown): ConfigError {
  const r = parseStreamManagement(raw);
  if (!(r instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${JSON.stringify(r)}`);
  return r;
}

describe("stream_management configuration", () => {
  it("defaults to a 300 s window and a queue of 500 when absent or empty", () => {
    expect(parseStreamManagement(undefined)).toEqual({ resumeWindow: 300, maxQueue: 500 });
    expect(parseStreamManagement({})).toEqual({ resumeWindow: 300, maxQueue: 500 });
  });

  it("takes any positive whole numbers", () => {
    expect(parseStreamManagement({ resume_window: 1, max_queue: 1 })).toEqual({ resumeWindow: 1, maxQueue: 1 });
    expect(parseStreamManagement({ resume_window: 86400 })).toEqual({ resumeWindow: 86400, maxQueue: 500 });
    expect(parseStreamManagement({ max_queue: 10000 })).toEqual({ resumeWindow: 300, maxQueue: 10000 });
  });

  it.each([
    ["zero", { resume_window: 0 }, "XMPP_CONFIG.stream_management.resume_window"],
    ["negative", { resume_window: -5 }, "XMPP_CONFIG.stream_management.resume_window"],
    ["fraction", { resume_window: 1.5 }, "XMPP_CONFIG.stream_management.resume_window"],
    ["string", { resume_window: "300" }, "XMPP_CONFIG.stream_management.resume_window"],
    ["queue zero", { max_queue: 0 }, "XMPP_CONFIG.stream_management.max_queue"],
    ["queue string", { max_queue: "500" }, "XMPP_CONFIG.stream_management.max_queue"],
    ["queue unsafe", { max_queue: 2 ** 60 }, "XMPP_CONFIG.stream_management.max_queue"],
  ])("names the bad key: %s", (_name, raw, key) => {
    const e = errorOf(raw);
    expect(e.key).toBe(key);
    expect(e.reason).toMatch(/positive whole number/);
  });

  it("refuses unknown keys and a value that is not a table", () => {
    expect(errorOf({ resume_windows: 10 }).key).toBe("XMPP_CONFIG.stream_management.resume_windows");
    expect(errorOf({ resume_windows: 10 }).reason).toContain("resume_window, max_queue");
    expect(errorOf({ "a.b": 1 }).key).toBe('XMPP_CONFIG.stream_management["a.b"]');
    expect(errorOf(300).key).toBe("XMPP_CONFIG.stream_management");
    expect(errorOf([]).key).toBe("XMPP_CONFIG.stream_management");
    expect(errorOf(null).key).toBe("XMPP_CONFIG.stream_management");
  });

  it("uses the path it is given", () => {
    const r = parseStreamManagement({ max_queue: -1 }, "cfg.sm");
    expect(r instanceof ConfigError && r.key).toBe("cfg.sm.max_queue");
  });
});

describe("stream_management in XMPP_CONFIG", () => {
  const base = { hosts: { localhost: {} } };

  it("is read by the configuration parser, with defaults when absent", () => {
    expect(parseConfig({ XMPP_CONFIG: base }).streamManagement).toEqual({ resumeWindow: 300, maxQueue: 500 });
    expect(parseConfig({ XMPP_CONFIG: { ...base, stream_management: { resume_window: 5, max_queue: 20 } } }).streamManagement).toEqual({ resumeWindow: 5, maxQueue: 20 });
  });

  it("refuses a bad value, naming the key", () => {
    let error: unknown;
    try {
      parseConfig({ XMPP_CONFIG: { ...base, stream_management: { resume_window: 0 } } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe("XMPP_CONFIG.stream_management.resume_window");
  });
});
