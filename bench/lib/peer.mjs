// A peer server in the benchmark (`--peer prosody`, `--peer ejabberd`): Debian's Prosody
// 0.12 or ejabberd 23.01, configured from a temporary directory of our own (config file,
// data, logs, free loopback ports), started in its own process group and stopped by the
// bench. The system's /etc configuration and services are never touched. Clients connect
// over WebSocket (RFC 7395, /xmpp-websocket); the component over TCP (XEP-0114).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { stopGroup } from "./proc.mjs";
import { TcpComponent } from "./tcp-component.mjs";
import { qualifiedBases } from "./xmpp.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const PEERS = {
  prosody: {
    files: ["/usr/bin/prosody", "/usr/lib/prosody/modules/mod_delegation/mod_delegation.lua"],
    install: "apt-get install -y prosody prosody-modules",
    // mod_delegation implements urn:xmpp:delegation:2 (admin mode): the delegated scenario runs.
    delegation: true,
  },
  ejabberd: {
    files: ["/usr/sbin/ejabberdctl"],
    install: "apt-get install -y ejabberd",
    // 23.01 speaks only the old delegation namespace (urn:xmpp:delegation:1): no delegated scenario.
    delegation: false,
  },
};

/** Null when `name` is installed, else what to tell the user. */
export function missingPeer(name) {
  const peer = PEERS[name];
  if (!peer) return `unknown peer '${name}' (one of: ${Object.keys(PEERS).join(", ")})`;
  const missing = peer.files.filter((f) => !existsSync(f));
  if (missing.length === 0) return null;
  return `${name} is not installed (missing ${missing.join(", ")}). Install it with:\n  ${peer.install}\n` +
    `(then stop the system service the package starts: service ${name} stop; the bench runs its own instance)`;
}

const lua = (s) => JSON.stringify(s); // a Lua string literal for the characters we use

function prosodyConfig({ dir, ports, host, component, secret, ns }) {
  return `-- Written by bench/lib/peer.mjs for one benchmark run.
run_as_root = true
pidfile = ${lua(join(dir, "prosody.pid"))}
data_path = ${lua(join(dir, "data"))}
certificates = ${lua(join(dir, "certs"))}
log = { error = ${lua(join(dir, "prosody.log"))} }
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { ${ports.c2s} }
s2s_ports = { }
http_ports = { ${ports.http} }
http_interfaces = { "127.0.0.1" }
https_ports = { }
component_ports = { ${ports.component} }
component_interface = "127.0.0.1"
modules_enabled = { "roster", "saslauth", "disco", "ping", "register", "websocket", "delegation" }
modules_disabled = { "s2s", "tls", "offline", "c2s_limits" }
authentication = "internal_hashed"
storage = "internal"
allow_registration = true
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
consider_websocket_secure = true
cross_domain_websocket = true

VirtualHost ${lua(host)}
  delegations = { [${lua(ns)}] = { jid = ${lua(component)} } }

Component ${lua(component)}
  component_secret = ${lua(secret)}
  modules_enabled = { "delegation" }
`;
}

function ejabberdConfig({ dir, ports, host, component, secret }) {
  return `# Written by bench/lib/peer.mjs for one benchmark run.
hosts: [${JSON.stringify(host)}]
loglevel: warning
log_rotate_count: 0
registration_timeout: infinity
auth_method: internal
auth_password_format: scram
listen:
  - port: ${ports.c2s}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls_required: false
  - port: ${ports.http}
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /xmpp-websocket: ejabberd_http_ws
  - port: ${ports.component}
    ip: "127.0.0.1"
    module: ejabberd_service
    hosts:
      ${JSON.stringify(component)}:
        password: ${JSON.stringify(secret)}
acl:
  local:
    user_regexp: ""
access_rules:
  register:
    allow: all
  local:
    allow: local
shaper_rules:
  max_user_sessions: 10
  c2s_shaper: none
  s2s_shaper: none
modules:
  mod_disco: {}
  mod_ping: {}
  mod_roster: {}
  mod_register:
    access: register
    ip_access: all
`;
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = tcpConnect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

/**
 * Starts the peer; resolves when its WebSocket and component ports listen. `ports`:
 * { c2s, http, component } (free loopback ports). Returns a handle like startWrangler's.
 */
export async function startPeer(name, { stateDir, ports, host, component, secret, ns, timeoutMs = 60_000 }) {
  const dir = mkdtempSync(join(stateDir, `bench-${name}-`));
  for (const d of ["data", "certs", "logs", "db"]) mkdirSync(join(dir, d));
  const logFile = join(dir, "stdout.log");
  const out = openSync(logFile, "a");
  let cmd;
  let args;
  let user = {};
  if (name === "prosody") {
    writeFileSync(join(dir, "prosody.cfg.lua"), prosodyConfig({ dir, ports, host, component, secret, ns }));
    cmd = "/usr/bin/prosody";
    args = ["--config", join(dir, "prosody.cfg.lua"), "-F"];
  } else {
    writeFileSync(join(dir, "ejabberd.yml"), ejabberdConfig({ dir, ports, host, component, secret }));
    writeFileSync(join(dir, "ejabberdctl.cfg"), "");
    // ejabberdctl run by root switches to the package's user through su, whose child leaves
    // our process group: we start it as that user ourselves, and the directory is its.
    if (process.getuid?.() === 0) {
      execFileSync("chown", ["-R", "ejabberd:ejabberd", dir]);
      user = { uid: Number(execFileSync("id", ["-u", "ejabberd"]).toString()), gid: Number(execFileSync("id", ["-g", "ejabberd"]).toString()) };
    }
    cmd = "/usr/sbin/ejabberdctl";
    // A node name of our own: never the system service's node.
    args = ["--config", join(dir, "ejabberd.yml"), "--ctl-config", join(dir, "ejabberdctl.cfg"), "--logs", join(dir, "logs"), "--spool", join(dir, "db"),
      "--node", `bench${ports.c2s}@localhost`, "foreground"];
  }
  const child = spawn(cmd, args, { cwd: dir, detached: true, stdio: ["ignore", out, out], env: { ...process.env, HOME: dir }, ...user });
  let exited = false;
  child.on("exit", () => (exited = true));
  const pgid = child.pid;
  const readLog = () => ["stdout.log", "prosody.log", "logs/ejabberd.log", "logs/error.log"]
    .map((f) => { try { return readFileSync(join(dir, f), "utf8"); } catch { return ""; } }).join("\n");
  const handle = {
    name, pgid, state: dir, logFile,
    serverComms: null, // every process of the group is the server (lua, beam.smp, ...)
    port: ports.http,
    url: `http://127.0.0.1:${ports.http}`,
    wsUrl: `ws://127.0.0.1:${ports.http}`,
    componentService: `xmpp://127.0.0.1:${ports.component}`,
    delegation: PEERS[name].delegation,
    log: readLog,
    stop: () => stopGroup(pgid, dir),
  };
  qualifiedBases.add(handle.wsUrl);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`${name} exited during start-up\n${readLog().slice(-3000)}`);
    if ((await portOpen(ports.http)) && (await portOpen(ports.component))) break;
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`${name}: ports ${ports.http}/${ports.component} not listening after ${timeoutMs} ms\n${readLog().slice(-3000)}`);
    }
    await sleep(250);
  }
  return handle;
}

/** The scenario-facing component for a peer: XEP-0114 over TCP. */
export const peerComponent = (server) => (jid, secret) => new TcpComponent(server.componentService, jid, secret);
