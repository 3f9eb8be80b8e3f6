import type { EntityKind } from '@dispatch/core/driver';
import type { ErrorObject, ValidateFunction } from 'ajv';

/** Fields a manifest document may carry beside the API's: what `apply` reads itself. */
export const MANIFEST_ONLY_FIELDS: Readonly<Partial<Record<EntityKind, readonly string[]>>> = {
  function: ['sourcePath'],
};

let validators: Promise<Record<EntityKind, ValidateFunction>> | undefined;

/** One validator per kind, from the gateway's own body schemas (so the CLI and the API agree on fields). */
async function compile(): Promise<Record<EntityKind, ValidateFunction>> {
  const [{ Ajv }, schemas] = await Promise.all([import('ajv'), import('@dispatch/gateway/schemas')]);
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
  ajv.addSchema(schemas.tagSchema);
  const forKind = (create: object, kind: EntityKind) => {
    const extras = Object.fromEntries((MANIFEST_ONLY_FIELDS[kind] ?? []).map((field) => [field, { type: 'string' }]));
    const schema = create as { properties: Record<string, unknown>; $id: string };
    // The manifest's `kind` is read by the CLI; `name` is checked before.
    return ajv.compile({ ...schema, $id: `Manifest${schema.$id}`, properties: { ...schema.properties, kind: {}, ...extras } });
  };
  return {
    baseimage: forKind(schemas.baseImageSchemas.create, 'baseimage'),
    image: forKind(schemas.imageSchemas.create, 'image'),
    function: forKind(schemas.functionSchemas.create, 'function'),
    secret: forKind(schemas.secretSchemas.create, 'secret'),
    endpoint: forKind(schemas.endpointSchemas.create, 'endpoint'),
    schedule: forKind(schemas.scheduleSchemas.create, 'schedule'),
  };
}

function describe(error: ErrorObject): string {
  const at = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const field = (name: string) => (at === '' ? name : `${at}.${name}`);
  switch (error.keyword) {
    case 'additionalProperties': {
      const unknown = (error.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {}).filter(
        (key) => key !== 'kind',
      );
      return `unknown field "${field(unknown)}" (known: ${known.join(', ')})`;
    }
    case 'required':
      return `${field((error.params as { missingProperty: string }).missingProperty)} is required`;
    case 'type':
      return `${at || 'the document'} must be ${(error.params as { type: string }).type === 'array' ? 'a list' : `a ${(error.params as { type: string }).type}`}`;
    default:
      return `${at || 'the document'} ${error.message ?? 'is not valid'}`;
  }
}

/**
 * The problems of one manifest document against its kind's schema, one line each (empty when it is valid):
 * an unknown field is named (`unknown field "source_path"`) rather than reported as a missing one.
 */
export async function manifestProblems(kind: EntityKind, document: Record<string, unknown>): Promise<string[]> {
  validators ??= compile();
  const validate = (await validators)[kind];
  if (validate(document)) return [];
  return [...new Set((validate.errors ?? []).map(describe))];
}
