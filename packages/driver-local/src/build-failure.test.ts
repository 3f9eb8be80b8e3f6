import { describe, expect, it } from 'vitest';
import { npmFailure, pipFailure } from './build-failure.js';

describe('pipFailure', () => {
  it("says that pip could not reach a package index, with the cause and pip's failing line", () => {
    const message = pipFailure(
      [
        "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno -2] Name or service not known')': /simple/flask/",
        'ERROR: Could not find a version that satisfies the requirement flask (from versions: none)',
        'ERROR: No matching distribution found for flask',
      ],
      1,
    );
    expect(message).toBe(
      'pip could not reach a package index ([Errno -2] Name or service not known); install from a local wheel path ' +
        'or a system package. pip said: ERROR: Could not find a version that satisfies the requirement flask ' +
        '(from versions: none)\nERROR: No matching distribution found for flask',
    );
  });

  it("quotes pip's error lines when the network is not the cause", () => {
    expect(pipFailure(['Collecting x', 'ERROR: Invalid requirement: "x=="'], 1)).toBe(
      'pip install failed (exit code 1): ERROR: Invalid requirement: "x=="',
    );
  });
});

describe('npmFailure', () => {
  it("quotes npm's error lines", () => {
    expect(npmFailure(['npm warn x', 'npm error code ETARGET', 'npm error notarget No matching version'], 1)).toBe(
      'npm install failed (exit code 1): npm error code ETARGET\nnpm error notarget No matching version',
    );
  });

  it('says when npm could not reach the registry', () => {
    expect(npmFailure(['npm error code ENOTFOUND', 'npm error network request failed'], 1)).toMatch(
      /^npm could not reach the package registry \(ENOTFOUND\)/,
    );
  });
});
