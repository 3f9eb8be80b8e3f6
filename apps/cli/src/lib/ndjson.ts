/** How a stream of the gateway ended. */
export type StreamEnd =
  /** The gateway ended it: the thing streamed is done (READY, or not followed). */
  | 'ended'
  /** The gateway is stopping: its last line was `{"type":"stopped"}`. */
  | 'stopped'
  /** The connection closed without a last line (the gateway was killed, the network dropped). */
  | 'lost';

/** What the CLI prints when a stream ended because the gateway stopped. */
export const GATEWAY_STOPPED_LINE = 'the gateway stopped';

const isStopped = (value: unknown) => typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'stopped';

/**
 * Reads a stream of NDJSON lines, giving each parsed line (or the raw text of a line that is not JSON) to
 * `onLine`. A stream that closes is an ordinary end, never an error: the answer says how it ended.
 */
export async function readNdjson(stream: AsyncIterable<Uint8Array>, onLine: (value: unknown, text: string) => void): Promise<StreamEnd> {
  const decoder = new TextDecoder();
  let pending = '';
  let stopped = false;
  const flush = (text: string) => {
    if (text.trim() === '' || stopped) return;
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON: handed over as text.
    }
    if (isStopped(value)) stopped = true;
    else onLine(value, text);
  };
  try {
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) flush(line);
      if (stopped) return 'stopped';
    }
  } catch {
    // node:http reports a connection closed mid-answer as an error ('aborted', ECONNRESET).
    return stopped ? 'stopped' : 'lost';
  }
  flush(pending + decoder.decode());
  return stopped ? 'stopped' : 'ended';
}
