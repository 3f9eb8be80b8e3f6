import type { KnativeCondition, KnativeObject } from './knative-service.js';

/** What Knative says about a Service, before the driver checks that a call succeeds. */
export type ServiceState = { kind: 'ready' } | { kind: 'pending'; reason: string } | { kind: 'failed'; reason: string; revision?: string };

export function condition(object: KnativeObject | undefined, type: string): KnativeCondition | undefined {
  return object?.status?.conditions?.find((candidate) => candidate.type === type);
}

/**
 * Knative's readiness: the controller has seen this generation (observedGeneration == generation) and
 * `Ready` is True. A `RevisionFailed` (on Ready or ConfigurationsReady) is a failure that needs a change.
 */
export function serviceState(service: KnativeObject): ServiceState {
  const generation = service.metadata.generation;
  const observed = service.status?.observedGeneration;
  if (generation !== undefined && observed !== generation) {
    return { kind: 'pending', reason: `Knative has not reconciled generation ${generation} yet (observed: ${observed ?? 'none'})` };
  }
  const ready = condition(service, 'Ready');
  const configuration = condition(service, 'ConfigurationsReady');
  const failedRevision = [ready, configuration].find((candidate) => candidate?.status === 'False' && candidate.reason === 'RevisionFailed');
  if (failedRevision !== undefined) {
    const revision = service.status?.latestCreatedRevisionName;
    return { kind: 'failed', reason: failedRevision.message ?? 'RevisionFailed', ...(revision === undefined ? {} : { revision }) };
  }
  if (ready?.status === 'True') return { kind: 'ready' };
  const why = ready?.message ?? ready?.reason ?? 'Knative reports no Ready condition yet';
  return { kind: 'pending', reason: why };
}

/** The failed revision's own words (`ContainerMissing: Unable to fetch image …`), from its Ready condition. */
export function revisionFailure(revision: KnativeObject | undefined): string | undefined {
  const ready = condition(revision, 'Ready');
  if (ready?.status !== 'False') return undefined;
  return [ready.reason, ready.message].filter((part) => part !== undefined && part !== '').join(': ');
}
