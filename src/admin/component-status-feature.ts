// Notes when a component connects and disconnects (./component-status.ts), for the admin
// API. It does nothing else, so it never changes what the component sees.
import type { Feature } from "../features/feature";
import { noteConnection } from "./component-status";

export const componentStatusFeature: Feature = {
  name: "component-status",
  register(r) {
    r.componentEvents({
      async connected(mailbox) {
        noteConnection(mailbox.store.sql, true);
      },
      async disconnected(mailbox) {
        noteConnection(mailbox.store.sql, false);
      },
    });
  },
};
