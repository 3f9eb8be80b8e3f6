import type { DispatchFunction } from '../domain/types.js';
import { EntityNotFoundError } from '../errors.js';
import { compilePayloadSchema, type PayloadValidator } from './schema-validator.js';
import type { ServiceContext } from './service-context.js';

/** What the run path needs of a function, prepared once per version of it. */
export interface FunctionRuntime {
  fn: DispatchFunction;
  validateIn?: PayloadValidator;
  validateOut?: PayloadValidator;
}

/**
 * Keeps the run path off the store: functions (with their compiled schemas) and secrets are read once and
 * dropped whenever they are written, here or (on a store shared by several gateways) by another gateway.
 */
export class FunctionRuntimeCache {
  private readonly functions = new Map<string, Promise<FunctionRuntime>>();
  private readonly secrets = new Map<string, Promise<Record<string, string>>>();

  constructor(private readonly context: ServiceContext) {
    context.lifecycles.function.onWrite((name) => this.functions.delete(name));
    context.lifecycles.secret.onWrite((name) => this.secrets.delete(name));
    context.store.watchChanges?.(({ kind, name }) => {
      const cached = kind === 'function' ? this.functions : kind === 'secret' ? this.secrets : undefined;
      if (name === undefined) cached?.clear();
      else cached?.delete(name);
    });
  }

  function(name: string): Promise<FunctionRuntime> {
    let runtime = this.functions.get(name);
    if (!runtime) {
      runtime = this.load(name);
      this.functions.set(name, runtime);
      // A failed read (unknown function) must not stay cached.
      runtime.catch(() => this.functions.delete(name));
    }
    return runtime;
  }

  /** The flat merged map of the named secrets, later names winning. */
  async mergedSecrets(names: readonly string[]): Promise<Record<string, string>> {
    if (names.length === 0) return {};
    const maps = await Promise.all(names.map((name) => this.secret(name)));
    return maps.length === 1 ? (maps[0] as Record<string, string>) : Object.assign({}, ...maps);
  }

  private secret(name: string): Promise<Record<string, string>> {
    let values = this.secrets.get(name);
    if (!values) {
      values = this.context.lifecycles.secret.repo.get(name).then((secret) => {
        if (!secret) throw new EntityNotFoundError({ kind: 'secret', name }, `secret "${name}" not found`);
        return secret.secrets;
      });
      this.secrets.set(name, values);
      values.catch(() => this.secrets.delete(name));
    }
    return values;
  }

  private async load(name: string): Promise<FunctionRuntime> {
    const fn = await this.context.lifecycles.function.get(name);
    const runtime: FunctionRuntime = { fn };
    const validateIn = compilePayloadSchema(fn.schema?.in, 'schema.in');
    const validateOut = compilePayloadSchema(fn.schema?.out, 'schema.out');
    if (validateIn) runtime.validateIn = validateIn;
    if (validateOut) runtime.validateOut = validateOut;
    return runtime;
  }
}
