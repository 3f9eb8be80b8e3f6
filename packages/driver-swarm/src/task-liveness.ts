import type { TaskAddresses } from './task-addresses.js';

/** How long a call runs before its task's presence is first checked: most calls end sooner and cost nothing. */
const FIRST_CHECK_MS = 1000;
/** How often a longer call's task is checked after that. */
const CHECK_EVERY_MS = 1000;
/** How long one resolution of a service's addresses serves every call in flight to it. */
const SHARED_FOR_MS = 500;

/**
 * The task that had a call is no longer among its service's tasks: its container was removed or replaced while
 * the call was in flight. A removed container's network namespace goes with it, so nothing resets the
 * connection: without this check the call would wait for its deadline.
 */
export class TaskGoneError extends Error {
  readonly host: string;

  constructor(host: string) {
    super(`the task at ${host} is gone (its container was removed during the call)`);
    this.name = 'TaskGoneError';
    this.host = host;
  }
}

/** Watches the tasks that have calls in flight. */
export interface TaskLiveness {
  /**
   * Aborts `controller` with a TaskGoneError once `host` is no longer an address of `service`; checks start
   * after a second and repeat every second. Returns the function that stops watching (call it when the call ends).
   */
  watch(service: string, host: string, controller: AbortController): () => void;
}

/**
 * Liveness of tasks by their service's addresses (Swarm's DNS drops a task's record when its container goes).
 * The addresses are the set the calls share, resolved again when older than half a second, so many long calls
 * cost one lookup a period.
 */
export function createTaskLiveness(taskAddresses: TaskAddresses): TaskLiveness {
  function addressesOf(service: string): Promise<string[] | undefined> {
    return taskAddresses.fresh(service, SHARED_FOR_MS).then(
      (list) => list,
      // No record at all: the service has no running task. Any other failure says nothing about the task.
      (error: NodeJS.ErrnoException) => (error.code === 'ENOTFOUND' ? [] : undefined),
    );
  }

  return {
    watch(service, host, controller) {
      let stopped = false;
      let timer = setTimeout(check, FIRST_CHECK_MS);
      async function check(): Promise<void> {
        const addresses = await addressesOf(service);
        if (stopped) return;
        if (addresses !== undefined && !addresses.includes(host)) {
          controller.abort(new TaskGoneError(host));
          return;
        }
        timer = setTimeout(check, CHECK_EVERY_MS);
      }
      return () => {
        stopped = true;
        clearTimeout(timer);
      };
    },
  };
}
