import type { ChildProcess } from 'node:child_process';

export interface StartOptions {
  /** The cairn binary (default: $CAIRN_BIN, else `cairn` on PATH). */
  bin?: string;
  /** Seed directory: *.table.json CreateTable requests and TABLE.jsonl items, loaded at start and on reset. */
  seed?: string;
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** More `cairn serve` flags, e.g. ['--virtual-clock']. */
  args?: string[];
  /** How long to wait for `GET /` to answer 200 (default 15000). */
  timeoutMs?: number;
  /** Extra environment for the server. */
  env?: Record<string, string>;
}

export interface Snapshot {
  name: string;
  savedAt: number;
  tables: number;
}

export interface ClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  [key: string]: unknown;
}

export interface Admin {
  readonly endpoint: string;
  /** Drop every table, then load the server's seed again. Snapshots are kept. */
  reset(): Promise<{ reset: true; tookMs: number }>;
  /** Save the whole server state as snapshot `name`. */
  save(name: string): Promise<{ saved: Snapshot; tookMs: number }>;
  /** Put snapshot `name` back (it stays saved). */
  restore(name: string): Promise<{ restored: Snapshot; tookMs: number }>;
  deleteSnapshot(name: string): Promise<{ deleted: string }>;
  snapshots(): Promise<Snapshot[]>;
  /** Options for `new DynamoDBClient(...)`. */
  clientConfig(extra?: Record<string, unknown>): ClientConfig;
}

export interface CairnServer extends Omit<Admin, 'endpoint'> {
  endpoint: string;
  port: number;
  pid: number;
  process: ChildProcess;
  /** What the server printed so far (last 64 KiB). */
  output(): string;
  /** SIGTERM, then SIGKILL after graceMs (default 5000); resolves to the exit code. */
  stop(graceMs?: number): Promise<number | string | null>;
}

export class CairnError extends Error {
  /** DynamoDB-style error type from Cairn, e.g. 'ValidationException'. */
  type?: string;
  status?: number;
  output?: string;
}

export function startCairn(options?: StartOptions): Promise<CairnServer>;
/** Admin calls against `endpoint` (default: process.env.CAIRN_ENDPOINT). */
export function connect(endpoint?: string): Admin;
export function clientConfig(extra?: Record<string, unknown>): ClientConfig;
export function reset(endpoint?: string): ReturnType<Admin['reset']>;
export function save(name: string, endpoint?: string): ReturnType<Admin['save']>;
export function restore(name: string, endpoint?: string): ReturnType<Admin['restore']>;
export function deleteSnapshot(name: string, endpoint?: string): ReturnType<Admin['deleteSnapshot']>;
export function snapshots(endpoint?: string): Promise<Snapshot[]>;
/** process.env.CAIRN_ENDPOINT, or a CairnError saying it is not set. */
export function endpoint(): string;
export function jestGlobalSetup(options?: StartOptions): () => Promise<void>;
export function jestGlobalTeardown(): () => Promise<void>;
export function vitestGlobalSetup(options?: StartOptions): (project?: unknown) => Promise<() => Promise<void>>;
export function findBinary(explicit?: string): string;
export function freePort(): Promise<number>;
export const REGION: string;

declare const cairn: {
  startCairn: typeof startCairn;
  connect: typeof connect;
  clientConfig: typeof clientConfig;
  reset: typeof reset;
  save: typeof save;
  restore: typeof restore;
  deleteSnapshot: typeof deleteSnapshot;
  snapshots: typeof snapshots;
  endpoint: typeof endpoint;
  jestGlobalSetup: typeof jestGlobalSetup;
  jestGlobalTeardown: typeof jestGlobalTeardown;
  vitestGlobalSetup: typeof vitestGlobalSetup;
  findBinary: typeof findBinary;
  freePort: typeof freePort;
  CairnError: typeof CairnError;
  REGION: string;
};
export default cairn;
