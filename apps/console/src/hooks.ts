import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get } from './api/client.js';

export interface Loaded<T> {
  data?: T;
  error?: Error;
  loading: boolean;
  reload(): void;
}

/** Loads `path` from the admin API, again when it changes or on `reload()`; `undefined` loads nothing. */
export function useApi<T>(path: string | undefined): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: path !== undefined });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (path === undefined) return setState({ loading: false });
    const abort = new AbortController();
    setState((previous) => ({ ...previous, loading: true }));
    get<T>(path, abort.signal).then(
      (data) => !abort.signal.aborted && setState({ data, loading: false }),
      (error: Error) => !abort.signal.aborted && setState({ error, loading: false }),
    );
    return () => abort.abort();
  }, [path, generation]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { ...state, reload };
}

/** Calls `tick` every `ms` while the tab is visible. */
export function useInterval(tick: () => void, ms: number): void {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    const timer = setInterval(() => document.visibilityState === 'visible' && saved.current(), ms);
    return () => clearInterval(timer);
  }, [ms]);
}
