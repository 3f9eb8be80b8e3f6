import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../scripts/postgres/ensure-test-cluster.sh');

/**
 * The URL of a PostgreSQL server to test against: `DISPATCH_TEST_POSTGRES_URL`, or the test cluster that
 * scripts/postgres/ensure-test-cluster.sh starts (idempotently). Undefined, with a message, when PostgreSQL is
 * not installed on a developer's machine; in CI (`CI=true`) its absence fails the tests instead.
 */
export function postgresTestUrl(): string | undefined {
  const given = process.env.DISPATCH_TEST_POSTGRES_URL;
  if (given) return given;
  try {
    const output = execFileSync('bash', [SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const url = /DISPATCH_TEST_POSTGRES_URL=(\S+)/.exec(output)?.[1];
    if (!url) throw new Error(`${SCRIPT} printed no URL`);
    process.env.DISPATCH_TEST_POSTGRES_URL = url;
    return url;
  } catch (error) {
    const absent = (error as { status?: number }).status === 3;
    if (!absent || process.env.CI === 'true') throw error;
    console.warn('skipping the PostgreSQL tests: PostgreSQL is not installed here (apt-get install postgresql)');
    return undefined;
  }
}

/** A URL whose connections work in a schema of their own (created here), so tests sharing a server never meet. */
export async function isolatedPostgresUrl(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: pg } = await import('pg');
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}
