/**
 * `X-Hub-Signature-256` as GitHub sends it: `sha256=` and the hex HMAC-SHA256 of the raw body with the
 * webhook's secret, computed in the page with WebCrypto from a secret value the user types (never stored).
 */
export async function githubSignature(secret: string, body: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(body)));
  return `sha256=${Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}
