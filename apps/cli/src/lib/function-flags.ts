import { Flags } from '@oclif/core';
import { CliError } from './errors.js';
import { packSourceBase64, readDataFile } from './files.js';

/** The flags `create function` and `update function` share. */
export const functionFlags = {
  image: Flags.string({ description: 'the image to build the function on (nodejs, python3, …)' }),
  handler: Flags.string({
    description:
      "python3: module.func (default <file>.handle); nodejs: the file (default: the file, or a folder's package.json main or index.js)",
  }),
  'schema-in': Flags.string({ description: "JSON Schema file every run's input must match" }),
  'schema-out': Flags.string({ description: "JSON Schema file every run's output must match" }),
  secret: Flags.string({ multiple: true, multipleNonGreedy: true, description: 'a secret merged into context.secrets (repeatable)' }),
  timeout: Flags.integer({ min: 0, description: 'milliseconds a run may take' }),
  replicas: Flags.integer({ min: 0, description: 'how many replicas serve the function' }),
  'min-replicas': Flags.integer({ min: 0, description: 'autoscaling: the fewest replicas; 0 stops the function when idle' }),
  'max-replicas': Flags.integer({ min: 1, description: 'autoscaling: the most replicas' }),
  'target-concurrency': Flags.integer({
    min: 1,
    description: 'autoscaling: calls in flight per replica before another is added (default 10)',
  }),
  memory: Flags.integer({ min: 1, description: 'megabytes of memory each replica may use (swarm, knative)' }),
  cpus: Flags.string({ description: 'CPUs each replica may use, e.g. 0.5 (swarm, knative)' }),
  env: Flags.string({ multiple: true, multipleNonGreedy: true, description: 'an environment variable K=V (repeatable)' }),
};

export interface FunctionFlagValues {
  image?: string;
  handler?: string;
  'schema-in'?: string;
  'schema-out'?: string;
  secret?: string[];
  timeout?: number;
  replicas?: number;
  'min-replicas'?: number;
  'max-replicas'?: number;
  'target-concurrency'?: number;
  memory?: number;
  cpus?: string;
  env?: string[];
}

function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const separator = pair.indexOf('=');
    if (separator <= 0) throw new CliError(400, `--env "${pair}" must be KEY=VALUE`);
    env[pair.slice(0, separator)] = pair.slice(separator + 1);
  }
  return env;
}

/** The fields of a function's create or update body that the flags and the source path give. */
export async function functionBody(flags: FunctionFlagValues, sourcePath?: string): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  if (flags.image !== undefined) body.image = flags.image;
  if (flags.handler !== undefined) body.handler = flags.handler;
  if (flags.timeout !== undefined) body.timeout = flags.timeout;
  if (flags.replicas !== undefined) body.replicas = flags.replicas;
  if (flags['min-replicas'] !== undefined) body.minReplicas = flags['min-replicas'];
  if (flags['max-replicas'] !== undefined) body.maxReplicas = flags['max-replicas'];
  if (flags['target-concurrency'] !== undefined) body.targetConcurrency = flags['target-concurrency'];
  if (flags.memory !== undefined || flags.cpus !== undefined) {
    const cpus = flags.cpus === undefined ? undefined : Number(flags.cpus);
    if (cpus !== undefined && !(cpus > 0)) throw new CliError(400, `--cpus "${flags.cpus}" must be a number above 0, e.g. 0.5`);
    body.limits = { ...(flags.memory === undefined ? {} : { memoryMB: flags.memory }), ...(cpus === undefined ? {} : { cpus }) };
  }
  if (flags.secret !== undefined) body.secrets = flags.secret;
  if (flags.env !== undefined) body.env = parseEnv(flags.env);
  const schemaIn = flags['schema-in'];
  const schemaOut = flags['schema-out'];
  if (schemaIn !== undefined || schemaOut !== undefined) {
    body.schema = {
      ...(schemaIn === undefined ? {} : { in: await readDataFile(schemaIn, 'input schema') }),
      ...(schemaOut === undefined ? {} : { out: await readDataFile(schemaOut, 'output schema') }),
    };
  }
  if (sourcePath !== undefined) body.source = await packSourceBase64(sourcePath);
  return body;
}
