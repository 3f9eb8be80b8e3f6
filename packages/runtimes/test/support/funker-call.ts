import { connect } from 'node:net';

/** Sends one request the funker way (write, half-close) and reads the raw reply until the server closes. */
export function funkerCallRaw(port: number, body: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
    socket.end(body);
  });
}

/** A funker call with a JSON request, answering the decoded envelope. */
export async function funkerCall(port: number, request: unknown): Promise<Envelope> {
  return JSON.parse(await funkerCallRaw(port, JSON.stringify(request))) as Envelope;
}

export interface Envelope {
  context: {
    logs: { stdout: string[]; stderr: string[] };
    error?: { type: 'InputError' | 'FunctionError' | 'SystemError'; message: string; stacktrace: string[] };
  };
  payload: unknown;
}
