// The hono context type of the Worker's routes: the bindings and the loaded configuration.
import type { Env } from "../env";
import type { GatewayConfig } from "../config";

export type AdminCtx = { Bindings: Env; Variables: { config: GatewayConfig } };
