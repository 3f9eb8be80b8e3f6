import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { defaultHandler } from './default-handler.js';

describe('defaultHandler', () => {
  it('uses a single file as its own handler, as Dispatch does', () => {
    expect(defaultHandler('nodejs', ['hello.js'])).toBe('hello.js');
    expect(defaultHandler('python3', ['hello.py'])).toBe('hello.handle');
  });

  it('uses a nodejs folder through its index.js or package.json', () => {
    expect(defaultHandler('nodejs', ['index.js', 'lib/util.js'])).toBe('.');
    expect(defaultHandler('nodejs', ['package.json', 'main.js'])).toBe('.');
  });

  it('asks for a handler when a folder does not say which function to call', () => {
    expect(() => defaultHandler('python3', ['main.py', 'util.py'])).toThrow(InvalidInputError);
    expect(() => defaultHandler('nodejs', ['a.js', 'b.js'])).toThrow(/give the handler file/);
  });
});
