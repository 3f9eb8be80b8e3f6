import { CliError } from './errors.js';
import { readUserFile } from './files.js';
import type { ManifestDocument } from './manifest.js';

/** What a funker-dispatch `services.json` import needs beyond the file. */
export interface ServicesJsonOptions {
  /** The Alexa skills allowed to call the alexa endpoint (the file has no place for them). */
  applicationIds?: string[];
  /** The secret holding the GitHub webhook secret, for the github endpoints. */
  webhookSecret?: string;
}

/** One entry of funker-dispatch's manifest. */
interface FunkerService {
  type: 'alexa' | 'github';
  provider?: string;
  service: string;
  image: string;
}

/** funker-dispatch's alexa endpoint served `POST /`; so does the one an import creates. */
export const SERVICES_ALEXA_ENDPOINT = 'alexa';

/**
 * A Dispatch function name for a funker service name: lower-case, runs of other characters made a single '-',
 * at most 63 characters (`HelloIntent` → `hellointent`, `Captains_Intent` → `captains-intent`).
 */
export function functionNameFor(service: string): string {
  return service
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

function isServicesJson(value: unknown): value is { version?: unknown; services: unknown[] } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Array.isArray((value as { services?: unknown }).services) &&
    !('kind' in value)
  );
}

function checkService(file: string, position: number, entry: unknown): FunkerService {
  const at = `${file}: services[${position}]`;
  if (typeof entry !== 'object' || entry === null) throw new CliError(400, `${at} must be an object with type, service and image`);
  const { type, service, image, provider } = entry as Record<string, unknown>;
  if (type !== 'alexa' && type !== 'github')
    throw new CliError(400, `${at}: type must be "alexa" or "github" (got ${JSON.stringify(type)})`);
  if (typeof service !== 'string' || functionNameFor(service) === '')
    throw new CliError(400, `${at}: service must name the function (e.g. "HelloIntent")`);
  if (typeof image !== 'string' || image === '') throw new CliError(400, `${at} (${service}): image is required`);
  if (type === 'alexa' && !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(service))
    throw new CliError(400, `${at}: "${service}" is not an Alexa intent name`);
  return { type, service, image, ...(typeof provider === 'string' ? { provider } : {}) };
}

/**
 * Reads funker-dispatch's `services.json` (`{"version", "services": [{type, provider, service, image}]}`) as the
 * manifest it means: each service a function from its image (`protocol: funker`), the alexa services behind
 * one alexa endpoint on `POST /` whose intents map routes each intent to its function, and each github service
 * behind a github endpoint on `POST /github/<function>`. Undefined when the file is not a services.json.
 */
export async function loadServicesJson(
  file: string,
  options: ServicesJsonOptions & { bodies?: boolean } = {},
): Promise<ManifestDocument[] | undefined> {
  if (!file.toLowerCase().endsWith('.json')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readUserFile(file, 'manifest'));
  } catch (error) {
    if (error instanceof CliError) throw error;
    return undefined;
  }
  if (!isServicesJson(parsed)) return undefined;
  const services = parsed.services.map((entry, position) => checkService(file, position, entry));
  if (services.length === 0) throw new CliError(400, `${file}: services is empty`);

  const documents: ManifestDocument[] = [];
  const add = (kind: ManifestDocument['kind'], body: Record<string, unknown> & { name: string }) =>
    documents.push({ index: documents.length + 1, kind, name: body.name, body });
  const seen = new Map<string, string>();
  for (const { service, image } of services) {
    const name = functionNameFor(service);
    const other = seen.get(name);
    if (other !== undefined && other !== service)
      throw new CliError(400, `${file}: services "${other}" and "${service}" both become function "${name}"`);
    if (other === undefined) add('function', { name, image, protocol: 'funker' });
    seen.set(name, service);
  }

  const alexa = services.filter((entry) => entry.type === 'alexa');
  if (alexa.length > 0) {
    const applicationIds = options.applicationIds ?? [];
    if (options.bodies !== false && applicationIds.length === 0) {
      throw new CliError(
        400,
        `${file} has alexa services: give your skill's id with --application-id (requests from any other skill are refused)`,
      );
    }
    add('endpoint', {
      name: SERVICES_ALEXA_ENDPOINT,
      trigger: 'alexa',
      methods: ['POST'],
      uris: ['/'],
      triggerSettings: {
        applicationIds,
        intents: Object.fromEntries(alexa.map((entry) => [entry.service, functionNameFor(entry.service)])),
      },
    });
  }
  for (const entry of services.filter((service) => service.type === 'github')) {
    if (options.bodies !== false && !options.webhookSecret) {
      throw new CliError(400, `${file} has github services: give --webhook-secret SECRET, a secret holding the webhook's secret`);
    }
    const fn = functionNameFor(entry.service);
    add('endpoint', {
      name: `github-${fn}`.slice(0, 63).replace(/-+$/, ''),
      function: fn,
      trigger: 'github',
      methods: ['POST'],
      uris: [`/github/${fn}`],
      ...(options.webhookSecret ? { authSecret: options.webhookSecret } : {}),
      triggerSettings: { events: ['push'] },
    });
  }
  return documents;
}
