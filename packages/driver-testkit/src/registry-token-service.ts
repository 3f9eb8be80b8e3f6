import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomUUID, sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A token service as the registry's `auth: token:` setting names it, issuing tokens for one login. */
export interface TokenService {
  realm: string;
  service: string;
  issuer: string;
  /** The certificate the registry trusts tokens from (`rootcertbundle`). */
  certificatePath: string;
  stop(): Promise<void>;
}

/**
 * A minimal token service of the distribution spec's token authentication (the one Docker Hub and most
 * registries use): GET <realm>?service=…&scope=repository:<name>:<actions> with Basic credentials answers a JWT,
 * signed RS256 with a key whose certificate (x5c) the registry trusts. The login gets every action it asks for;
 * anonymous callers get a token granting nothing, as a private registry does. It is a test fixture: the registry
 * checking the tokens is the real one.
 */
export async function startTokenService(dir: string, login: { username: string; password: string }): Promise<TokenService> {
  const keyPath = join(dir, 'token.key');
  const certificatePath = join(dir, 'token.crt');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certificatePath,
    '-days',
    '1',
    '-subj',
    '/CN=dispatch-test-token',
  ]);
  const key = createPrivateKey(await readFile(keyPath));
  const certificate = new X509Certificate(await readFile(certificatePath));
  const x5c = certificate.raw.toString('base64');
  const service = 'dispatch-test-registry';
  const issuer = 'dispatch-test-token-service';
  const expected = `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}`;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const authorization = req.headers.authorization;
    if (authorization !== undefined && authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
      return;
    }
    const access =
      authorization === undefined
        ? []
        : url.searchParams.getAll('scope').map((scope) => {
            const [type, ...rest] = scope.split(':');
            const actions = rest.pop() ?? '';
            return { type, name: rest.join(':'), actions: actions.split(',') };
          });
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      sub: authorization === undefined ? '' : login.username,
      aud: url.searchParams.get('service'),
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ typ: 'JWT', alg: 'RS256', x5c: [x5c] })}.${encode(claims)}`;
    const token = `${unsigned}.${sign('sha256', Buffer.from(unsigned), key).toString('base64url')}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certificatePath,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
