import { ApiException, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { BackendError, ConflictError, InvalidInputError, NotFoundError } from '@dispatch/core/driver';
import type { KnativeObject } from './knative-service.js';

export const GROUP = 'serving.knative.dev';
export const VERSION = 'v1';

/** Where the driver finds its cluster: a kubeconfig file, a loaded KubeConfig, or the defaults. */
export type KubeconfigSource = string | KubeConfig | undefined;

/**
 * Loads the cluster's configuration: a given file or KubeConfig; otherwise KUBECONFIG, ~/.kube/config,
 * or the pod's service account (in cluster), as kubectl does.
 */
export function loadKubeConfig(source: KubeconfigSource): KubeConfig {
  if (source instanceof KubeConfig) return source;
  const config = new KubeConfig();
  if (typeof source === 'string') config.loadFromFile(source);
  else config.loadFromDefault();
  if (config.getCurrentCluster() === null) {
    throw new BackendError('[knative] no Kubernetes cluster configured: set KUBECONFIG, write ~/.kube/config, or run in a pod');
  }
  return config;
}

/** A list of Knative objects, with the resource version to watch from. */
export interface KnativeList {
  items: KnativeObject[];
  metadata: { resourceVersion?: string };
}

/**
 * The calls the driver makes to the Kubernetes API, for `serving.knative.dev/v1` Services and Revisions,
 * with the API's failures turned into Dispatch's errors.
 */
export class KnativeClient {
  private readonly api: CustomObjectsApi;
  readonly server: string;
  /** The API path of the namespace's Services, which the informer lists and watches. */
  readonly servicesPath: string;

  constructor(
    readonly config: KubeConfig,
    readonly namespace: string,
  ) {
    this.api = config.makeApiClient(CustomObjectsApi);
    this.server = config.getCurrentCluster()?.server ?? '(no server)';
    this.servicesPath = `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/services`;
  }

  async getService(name: string): Promise<KnativeObject> {
    return this.call(`get service "${name}"`, () => this.api.getNamespacedCustomObject(this.params('services', name)));
  }

  async findService(name: string): Promise<KnativeObject | undefined> {
    try {
      return await this.getService(name);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async getRevision(name: string): Promise<KnativeObject | undefined> {
    try {
      return await this.call(`get revision "${name}"`, () => this.api.getNamespacedCustomObject(this.params('revisions', name)));
    } catch (error) {
      // Reading revisions only refines messages: a missing one or a role without it is not a failure.
      if (error instanceof NotFoundError || apiStatusOf(error) === 403) return undefined;
      throw error;
    }
  }

  async createService(body: KnativeObject): Promise<KnativeObject> {
    return this.call(`create service "${body.metadata.name}"`, () =>
      this.api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural: 'services', body }),
    );
  }

  async replaceService(body: KnativeObject): Promise<KnativeObject> {
    return this.call(`update service "${body.metadata.name}"`, () =>
      this.api.replaceNamespacedCustomObject({ ...this.params('services', body.metadata.name), body }),
    );
  }

  /** A JSON merge patch (RFC 7386), the patch type custom resources accept besides JSON patch. */
  async mergePatchService(name: string, patch: unknown): Promise<KnativeObject> {
    return this.call(`patch service "${name}"`, () =>
      this.api.patchNamespacedCustomObject(
        { ...this.params('services', name), body: patch },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
  }

  async deleteService(name: string): Promise<void> {
    await this.call(`delete service "${name}"`, () => this.api.deleteNamespacedCustomObject(this.params('services', name)));
  }

  async listServices(labelSelector: string): Promise<KnativeList> {
    return this.call('list services', () =>
      this.api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural: 'services', labelSelector }),
    );
  }

  private params(plural: string, name: string) {
    return { group: GROUP, version: VERSION, namespace: this.namespace, plural, name };
  }

  private async call<T>(what: string, run: () => Promise<unknown>): Promise<T> {
    try {
      return (await run()) as T;
    } catch (error) {
      throw this.translate(what, error);
    }
  }

  private translate(what: string, error: unknown): Error {
    if (error instanceof ApiException) {
      const code = (error as ApiException<unknown>).code;
      const message = statusMessage((error as ApiException<unknown>).body) ?? error.message;
      if (code === 404) return new NotFoundError(`[knative] ${what}: ${message}`, { cause: error });
      if (code === 409) return new ConflictError(`[knative] ${what}: ${message}`, { cause: error });
      if (code === 400 || code === 422) return new InvalidInputError(`[knative] ${what}: ${message}`, { cause: error });
      return new BackendError(`[knative] ${what}: HTTP ${code}: ${message}`, { cause: error });
    }
    const reason = error instanceof Error ? error.message : String(error);
    return new BackendError(`[knative] ${what}: the Kubernetes API at ${this.server} did not answer: ${reason}`, { cause: error });
  }
}

/** The HTTP status the Kubernetes API answered, for an error this client translated. */
function apiStatusOf(error: unknown): number | undefined {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof ApiException ? (cause as ApiException<unknown>).code : undefined;
}

/** The `message` of a Kubernetes Status body (client-node 1.4 keeps it as a JSON string). */
function statusMessage(body: unknown): string | undefined {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body === '' ? undefined : body;
    }
  }
  if (typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string') {
    return (value as { message: string }).message;
  }
  return undefined;
}
