import type { DeploySpec, Driver, Language, LogLine, RunEnvelope } from '@dispatch/core/driver';

/** Options of `callFunction`. */
export interface CallOptions {
  secrets?: Record<string, string>;
  /** The run's timeout sent in `context.timeout`; default 0 (the function's own). */
  timeoutMs?: number;
  /** Milliseconds until the call is abandoned; default 30000. */
  deadlineMs?: number;
}

/** Invokes a function the way core's run service does. */
export function callFunction(driver: Driver, name: string, payload: unknown, options: CallOptions = {}): Promise<RunEnvelope> {
  return driver.invoke(
    name,
    { context: { secrets: options.secrets ?? {}, timeout: options.timeoutMs ?? 0, functionName: name }, payload },
    { deadline: Date.now() + (options.deadlineMs ?? 30_000) },
  );
}

/** A DeploySpec with the defaults a test does not care about. */
export function deploySpec(
  fields: Pick<DeploySpec, 'name' | 'language' | 'imageURL' | 'source' | 'handler'> & Partial<DeploySpec>,
): DeploySpec {
  return { revision: 1, protocol: 'dispatch', env: {}, replicas: 1, timeout: 10_000, ...fields };
}

/** The URL of an image without dependencies, built through the driver like a fresh install would. */
export async function plainImage(driver: Driver, language: Language): Promise<string> {
  const baseImageURL = driver.defaultBaseImages?.()[language] ?? `dispatch/${language}-base`;
  await driver.prepareBaseImage?.({ name: `${language}-base`, language, imageURL: baseImageURL });
  const built = await driver.buildImage({
    name: `contract-${language}`,
    language,
    baseImageURL,
    runtimeDependencies: '',
    systemPackages: [],
  });
  return built.imageURL;
}

/** Retries `check` until it stops throwing or `timeoutMs` passes (then throws its last error). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 30_000, intervalMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= until) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** The buffered log lines of a function (`logs` without follow). */
export async function collectLogs(driver: Driver, name: string, tail?: number): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  if (driver.logs === undefined) return lines;
  for await (const line of driver.logs(name, { tail })) lines.push(line);
  return lines;
}

/** Follows a function's logs until a line matches, or rejects after `timeoutMs`. */
export async function waitForLogLine(
  driver: Driver,
  name: string,
  matches: (line: LogLine) => boolean,
  timeoutMs = 10_000,
): Promise<LogLine> {
  if (driver.logs === undefined) throw new Error(`driver "${driver.name}" has no logs`);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    for await (const line of driver.logs(name, { follow: true, tail: 0, signal: controller.signal })) {
      if (matches(line)) return line;
    }
    throw new Error(`no matching log line of "${name}" within ${timeoutMs} ms`);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
