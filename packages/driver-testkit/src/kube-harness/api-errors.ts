/** A Kubernetes `Status` body, as the API server answers every failed request. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
  code: number;
}

/** One reason a request was invalid, pointing at the field. */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

/** What the harness's API throws: answered as a `Status` body with `code` as the HTTP status. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: KubeStatus['details'],
  ) {
    super(message);
    this.name = 'KubeApiError';
  }

  toStatus(): KubeStatus {
    const status: KubeStatus = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details !== undefined) status.details = this.details;
    return status;
  }
}

/** Identifies a kind of object in messages, as the API server does: `services.serving.knative.dev`. */
export interface ResourceName {
  group: string;
  plural: string;
}

const qualified = (resource: ResourceName): string => `${resource.plural}.${resource.group}`;

export function notFound(resource: ResourceName, name: string): KubeApiError {
  return new KubeApiError(404, 'NotFound', `${qualified(resource)} "${name}" not found`, {
    name,
    group: resource.group,
    kind: resource.plural,
  });
}

export function alreadyExists(resource: ResourceName, name: string): KubeApiError {
  return new KubeApiError(409, 'AlreadyExists', `${qualified(resource)} "${name}" already exists`, {
    name,
    group: resource.group,
    kind: resource.plural,
  });
}

export function conflict(resource: ResourceName, name: string): KubeApiError {
  return new KubeApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: resource.group, kind: resource.plural },
  );
}

/** 422: the object breaks the schema or a rule of the API server. */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): KubeApiError {
  const list = causes.map((cause) => (cause.field === undefined ? cause.message : `${cause.field}: ${cause.message}`));
  return new KubeApiError(422, 'Invalid', `${kind}.${group} "${name}" is invalid: ${formatList(list)}`, {
    name,
    group,
    kind,
    causes,
  });
}

function formatList(items: string[]): string {
  return items.length === 1 ? (items[0] ?? '') : `[${items.join(', ')}]`;
}

export function badRequest(message: string): KubeApiError {
  return new KubeApiError(400, 'BadRequest', message);
}
