import type { Exchange } from '../api/client.js';

/** The admin token never appears on screen, even in the raw exchange. */
function shown(name: string, value: string): string {
  return name.toLowerCase() === 'authorization' && value.startsWith('Bearer ') ? 'Bearer •••' : value;
}

function formatBody(body: string | undefined): string {
  if (body === undefined || body === '') return '';
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/** The raw HTTP exchange of a tester run, as a person reading curl -v would expect it. */
export function RawExchange({ exchange }: { exchange: Exchange }) {
  const { request, response } = exchange;
  const url = new URL(request.url, location.href);
  const requestText = [
    `${request.method} ${url.pathname}${url.search} HTTP/1.1`,
    `host: ${url.host}`,
    ...Object.entries(request.headers).map(([name, value]) => `${name}: ${shown(name, value)}`),
    '',
    formatBody(request.body),
  ].join('\n');
  const responseText = response
    ? [
        `HTTP/1.1 ${response.status} ${response.statusText}`,
        ...Object.entries(response.headers).map(([name, value]) => `${name}: ${value}`),
        '',
        formatBody(response.body),
      ].join('\n')
    : '(no answer)';
  return (
    <details class="exchange">
      <summary>Raw HTTP exchange ({exchange.ms} ms)</summary>
      <h3>Request</h3>
      <pre class="code" aria-label="Raw request">
        {requestText}
      </pre>
      <h3>Response</h3>
      <pre class="code" aria-label="Raw response">
        {responseText}
      </pre>
    </details>
  );
}
