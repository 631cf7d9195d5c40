// Where XEP-0356 and XEP-0355 plug into the component router. Each feature adds
// its handlers here; with none configured, components behave as plain XEP-0114 ones.
import type { Router } from "./router";
import type { Element } from "../xml/stanza";

export interface ComponentFeature {
  /** After the handshake: advertisements, disco queries, initial presences. */
  connected?(router: Router): Promise<void>;
  disconnected?(router: Router): Promise<void>;
  /** A stanza from the component; return the replies when the feature consumed it. */
  fromComponent?(router: Router, stanza: Element): Promise<string[] | null>;
}

const features: ComponentFeature[] = [];

export function registerComponentFeature(f: ComponentFeature): void {
  features.push(f);
}

export const componentHooks = {
  async connected(router: Router): Promise<void> {
    for (const f of features) await f.connected?.(router);
  },
  async disconnected(router: Router): Promise<void> {
    for (const f of features) await f.disconnected?.(router);
  },
  async fromComponent(router: Router, stanza: Element): Promise<string[] | null> {
    for (const f of features) {
      const r = await f.fromComponent?.(router, stanza);
      if (r) return r;
    }
    return null;
  },
};
