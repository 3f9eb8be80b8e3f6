import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { assertValidName, isImageReference, languageFromImageReference } from './validation.js';

describe('entity names', () => {
  it('accepts DNS-1123 labels', () => {
    for (const name of ['hello', 'get-hello', 'a', '9lives', 'x'.repeat(63)]) expect(() => assertValidName('function', name)).not.toThrow();
  });

  it('rejects anything a Swarm service or a Kubernetes object could not be named, saying what is allowed', () => {
    for (const name of ['Hello', 'hello_world', '-hello', 'hello-', 'hé', '', 'x'.repeat(64), 'a.b']) {
      expect(() => assertValidName('function', name)).toThrow(InvalidInputError);
    }
    expect(() => assertValidName('image', 'Bad Name')).toThrow(/invalid image name "Bad Name": use at most 63 lower-case letters/);
  });
});

describe('image references', () => {
  it('tells an image URL from the name of a base image', () => {
    expect(isImageReference('dispatchframework/python3-base:0.0.13-knative')).toBe(true);
    expect(isImageReference('python3-base')).toBe(false);
    expect(languageFromImageReference('dispatchframework/python3-base:0.0.13')).toBe('python3');
    expect(languageFromImageReference('dispatchframework/nodejs-base:0.0.13')).toBe('nodejs');
    expect(languageFromImageReference('busybox')).toBeUndefined();
  });
});
