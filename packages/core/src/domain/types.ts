/**
 * The entities of Dispatch. Field names follow VMware Dispatch's API so that its clients keep working.
 * Timestamps are Unix seconds, as in the original API.
 */

/** Where an entity is in its lifecycle. Statuses move forward; ERROR always carries a `reason`. */
export type Status = 'INITIALIZED' | 'CREATING' | 'READY' | 'UPDATING' | 'ERROR' | 'DELETING';

/** The function languages Dispatch ships a function server for. */
export type Language = 'nodejs' | 'python3';
export const LANGUAGES: readonly Language[] = ['nodejs', 'python3'];

export interface Tag {
  key: string;
  value: string;
}

/** What every entity has. */
export interface EntityMeta {
  /** A DNS-1123 label, so that it maps unchanged onto a Swarm service or a Kubernetes object. */
  name: string;
  id: string;
  createdTime: number;
  modifiedTime: number;
  /** Incremented on every write; an update naming an older revision is a conflict. */
  revision: number;
  tags: Tag[];
  status: Status;
  /** Why the entity is not READY; empty when it is. */
  reason: string;
}

export interface BaseImage extends EntityMeta {
  imageURL: string;
  language: Language;
}

export interface SystemPackage {
  name: string;
  version?: string;
}

export interface Image extends EntityMeta {
  /** A BaseImage name, or an image URL as in the seed's `create image python3 <url>`. */
  baseImage: string;
  language: Language;
  /** The built image, filled in when the build succeeds. */
  imageURL: string;
  /**
   * `manifest`: package.json or requirements.txt text. `allowScripts`: let the packages' install scripts run
   * (npm lifecycle scripts, pip builds from source); off by default, since they run arbitrary code at build time.
   */
  runtimeDependencies: { manifest: string; allowScripts?: boolean };
  systemDependencies: { packages: SystemPackage[] };
}

export type FunctionProtocol = 'dispatch' | 'funker';

export interface FunctionSchema {
  in?: unknown;
  out?: unknown;
}

export interface FunctionScale {
  min: number;
  max: number;
}

/**
 * What a function's replicas may use. The swarm and knative backends enforce them (a task or pod over its memory
 * limit is killed; CPU is throttled); the local backend ignores them.
 */
export interface FunctionLimits {
  /** Megabytes of memory. */
  memoryMB?: number;
  /** CPUs, fractions allowed (0.5 is half a CPU). */
  cpus?: number;
}

export interface DispatchFunction extends EntityMeta {
  image: string;
  /** A base64 tar.gz of the function's file or folder, as Dispatch's CLI sends it. */
  source: string;
  /** nodejs: the file (`hello.js`); python3: `module.func` (default `<module>.handle`). */
  handler: string;
  schema: FunctionSchema;
  /** Names of secrets merged into `context.secrets` on every run. */
  secrets: string[];
  /** Milliseconds a run may take. */
  timeout: number;
  /** Replicas of a function that does not autoscale; where an autoscaled one starts. */
  replicas: number;
  /** Dispatch's legacy scale bounds, kept as given; autoscaling reads `minReplicas` and `maxReplicas`. */
  scale?: FunctionScale;
  /** Autoscaling (local, swarm; knative's own autoscaler): the fewest replicas; 0 lets an idle function stop. */
  minReplicas?: number;
  /** Autoscaling: the most replicas. */
  maxReplicas?: number;
  /** Autoscaling: calls in flight per replica before another replica is added (default 10). */
  targetConcurrency?: number;
  /** Memory and CPU each replica may use (swarm, knative). */
  limits?: FunctionLimits;
  env: Record<string, string>;
  functionImageURL: string;
  protocol: FunctionProtocol;
  /** Filled from the image when the function is created. */
  language?: Language;
  /** Async runs of this function are tried this many times when the function fails (default 1: no retry). */
  maxAttempts?: number;
}

export interface Secret extends EntityMeta {
  /** Values are never listed unless asked for; see `SecretView`. */
  secrets: Record<string, string>;
}

export type EndpointAuth = 'public' | 'basic' | 'bearer' | 'hmac' | 'apiKey';
export type EndpointTrigger = 'http' | 'alexa' | 'github' | 'sns';

export interface EndpointCors {
  enabled: boolean;
  origins?: string[];
}

export interface Endpoint extends EntityMeta {
  function: string;
  /** Host names to match; empty matches any host. */
  hosts: string[];
  /** Paths to match: exact (`/hello`) or a prefix ending in `/*` (`/hello/*`). */
  uris: string[];
  methods: string[];
  protocols: string[];
  cors: boolean | EndpointCors;
  enabled: boolean;
  auth: EndpointAuth;
  /** Users (`basic`) or tokens (`bearer`) allowed when `auth` is not public; secret names holding them. */
  authSecret?: string;
  /** `apiKey` auth: the request header carrying the key (lower case; `x-api-key` by default). */
  authHeader?: string;
  trigger: EndpointTrigger;
  /** `AlexaTriggerSettings`, `GithubTriggerSettings` or `SnsTriggerSettings`, by `trigger`; checked by core when written. */
  triggerSettings?: Record<string, unknown>;
}

