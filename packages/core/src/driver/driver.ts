import type { FunctionScaling } from '../domain/function-scaling.js';
import type { FunctionLimits, FunctionProtocol, Language, SystemPackage } from '../domain/types.js';
import type { RunEnvelope, RunRequest } from '../envelope.js';

/** A line of progress from a long operation (an image build, a deploy), for the CLI's progress output. */
export type ProgressListener = (line: string) => void;

/** What a driver needs to make a base image usable (for `local`: check the language runtime exists). */
export interface BaseImageSpec {
  name: string;
  language: Language;
  imageURL: string;
}

/** Base image + dependencies → an image. */
export interface ImageBuildSpec {
  name: string;
  language: Language;
  /** The base image's URL (resolved from a BaseImage name, or given as a URL). */
  baseImageURL: string;
  /** package.json (nodejs) or requirements.txt (python3) text; empty for none. */
  runtimeDependencies: string;
  /** Run the packages' install scripts (npm lifecycle scripts, pip builds from source); default false. */
  allowInstallScripts?: boolean;
  systemPackages: SystemPackage[];
}

export interface BuiltImage {
  imageURL: string;
}

/** Everything a driver needs to run a function; deploy is create-or-update and idempotent. */
export interface DeploySpec {
  name: string;
  /** The function entity's revision, so drivers can tell an update from a repeat. */
  revision: number;
  language: Language;
  protocol: FunctionProtocol;
  /** The built image the function runs on. */
  imageURL: string;
  /** A tar.gz of the function's file or folder (empty for `protocol: funker`, whose image is complete). */
  source: Buffer;
  handler: string;
  env: Record<string, string>;
  replicas: number;
  /**
   * The function's autoscaling, when it has one. Core scales through `scale` on drivers that do not scale by
   * themselves; a driver that does (`scalesItself`) hands these bounds to its platform.
   */
  autoscaling?: FunctionScaling;
  /** Milliseconds a run may take. */
  timeout: number;
  /** Memory and CPU each replica may use; a driver that cannot enforce them says so in its docs. */
  limits?: FunctionLimits;
}

export interface DeployResult {
  /** The image built for the function (image + source), when the driver builds one. */
  functionImageURL?: string;
}

export interface FunctionRuntimeStatus {
  /** True only when the function answers calls. */
  ready: boolean;
  replicas: { desired: number; ready: number };
  /** Why it is not ready, in words a person can act on. */
  reason?: string;
  /** True when the driver knows the function cannot become ready without a change (a handler that fails to load). */
  failed?: boolean;
}

export interface InvokeOptions {
  /** Epoch milliseconds after which the call is abandoned. */
  deadline: number;
  signal?: AbortSignal;
}

export interface LogLine {
  time: number;
  stream: 'stdout' | 'stderr';
  line: string;
  /** The replica (process, task, pod) that printed it. */
  source?: string;
}

export interface LogOptions {
  follow?: boolean;
  tail?: number;
  signal?: AbortSignal;
}

export interface DeployedFunction {
  name: string;
  revision: number;
  replicas: number;
}

/**
 * A backend that runs functions. Drivers only run things: the domain rules, the store and the
 * lifecycle live in core's service, so every driver behaves the same to users.
 *
 * `invoke` answers with an envelope for everything the function did (including crashing or running past
 * its timeout) and throws a DispatchError only when the platform failed (nothing listening, engine down).
 */
export interface Driver {
  readonly name: string;
  /** Makes sure a base image is usable (exists, or can be built or pulled). */
  prepareBaseImage?(spec: BaseImageSpec, onProgress?: ProgressListener): Promise<void>;
  /** The base image URLs this driver suggests for each language, used to seed a new install. */
  defaultBaseImages?(): Record<Language, string>;
  buildImage(spec: ImageBuildSpec, onProgress?: ProgressListener): Promise<BuiltImage>;
  /** Removes a built image; idempotent. */
  removeImage?(imageURL: string): Promise<void>;
  deploy(spec: DeploySpec, onProgress?: ProgressListener): Promise<DeployResult>;
  status(name: string): Promise<FunctionRuntimeStatus>;
  invoke(name: string, request: RunRequest, options: InvokeOptions): Promise<RunEnvelope>;
  remove(name: string): Promise<void>;
  logs?(name: string, options?: LogOptions): AsyncIterable<LogLine>;
  /**
   * True when `logs` starts empty with each gateway process (the local backend keeps lines in memory): core then
   * shows the lines of the runs from before the gateway started first, so that they outlive a restart.
   */
  readonly logsStartEmpty?: boolean;
  /**
   * Changes the replica count of a running function; core calls it instead of `deploy` when nothing else changed,
   * and to autoscale (0 for a function idle at `minReplicas: 0`). Replicas that go away finish their calls first.
   */
  scale?(name: string, replicas: number): Promise<void>;
  /** True when the platform autoscales functions from `DeploySpec.autoscaling` (Knative): core then never scales them. */
  readonly scalesItself?: boolean;
  list?(): Promise<DeployedFunction[]>;
  dispose(): Promise<void>;
}
