import type { RunLimits } from '../driver/run-limits.js';
import type {
  BaseImage,
  CreateInput,
  Status,
  DispatchFunction,
  Endpoint,
  EntityMeta,
  Image,
  Run,
  Schedule,
  Secret,
  Tag,
  UpdateInput,
} from '../domain/types.js';
import type { Driver, LogLine, ProgressListener } from '../driver/driver.js';
import type { RunListOptions, Store } from '../store/store.js';
import type { DispatchLogger } from '../driver/logger.js';
import type { QueueSettings } from './queue-settings.js';
import type { AutoscalerOptions } from './autoscaler.js';
import type { DispatchObserver } from './dispatch-observer.js';

/** What `watch` reports: status changes, and the lines of a build or deploy as they come. */
export type EntityEvent = { type: 'status'; status: Status; reason: string } | { type: 'progress'; line: string } | { type: 'deleted' };

/** The CRUD use-cases every entity kind has. */
export interface EntityService<T extends EntityMeta> {
  /** Validates, stores with status INITIALIZED, and starts whatever brings it to READY in the background. */
  create(input: CreateInput<T>): Promise<T>;
  /** Throws NotFoundError when it does not exist. */
  get(name: string): Promise<T>;
  list(filter?: { tags?: Tag[] }): Promise<T[]>;
  update(name: string, input: UpdateInput<T>): Promise<T>;
  /** Throws NotFoundError when it does not exist, ConflictError when another entity still uses it. */
  delete(name: string): Promise<T>;
  /**
   * Resolves when the entity reaches READY and rejects with the entity's reason when it reaches ERROR
   * (or when `timeoutMs` passes). `onProgress` receives build and deploy lines as they come.
   */
  waitUntilReady(name: string, options?: { timeoutMs?: number; onProgress?: ProgressListener; signal?: AbortSignal }): Promise<T>;
  /**
   * The entity's status now, then every change and progress line, until it is READY, ERROR or deleted (or
   * `signal` aborts). Throws NotFoundError when it does not exist.
   */
  watch(name: string, options?: { signal?: AbortSignal }): AsyncIterable<EntityEvent>;
}

export interface SecretService extends EntityService<Secret> {
  /** Like `get`, but values are replaced by `<hidden>` unless `reveal` is true. */
  view(name: string, options?: { reveal?: boolean }): Promise<Secret>;
  /**
   * The values of a secret from the cache the run path reads, dropped whenever the secret is written (here or,
   * on a shared store, by another gateway): for checks made on every request, such as endpoint auth.
   */
  values(name: string): Promise<Record<string, string>>;
}

export interface FunctionLogOptions {
  /** Keep streaming new lines until `signal` aborts. */
  follow?: boolean;
  /** Start with at most this many of the newest lines. */
  tail?: number;
  signal?: AbortSignal;
}

export interface FunctionService extends EntityService<DispatchFunction> {
  /**
   * What the function's replicas printed: each run's stdout and stderr, and lines printed outside runs.
   * Throws NotFoundError for an unknown function, and InvalidInputError when the backend keeps no logs.
   */
  logs(name: string, options?: FunctionLogOptions): Promise<AsyncIterable<LogLine>>;
}

export interface EndpointMatch {
  endpoint: Endpoint;
  /** Path parameters and the wildcard tail, when the endpoint's path had them. */
  params: Record<string, string>;
}

export interface EndpointService extends EntityService<Endpoint> {
  /** The enabled endpoint serving this request, if any. Answers from memory: it is on the ingress hot path. */
  match(host: string, path: string, method: string): EndpointMatch | undefined;
}

export interface ExecuteOptions {
  /** False: store the run and return at once with status INITIALIZED; the run finishes in the background. */
  blocking?: boolean;
  /** Secret names merged (after the function's own) into `context.secrets` for this run only. */
  secrets?: string[];
  /** Overrides the function's timeout for this run, in milliseconds; never above it. */
  timeoutMs?: number;
  /** Don't keep this run in the history (endpoint traffic can be too much to keep). */
  record?: boolean;
  /** Async runs: attempts when the function fails (FunctionError); default the function's `maxAttempts`, or 1. */
  maxAttempts?: number;
  /** Async runs: POST the finished run to this http(s) URL, signed (see `verifyCallbackSignature`). */
  callbackURL?: string;
  /** Async runs: a submission with a key already used for this function within the window returns that run. */
  idempotencyKey?: string;
}

export interface RunService {
  /**
   * Runs a function. Blocking runs resolve with the finished run, whose `error` says how the function failed
   * (they do not throw for function errors); they throw NotFoundError for an unknown function,
   * UnavailableError when it is not READY, SchemaValidationError when the input fails `schema.in`.
   * Async runs (`blocking: false`) are stored and queued before this resolves, and run (with retries) by the
   * queue's workers; TooManyRequestsError when the queue is full.
   */
  execute(functionName: string, input: unknown, options?: ExecuteOptions): Promise<Run>;
  get(id: string): Promise<Run>;
  /** Newest first; `deadLettered` lists the async runs that failed for good, `schedule` the runs a schedule started. */
  list(options?: RunListOptions): Promise<Run[]>;
  /** Queues a dead-lettered run again, with its attempts counted afresh. InvalidInputError for any other run. */
  requeue(id: string): Promise<Run>;
}

export interface DispatchInfo {
  version: string;
  backend: string;
}

/** Dispatch's use-cases: what the gateway, the CLI (through the gateway) and library users call. */
export interface Dispatch {
  readonly baseImages: EntityService<BaseImage>;
  readonly images: EntityService<Image>;
  readonly functions: FunctionService;
  readonly secrets: SecretService;
  readonly endpoints: EndpointService;
  /** Functions run on a cron expression; answered with their next tick times (`nextRuns`). */
  readonly schedules: EntityService<Schedule>;
  readonly runs: RunService;
  readonly driver: Driver;
  readonly store: Store;
  info(): DispatchInfo;
  /**
   * Tells `observer` of every function call, build and cold start from now on (the gateway's metrics count them);
   * answers a function that stops telling it.
   */
  observe(observer: DispatchObserver): () => void;
  /** Stops background work, disposes the driver and closes the store. */
  close(): Promise<void>;
}

export interface CreateDispatchOptions {
  driver: Driver;
  store: Store;
  /**
   * On a new install, create the base images `nodejs-base`, `python3-base` and the images `nodejs`, `python3`
   * so that a quickstart needs no setup. Default true.
   */
  seedDefaults?: boolean;
  /** Runs kept per function in the history. Default 1000. */
  runHistory?: number;
  /** How much output and logs a run keeps; default from DISPATCH_MAX_OUTPUT_BYTES and DISPATCH_MAX_LOG_BYTES (6 MiB, 1 MiB). */
  runLimits?: RunLimits;
  /** The default function timeout in milliseconds. Default 30000. */
  defaultTimeoutMs?: number;
  /** The durable queue of async runs: concurrency, leases, retries, callbacks (see QueueSettings for defaults). */
  queue?: Partial<QueueSettings>;
  /** The key that signs run callbacks; by default the `signingKey` of the secret `dispatch-callbacks` (created when missing). */
  callbackSigningKey?: string;
  /** A pino-compatible logger; silent when absent. */
  logger?: DispatchLogger;
  /** Autoscaling of functions with minReplicas/maxReplicas: the idle window, and who hears of cold starts. */
  autoscale?: AutoscalerOptions;
  /** Run the schedules in this process (default true); a process that only serves the API may leave it off. */
  scheduler?: boolean;
}
