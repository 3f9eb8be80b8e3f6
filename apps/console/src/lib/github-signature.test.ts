import { describe, expect, it } from 'vitest';
import { githubSignature } from './github-signature.js';

describe('githubSignature', () => {
  it("computes X-Hub-Signature-256 as GitHub does (GitHub's documented test vector)", async () => {
    await expect(githubSignature("It's a Secret to Everybody", 'Hello, World!')).resolves.toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });
});
