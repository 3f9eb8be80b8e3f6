const runProperties = {
  name: { type: 'string', description: 'A uuid' },
  id: { type: 'string' },
  functionName: { type: 'string' },
  blocking: { type: 'boolean' },
  input: { description: "The function's payload (any JSON)" },
  output: { description: 'What the function returned (any JSON)' },
  logs: {
    type: 'object',
    properties: {
      stdout: { type: ['array', 'null'], items: { type: 'string' } },
      stderr: { type: ['array', 'null'], items: { type: 'string' } },
    },
  },
  error: {
    type: 'object',
    properties: {
      type: { type: 'string', enum: ['InputError', 'FunctionError', 'SystemError'] },
      message: { type: 'string' },
      stacktrace: { type: 'array', items: { type: 'string' } },
    },
  },
  secrets: { type: 'array', items: { type: 'string' } },
  status: { type: 'string', enum: ['INITIALIZED', 'CREATING', 'READY', 'ERROR'] },
  reason: { type: 'string' },
  executedTime: { type: 'number', description: 'Unix seconds' },
  finishedTime: { type: 'number', description: 'Unix seconds' },
  durationMs: { type: 'number' },
  coldStartMs: { type: 'number', description: 'Milliseconds the call waited for its function to start (from zero, or while deployed)' },
  attempts: { type: 'integer', description: 'Async runs: how many times the run was started' },
  maxAttempts: { type: 'integer', description: 'Async runs: attempts allowed when the function fails' },
  deadLettered: { type: 'boolean', description: 'Async runs: failed for good; re-queue with POST /v1/runs/{id}/requeue' },
  dedupeKey: { type: 'string', description: 'Async runs: the Idempotency-Key the run was submitted with' },
  callbackURL: { type: 'string', description: 'Async runs: where the finished run is POSTed' },
  schedule: { type: 'string', description: 'Runs started by a schedule: its name' },
  scheduledTime: { type: 'number', description: 'Runs started by a schedule: the tick the run is for, Unix seconds' },
  callback: {
    type: 'object',
    description: "The callback's delivery",
    properties: {
      status: { type: 'string', enum: ['PENDING', 'DELIVERED', 'FAILED'] },
      attempts: { type: 'integer' },
      lastError: { type: 'string' },
      deliveredTime: { type: 'number', description: 'Unix seconds' },
    },
  },
} as const;

export const runSchema = {
  $id: 'Run',
  type: 'object',
  additionalProperties: true,
  properties: runProperties,
} as const;

/**
 * A failed blocking run: the run itself plus `code` and `message`, so that the `{code, message}` error contract
 * holds for every failure. Also fits a plain `{code, message}` error (the run fields are then absent).
 */
export const runFailureSchema = {
  $id: 'RunFailure',
  type: 'object',
  required: ['code', 'message'],
  additionalProperties: true,
  properties: {
    code: { type: 'integer' },
    message: { type: 'string' },
    ...runProperties,
  },
} as const;

export const runRequestSchema = {
  $id: 'RunRequest',
  type: 'object',
  additionalProperties: false,
  properties: {
    input: { description: "The function's payload (any JSON)" },
    blocking: { type: 'boolean', default: true, description: 'False: answer 202 at once and run in the background' },
    secrets: { type: 'array', items: { type: 'string' }, description: "Secrets added to the function's for this run" },
    maxAttempts: {
      type: 'integer',
      minimum: 1,
      maximum: 20,
      description: "Async runs: attempts when the function fails (FunctionError); default the function's maxAttempts, or 1",
    },
    callbackURL: {
      type: 'string',
      description: 'Async runs: POST the finished run here, signed in X-Dispatch-Signature (also the X-Callback-Url header)',
    },
  },
} as const;