/** The settings of an endpoint with `trigger: alexa`. */
export interface AlexaTriggerSettings {
  /** The skills allowed to call the endpoint (`amzn1.ask.skill.…`); any other is refused with 401. */
  applicationIds: string[];
  /**
   * Intent name → function. An intent missing here runs the function named exactly like it (funker-dispatch's
   * rule), else the endpoint's `function`, else it is answered with a spoken message.
   */
  intents?: Record<string, string>;
  /** The function that answers a LaunchRequest ("Alexa, open …"). */
  launch?: string;
  /** The function told of a SessionEndedRequest. */
  sessionEnded?: string;
  /** Milliseconds a function may take before Alexa hears a spoken error (default 7000; Alexa waits about 8 s). */
  timeoutMs?: number;
}

/** The settings of an endpoint with `trigger: github`; the webhook secret is the endpoint's `authSecret`. */
export interface GithubTriggerSettings {
  /** The `X-GitHub-Event` values that run the function (default `push`); `*` for every event. */
  events?: string[];
}

/** The settings of an endpoint with `trigger: sns`. */
export interface SnsTriggerSettings {
  /** The topics whose messages are accepted (`arn:aws:sns:region:account:name`); any other is refused with 403. */
  topicArns: string[];
}

/**
 * A function run on a cron expression. Each tick is claimed once through the store, so gateways sharing it
 * never run one tick twice; the ticks missed while no gateway ran are caught up by one run.
 */
export interface Schedule extends EntityMeta {
  function: string;
  /** Five fields (minute precision) or six (with seconds first), as croner reads them. */
  cron: string;
  /** The IANA time zone the expression is read in (default `UTC`); DST changes are croner's. */
  timezone: string;
  /** The payload of every run. */
  input: unknown;
  enabled: boolean;
  /** Answered, not stored: the next tick times (Unix seconds), none when disabled. */
  nextRuns?: number[];
}

export type RunStatus = 'INITIALIZED' | 'CREATING' | 'READY' | 'ERROR';

/** The kinds of failure a run reports, as in Dispatch's function runtime. */
export type RunErrorType = 'InputError' | 'FunctionError' | 'SystemError';

export interface RunError {
  type: RunErrorType;
  message: string;
  stacktrace?: string[];
}

export interface RunLogs {
  stdout: string[] | null;
  stderr: string[] | null;
}

export interface Run {
  /** A uuid. */
  name: string;
  id: string;
  functionName: string;
  blocking: boolean;
  input: unknown;
  output: unknown;
  logs: RunLogs;
  error?: RunError;
  secrets: string[];
  status: RunStatus;
  reason: string;
  executedTime: number;
  finishedTime: number;
  /** Milliseconds from the call to the reply, for run history and benchmarks. */
  durationMs?: number;
  /** Milliseconds the call waited for its function to start (from zero replicas, or while it was being deployed). */
  coldStartMs?: number;
  /** Async runs: how many times the run has been started (a retry or a lost worker's lease starts it again). */
  attempts?: number;
  /** Async runs: the attempts allowed when the function fails (FunctionError); platform failures are retried anyway. */
  maxAttempts?: number;
  /** Async runs: true when the run failed for good and waits in the dead letters to be re-queued. */
  deadLettered?: boolean;
  /** Async runs: the idempotency key the run was submitted with. */
  dedupeKey?: string;
  /** Async runs: where the finished run is POSTed. */
  callbackURL?: string;
  /** Async runs with a callback URL: the delivery's state. */
  callback?: RunCallback;
  /** Runs started by a schedule: its name. */
  schedule?: string;
  /** Runs started by a schedule: the tick (Unix seconds) the run is for. */
  scheduledTime?: number;
}

/** The state of a run's callback delivery. */
export interface RunCallback {
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  /** Deliveries tried so far. */
  attempts: number;
  /** The last refusal or failure, when there was one. */
  lastError?: string;
  /** Unix seconds of the acknowledged delivery. */
  deliveredTime?: number;
}

export type EntityKind = 'baseimage' | 'image' | 'function' | 'secret' | 'endpoint' | 'schedule';

export interface EntityByKind {
  baseimage: BaseImage;
  image: Image;
  function: DispatchFunction;
  secret: Secret;
  endpoint: Endpoint;
  schedule: Schedule;
}

/** The fields a caller gives when creating an entity; the rest is filled in by Dispatch. */
export type CreateInput<T extends EntityMeta> = Partial<Omit<T, keyof EntityMeta>> & {
  name: string;
  tags?: Tag[];
};

/** The fields a caller may change; `revision`, when given, must match the stored one. */
export type UpdateInput<T extends EntityMeta> = Partial<Omit<T, keyof EntityMeta>> & {
  tags?: Tag[];
  revision?: number;
};
