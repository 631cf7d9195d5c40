#!/usr/bin/env node
// xmpp-edge command line: account administration and the XEP-0114 TCP bridge.
// Exit codes: 0 success, 1 error, 2 usage.
import { parseArgs } from "node:util";
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_STANZA_SIZE, startBridge } from "./lib/bridge.mjs";
import { CliError, adminToken, listUsers, readPassword, userCommand } from "./lib/users.mjs";
import { statusLines } from "./lib/status.mjs";

const USAGE = `usage:
  xmpp-edge user add JID    [--password P] [--url URL]
  xmpp-edge user passwd JID [--password P] [--url URL]
  xmpp-edge user del JID    [--url URL]
  xmpp-edge user list HOST  [--url URL]
  xmpp-edge status          [--url URL]
  xmpp-edge bridge [--gateway WS_URL] [--listen HOST:PORT] [--max-connections N] [--max-stanza-size BYTES]

user, status: the gateway's administration API at --url (default http://127.0.0.1:8787),
  with the token from ADMIN_TOKEN in the environment or in ./.dev.vars. Without
  --password the password is asked on the terminal (not echoed) or read from the
  first line of standard input.
bridge: lets classic XEP-0114 TCP components attach to the gateway. Defaults:
  --gateway ws://127.0.0.1:8787/xmpp-component --listen 127.0.0.1:5347
  --max-connections 100 (more are refused with resource-constraint)
  --max-stanza-size 262144 (the gateway's limits.max_stanza_size: larger stanzas
  get policy-violation before they are forwarded)
`;

class UsageError extends Error {}

function parse(args, options) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

async function user(args) {
  const { values, positionals } = parse(args, { url: { type: "string" }, password: { type: "string" } });
  if (values.help) return help();
  const [action, jid, ...extra] = positionals;
  if (!["add", "passwd", "del", "list"].includes(action ?? "")) throw new UsageError(`unknown user command '${action ?? ""}' (add, passwd, del or list)`);
  if (action === "list") return list(jid, extra, values);
  if (!jid || extra.length) throw new UsageError(`user ${action} takes exactly one JID`);
  if (action === "del" && values.password !== undefined) throw new UsageError("user del takes no --password");
  if (values.password === "") throw new UsageError("--password must not be empty");
  const url = values.url ?? "http://127.0.0.1:8787";
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url must be an http(s) URL (got '${url}')`);
  const token = adminToken();
  const given = values.password;
  const line = await userCommand({
    action,
    jid,
    url,
    token,
    password: () => (given !== undefined ? Promise.resolve(given) : readPassword(action === "add" || action === "passwd")),
  });
  process.stdout.write(`${line}\n`);
}

function apiUrl(values) {
  const url = values.url ?? "http://127.0.0.1:8787";
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url must be an http(s) URL (got '${url}')`);
  return url;
}

async function list(host, extra, values) {
  if (!host || extra.length) throw new UsageError("user list takes exactly one HOST");
  if (values.password !== undefined) throw new UsageError("user list takes no --password");
  const url = apiUrl(values);
  const accounts = await listUsers({ host, url, token: adminToken() });
  if (accounts.length) process.stdout.write(`${accounts.join("\n")}\n`);
}

async function status(args) {
  const { values, positionals } = parse(args, { url: { type: "string" } });
  if (values.help) return help();
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const url = apiUrl(values);
  process.stdout.write(`${(await statusLines({ url, token: adminToken() })).join("\n")}\n`);
}

function hostPort(s) {
  const m = /^(.*):(\d+)$/.exec(s);
  if (!m || !m[1] || Number(m[2]) > 65535) throw new UsageError(`--listen must be HOST:PORT (got '${s}')`);
  return { host: m[1].replace(/^\[(.*)\]$/, "$1"), port: Number(m[2]) };
}

function positiveInteger(s, flag, dflt) {
  if (s === undefined) return dflt;
  if (!/^[1-9][0-9]*$/.test(s)) throw new UsageError(`${flag} must be a positive whole number (got '${s}')`);
  return Number(s);
}

async function bridge(args) {
  const { values, positionals } = parse(args, {
    gateway: { type: "string" },
    listen: { type: "string" },
    "max-connections": { type: "string" },
    "max-stanza-size": { type: "string" },
  });
  if (values.help) return help();
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const gateway = values.gateway ?? "ws://127.0.0.1:8787/xmpp-component";
  if (!/^wss?:\/\//.test(gateway)) throw new UsageError(`--gateway must be a ws:// or wss:// URL (got '${gateway}')`);
  const { host, port } = hostPort(values.listen ?? "127.0.0.1:5347");
  const maxConnections = positiveInteger(values["max-connections"], "--max-connections", DEFAULT_MAX_CONNECTIONS);
  const maxStanzaSize = positiveInteger(values["max-stanza-size"], "--max-stanza-size", DEFAULT_MAX_STANZA_SIZE);
  let running;
  try {
    running = await startBridge({ gateway, host, port, maxConnections, maxStanzaSize });
  } catch (e) {
    throw new CliError(`cannot listen on ${host}:${port}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const { address, port: bound } = running.address;
  process.stderr.write(`bridge: listening on ${address.includes(":") ? `[${address}]` : address}:${bound}, gateway ${gateway}\n`);
  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`bridge: ${signal}, closing ${running.connections()} connection(s)\n`);
    await running.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

function help() {
  process.stdout.write(USAGE);
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === "user") return user(rest);
  if (command === "bridge") return bridge(rest);
  if (command === "status") return status(rest);
  if (command === "help" || command === "--help" || command === "-h") return help();
  throw new UsageError(command ? `unknown command '${command}'` : "no command given");
}

main(process.argv.slice(2)).catch((e) => {
  if (e instanceof UsageError) {
    process.stderr.write(`xmpp-edge: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  process.stderr.write(`xmpp-edge: ${e instanceof CliError ? e.message : e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
