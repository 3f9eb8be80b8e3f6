import { adminHeaders, resultOf } from './client.js';

/**
 * Reads an NDJSON stream of the admin API (`/v1/<kind>/{name}/events`, `/v1/function/{name}/logs`) line by
 * line as it arrives. EventSource cannot send the bearer header, so this reads the fetch body itself. Ends when
 * the server ends the stream or `signal` aborts (then it ends quietly).
 */
export async function* readNdjson<T>(path: string, signal: AbortSignal): AsyncGenerator<T> {
  let response: Response;
  try {
    response = await fetch(path, { headers: adminHeaders(), signal, credentials: 'omit', cache: 'no-store' });
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  }
  if (!response.ok || response.body === null) {
    resultOf({ status: response.status, body: await response.text() });
    return;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line !== '') yield JSON.parse(line) as T;
      }
    }
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  } finally {
    reader.releaseLock();
  }
}
