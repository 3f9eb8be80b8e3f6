import { execFile } from 'node:child_process';
import { sign } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** A certificate the test CA issued: its PEM chain (leaf, then the CA) and the leaf's private key. */
export interface IssuedCertificate {
  chainPem: string;
  keyPem: string;
}

export interface IssueOptions {
  /** DNS names in the subject alternative names (default `echo-api.amazon.com`); the CN is the first. */
  dnsNames?: string[];
  notBefore?: Date;
  notAfter?: Date;
}

/** A certificate authority made with openssl in a temporary folder, for signed-request tests that run offline. */
export interface TestCa {
  /** The root certificate, to configure as a trust anchor. */
  rootPem: string;
  issue(options?: IssueOptions): Promise<IssuedCertificate>;
  /** Removes the folder. */
  remove(): Promise<void>;
}

/** openssl's `ca` date format: YYYYMMDDHHMMSSZ. */
function caDate(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

const DAY = 24 * 3600_000;

/** Makes a root CA (RSA 2048, valid ten years around now) with `openssl req -x509`. */
export async function createTestCa(name = 'Dispatch Test Root'): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'dispatch-test-ca-'));
  const caKey = join(dir, 'ca.key');
  const caPem = join(dir, 'ca.pem');
  await exec('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    caPem,
    '-days',
    '3650',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await writeFile(join(dir, 'index.txt'), '');
  await writeFile(join(dir, 'serial'), '1000\n');
  await writeFile(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test_ca',
      '[test_ca]',
      `dir = ${dir}`,
      'database = $dir/index.txt',
      'new_certs_dir = $dir',
      'serial = $dir/serial',
      'certificate = $dir/ca.pem',
      'private_key = $dir/ca.key',
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      'copy_extensions = none',
      '[any]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  const rootPem = await readFile(caPem, 'utf8');
  let count = 0;

  return {
    rootPem,
    async issue({
      dnsNames = ['echo-api.amazon.com'],
      notBefore = new Date(Date.now() - DAY),
      notAfter = new Date(Date.now() + 365 * DAY),
    } = {}) {
      const id = `leaf-${++count}`;
      const key = join(dir, `${id}.key`);
      const csr = join(dir, `${id}.csr`);
      const pem = join(dir, `${id}.pem`);
      const ext = join(dir, `${id}.ext`);
      await exec('openssl', [
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        csr,
        '-subj',
        `/CN=${dnsNames[0] ?? 'nobody'}`,
      ]);
      await writeFile(
        ext,
        `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nsubjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(',')}\n`,
      );
      await exec('openssl', [
        'ca',
        '-batch',
        '-notext',
        '-config',
        join(dir, 'ca.cnf'),
        '-in',
        csr,
        '-out',
        pem,
        '-extfile',
        ext,
        '-startdate',
        caDate(notBefore),
        '-enddate',
        caDate(notAfter),
      ]);
      return { chainPem: `${await readFile(pem, 'utf8')}${rootPem}`, keyPem: await readFile(key, 'utf8') };
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The `Signature-256` header Alexa sends: base64 RSA-SHA256 of the body's bytes. */
export function signBody(body: string | Buffer, keyPem: string): string {
  return sign('RSA-SHA256', typeof body === 'string' ? Buffer.from(body) : body, keyPem).toString('base64');
}
