export declare class CliError extends Error {}
export declare function parseDevVars(text: string): Record<string, string>;
export declare function adminToken(env?: Record<string, string | undefined>, cwd?: string): string;
export declare function readPassword(confirm: boolean): Promise<string>;
export declare function userCommand(o: {
  action: "add" | "passwd" | "del";
  jid: string;
  url: string;
  token: string;
  password: () => Promise<string>;
}): Promise<string>;
export declare function adminGet(url: string, token: string, path: string): Promise<unknown>;
export declare function listUsers(o: { host: string; url: string; token: string }): Promise<string[]>;
