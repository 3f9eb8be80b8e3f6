import { describe, expect, it } from 'vitest';
import { schemaProblems } from './schema.js';

const schema = { type: 'object', required: ['name'], properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } } };

describe('schemaProblems', () => {
  it('finds nothing wrong with a valid input, or when the function has no schema.in', () => {
    expect(schemaProblems(schema, { name: 'user', age: 3 })).toEqual([]);
    expect(schemaProblems(undefined, 'anything')).toEqual([]);
  });

  it('names the field of each problem, without the wrapping errors', () => {
    expect(schemaProblems(schema, { age: -1 })).toEqual([
      'input: Instance does not have required property "name".',
      'input/age: -1 is less than 0.',
    ]);
    expect(schemaProblems(schema, { name: 5 })).toEqual(['input/name: Instance type "number" is invalid. Expected "string".']);
  });
});
