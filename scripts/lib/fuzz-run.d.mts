export interface FuzzResult {
  seed: number;
  frames: number;
  bad: number;
  valid: number;
  byCondition: Record<string, number>;
  labelDisagreements: number;
  problems: string[];
  healthChecks: number;
  memoryKiB: number[];
  seconds: number;
}

export declare function runFuzz(o: {
  base: string;
  host: string;
  users: { sender: string; receiver: string; password: string };
  components: { senders: Array<{ jid: string; secret: string }>; receiver: { jid: string; secret: string } };
  frames: number;
  seed: number;
  concurrency?: number;
  maxBytes?: number;
  validShare?: number;
  preauthShare?: number;
  memoryKiB?: () => number;
  log?: (line: string) => void;
}): Promise<FuzzResult>;
