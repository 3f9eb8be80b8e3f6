import type { BaseImage, DispatchFunction, Endpoint, EntityByKind, EntityKind, Image, Run, Schedule, Secret } from '@dispatch/core/driver';
import type { Connection } from '../lib/connection.js';
import { GatewayHttp, errorOf, type Query } from './http.js';

/** The REST calls on one kind of entity: `/v1/<kind>` and `/v1/<kind>/{name}`. */
export class EntityApi<T> {
  constructor(
    private readonly http: GatewayHttp,
    readonly kind: EntityKind,
  ) {}

  private path(name?: string): string {
    return name === undefined ? `/v1/${this.kind}` : `/v1/${this.kind}/${encodeURIComponent(name)}`;
  }

  /** `GET /v1/<kind>` */
  list(query?: Query): Promise<T[]> {
    return this.http.request('GET', this.path(), { query });
  }

  /** `GET /v1/<kind>/{name}` */
  get(name: string, query?: Query): Promise<T> {
    return this.http.request('GET', this.path(name), { query });
  }

  /** `POST /v1/<kind>` */
  create(body: Record<string, unknown>): Promise<T> {
    return this.http.request('POST', this.path(), { body });
  }

  /** `PUT /v1/<kind>/{name}` */
  update(name: string, body: Record<string, unknown>): Promise<T> {
    return this.http.request('PUT', this.path(name), { body });
  }

  /** `DELETE /v1/<kind>/{name}` */
  delete(name: string): Promise<T> {
    return this.http.request('DELETE', this.path(name));
  }

  /**
   * `GET /v1/<kind>/{name}/events`: status changes and build or deploy progress as NDJSON, until READY or ERROR.
   * Answers undefined when the gateway has no such route (an older gateway).
   */
  async events(name: string): Promise<AsyncIterable<Buffer> | undefined> {
    const response = await this.http.send('GET', `${this.path(name)}/events`);
    if (response.ok) return response.body;
    await response.text();
    return undefined;
  }
}

export interface RunOptions {
  input: unknown;
  blocking: boolean;
  secrets?: string[];
  /** Async runs: attempts when the function fails. */
  maxAttempts?: number;
  /** Async runs: where the finished run is POSTed. */
  callbackURL?: string;
  /** Async runs: the same key within its window returns the same run. */
  idempotencyKey?: string;
}

export interface ServerVersion {
  version: string;
  backend: string;
}

/** One log line of a function, as the proposed `GET /v1/function/{name}/logs` streams them (NDJSON). */
export interface FunctionLogLine {
  time?: number | string;
  stream?: 'stdout' | 'stderr' | string;
  line: string;
  source?: string;
}

/** A client of the Dispatch gateway's REST API: one method per call. */
export class GatewayClient {
  readonly http: GatewayHttp;
  readonly baseImages: EntityApi<BaseImage>;
  readonly images: EntityApi<Image>;
  readonly functions: EntityApi<DispatchFunction>;
  readonly secrets: EntityApi<Secret>;
  readonly endpoints: EntityApi<Endpoint>;
  readonly schedules: EntityApi<Schedule>;

  constructor(readonly connection: Connection) {
    this.http = new GatewayHttp(connection);
    this.baseImages = new EntityApi(this.http, 'baseimage');
    this.images = new EntityApi(this.http, 'image');
    this.functions = new EntityApi(this.http, 'function');
    this.secrets = new EntityApi(this.http, 'secret');
    this.endpoints = new EntityApi(this.http, 'endpoint');
    this.schedules = new EntityApi(this.http, 'schedule');
  }

  /** The API of one kind, by its name in the REST paths. */
  entities<K extends EntityKind>(kind: K): EntityApi<EntityByKind[K]> {
    const byKind = {
      baseimage: this.baseImages,
      image: this.images,
      function: this.functions,
      secret: this.secrets,
      endpoint: this.endpoints,
      schedule: this.schedules,
    } as const;
    return byKind[kind] as unknown as EntityApi<EntityByKind[K]>;
  }

  /**
   * `POST /v1/runs?functionName=`: a blocking run answers the run (a failed run throws a GatewayError whose
   * body is the run plus `code` and `message`); `blocking: false` answers the run at once (202).
   */
  runFunction(functionName: string, options: RunOptions): Promise<Run> {
    const { input, blocking, secrets, maxAttempts, callbackURL, idempotencyKey } = options;
    return this.http.request('POST', '/v1/runs', {
      query: { functionName },
      body: { input, blocking, secrets, maxAttempts, callbackURL },
      headers: idempotencyKey === undefined ? undefined : { 'idempotency-key': idempotencyKey },
    });
  }

  /** `GET /v1/runs?functionName=&limit=&offset=&failed=&schedule=`, newest first; `failed` lists the dead letters. */
  listRuns(query: { functionName?: string; limit?: number; offset?: number; failed?: boolean; schedule?: string } = {}): Promise<Run[]> {
    return this.http.request('GET', '/v1/runs', { query });
  }

  /** `POST /v1/runs/{id}/requeue`: queues a dead-lettered run again. */
  requeueRun(id: string): Promise<Run> {
    return this.http.request('POST', `/v1/runs/${encodeURIComponent(id)}/requeue`);
  }

  /** `GET /v1/runs/{id}` */
  getRun(id: string): Promise<Run> {
    return this.http.request('GET', `/v1/runs/${encodeURIComponent(id)}`);
  }

  /** `GET /v1/version` */
  version(): Promise<ServerVersion> {
    return this.http.request('GET', '/v1/version');
  }

  /**
   * `GET /v1/function/{name}/logs?follow=&tail=`, streaming NDJSON lines. Answers undefined when the gateway
   * has no such route, so that the caller can fall back to the logs of recent runs: any 404 but the one naming
   * the missing entity, since a gateway older than the route may not say `RouteNotFound`.
   */
  async functionLogs(name: string, options: { follow: boolean; tail?: number }): Promise<AsyncIterable<Buffer> | undefined> {
    const response = await this.http.send('GET', `/v1/function/${encodeURIComponent(name)}/logs`, {
      query: { follow: options.follow, tail: options.tail },
    });
    if (response.ok) return response.body;
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: reported as the status and the start of the text.
    }
    const error = errorOf(response, body);
    if (response.status === 404 && (body as { kind?: unknown } | undefined)?.kind !== 'EntityNotFound') return undefined;
    throw error;
  }
}
