/** The shapes the admin API answers with (docs/api.md); only the fields the console reads. */
export type Status = 'INITIALIZED' | 'CREATING' | 'READY' | 'UPDATING' | 'ERROR' | 'DELETING';

export interface Entity {
  name: string;
  status: Status;
  reason?: string;
  modifiedTime?: number;
  tags?: { key: string; value: string }[];
}

export interface BaseImage extends Entity {
  imageURL: string;
  language: string;
}

export interface Image extends Entity {
  baseImage: string;
  language?: string;
}

export interface DispatchFunction extends Entity {
  image: string;
  handler?: string;
  schema?: { in?: unknown; out?: unknown };
  secrets?: string[];
  timeout?: number;
  replicas?: number;
}

export interface Secret extends Entity {
  secrets?: Record<string, string>;
}

export interface Endpoint extends Entity {
  function: string;
  uris: string[];
  methods: string[];
  hosts?: string[];
  auth?: string;
  authSecret?: string;
  /** `apiKey` auth: the header carrying the key (`x-api-key` unless named). */
  authHeader?: string;
  trigger?: string;
  triggerSettings?: Record<string, unknown>;
  enabled?: boolean;
}

export interface Schedule extends Entity {
  function: string;
  cron: string;
  timezone: string;
  input?: unknown;
  enabled: boolean;
  /** The next tick times, Unix seconds; empty when disabled. */
  nextRuns?: number[];
}

export interface Run {
  id: string;
  functionName: string;
  input?: unknown;
  output?: unknown;
  logs?: { stdout: string[]; stderr: string[] };
  error?: { type: string; message: string; stacktrace?: string };
  status: string;
  reason?: string;
  executedTime?: number;
  finishedTime?: number;
  durationMs?: number;
  /** Runs started by a schedule: its name, and the tick (Unix seconds) the run is for. */
  schedule?: string;
  scheduledTime?: number;
}

/** A line of `/v1/<kind>/{name}/events`. */
export interface WatchEvent {
  type: 'status' | 'progress' | 'deleted';
  status?: Status;
  reason?: string;
  line?: string;
}

/** A line of `/v1/function/{name}/logs`. */
export interface LogLine {
  time: number | string;
  stream: 'stdout' | 'stderr';
  line: string;
  source?: string;
}

export const KINDS = {
  function: 'Functions',
  image: 'Images',
  baseimage: 'Base images',
  endpoint: 'Endpoints',
  schedule: 'Schedules',
  secret: 'Secrets',
} as const;
export type Kind = keyof typeof KINDS;

export const SETTLED: ReadonlySet<string> = new Set(['READY', 'ERROR']);
