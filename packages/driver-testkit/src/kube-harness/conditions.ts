/** A Knative condition, as `status.conditions` holds them. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  severity?: string;
}

/** A condition's wanted state, without its transition time. */
export type ConditionState = Omit<Condition, 'lastTransitionTime'>;

/**
 * Builds `status.conditions` sorted by type, keeping each condition's lastTransitionTime while its status
 * stays the same (so that an unchanged status is an unchanged object, with no resource version bump).
 */
export function conditions(previous: unknown, wanted: ConditionState[]): Condition[] {
  const before = Array.isArray(previous) ? (previous as Condition[]) : [];
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return wanted
    .map((state) => {
      const old = before.find((condition) => condition.type === state.type);
      const condition: Condition = { ...state, lastTransitionTime: old?.status === state.status ? (old.lastTransitionTime ?? now) : now };
      if (condition.reason === undefined) delete condition.reason;
      if (condition.message === undefined) delete condition.message;
      return condition;
    })
    .sort((a, b) => a.type.localeCompare(b.type));
}

export const isTrue = (state: ConditionState['status']): boolean => state === 'True';
