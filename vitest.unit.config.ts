// Unit and Durable Object tests, run inside the real Workers runtime (workerd).
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ADMIN_TOKEN: "test-admin-token",
          COMPONENT_SECRETS: JSON.stringify({ "pubsub.localhost": "pubsub-secret" }),
        },
      },
    }),
  ],
  test: { include: ["test/unit/**/*.test.ts"] },
});
