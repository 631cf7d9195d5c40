#!/usr/bin/env node
// `npm run bench:objects`: what opening and closing connections leaves in workerd's memory
// under `wrangler dev`, on the floor (bench/floor: an object per socket that does nothing)
// and on the gateway, one after the other. Each connection is a new object: it opens, sends
// <open/>, reads the first answer and closes. Prints workerd's RSS before, right after, and
// after an idle wait, and the growth per connection; the two figures side by side tell what
// the gateway adds to what the runtime itself keeps per object instance.
//
//   npm run bench:objects                 3,000 connections per target, 60 s idle wait
//   npm run bench:objects -- --n=5000 --idle=120
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { freePorts, groupProcesses, startWrangler } from "./lib/proc.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt);
const n = arg("n", 3000);
const idleSeconds = arg("idle", 60);
const OPEN = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>";
const IN_FLIGHT = 20;

function rssKiB(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0; // the process is gone
  }
}

const workerdMiB = (server) =>
  Math.round(groupProcesses(server.pgid).filter((p) => p.comm.includes("workerd")).reduce((sum, p) => sum + rssKiB(p.pid), 0) / 1024);

/** One connection: open, send <open/>, wait for the first frame (or 5 s), close. */
function connectOnce(url) {
  return new Promise((done) => {
    const ws = new WebSocket(url, "xmpp");
    const finish = () => {
      try {
        ws.close();
      } catch {
        // already closing
      }
      done();
    };
    ws.on("open", () => ws.send(OPEN));
    ws.on("message", finish);
    ws.on("error", () => done());
    setTimeout(finish, 5000);
  });
}

async function measure(server, pathOf) {
  const before = workerdMiB(server);
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < n) await connectOnce(`${server.wsUrl}${pathOf(next++)}`);
  }));
  const after = workerdMiB(server);
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const idle = workerdMiB(server);
  const perConnection = ((after - before) * 1024) / n;
  console.log(`${server.name.padEnd(8)} ${n} connections: workerd ${before} MiB → ${after} MiB → ${idle} MiB after ${idleSeconds} s idle; ${perConnection.toFixed(0)} KiB per connection opened`);
  return perConnection;
}

const [gatewayPort, gatewayInspector, floorPort, floorInspector] = await freePorts(4, 41000);
const stateDir = existsSync("/dev/shm") ? "/dev/shm" : tmpdir(); // fresh state in RAM when there is some
const floor = await startWrangler({ root, name: "floor", port: floorPort, inspectorPort: floorInspector, configFile: "bench/floor/wrangler.toml", stateDir });
let floorKiB;
try {
  floorKiB = await measure(floor, (i) => `/xmpp-websocket?user=objects${i}@localhost`); // the floor names an object per user
} finally {
  await floor.stop();
}
const gateway = await startWrangler({ root, name: "gateway", port: gatewayPort, inspectorPort: gatewayInspector, readyPath: "/health", stateDir });
try {
  const gatewayKiB = await measure(gateway, () => "/xmpp-websocket");
  console.log(`gateway ÷ floor, memory per connection opened: ${(gatewayKiB / floorKiB).toFixed(2)}x`);
} finally {
  await gateway.stop();
}
