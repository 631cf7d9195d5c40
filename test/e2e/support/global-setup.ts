// vitest globalSetup: one gateway for the whole e2e run, shared via provide/inject.
import type { TestProject } from "vitest/node";
import { startGateway, type Gateway } from "./spawn-gateway";

let gateway: Gateway | undefined;

export async function setup(project: TestProject): Promise<void> {
  gateway = await startGateway();
  project.provide("gatewayUrl", gateway.url);
  console.log(`e2e gateway on ${gateway.url}, log in ${gateway.logFile}`);
}

export async function teardown(): Promise<void> {
  await gateway?.stop();
}
