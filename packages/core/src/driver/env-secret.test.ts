import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretFromEnv } from './env-secret.js';

describe('secretFromEnv', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dispatch-env-secret-'));
    await writeFile(join(dir, 'secret'), 's3cret\n');
    await writeFile(join(dir, 'empty'), '\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads NAME, else the file NAME_FILE names (a Docker secret), without its trailing newline', () => {
    expect(secretFromEnv({ X: 'direct', X_FILE: join(dir, 'secret') }, 'X')).toBe('direct');
    expect(secretFromEnv({ X_FILE: join(dir, 'secret') }, 'X')).toBe('s3cret');
    expect(secretFromEnv({ X: ' ', X_FILE: join(dir, 'secret') }, 'X')).toBe('s3cret');
    expect(secretFromEnv({}, 'X')).toBeUndefined();
  });

  it('names the setting when its file is missing or empty', () => {
    expect(() => secretFromEnv({ X_FILE: join(dir, 'missing') }, 'X')).toThrow(/^X_FILE: cannot read .*missing/);
    expect(() => secretFromEnv({ X_FILE: join(dir, 'empty') }, 'X')).toThrow(/^X_FILE: .*empty is empty/);
  });
});
