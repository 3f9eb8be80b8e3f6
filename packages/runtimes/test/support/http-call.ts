import { request as httpRequest, type Agent } from 'node:http';

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Whether the request went over a kept-alive connection. */
  reusedSocket: boolean;
}

export interface HttpCallOptions {
  method?: string;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
  agent?: Agent;
}

/** One HTTP request to a local server, answering the status, headers and the body decoded once. */
export function httpCall(port: number, options: HttpCallOptions = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/',
        headers: options.headers,
        agent: options.agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            reusedSocket: req.reusedSocket,
          }),
        );
      },
    );
    req.on('error', reject);
    if (options.body === undefined) req.end();
    else req.end(options.body);
  });
}
