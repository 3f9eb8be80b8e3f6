import { describe, expect, it } from 'vitest';
import { compilePayloadSchema } from './schema-validator.js';

describe('compilePayloadSchema', () => {
  it('compiles schemas with the same top-level $id again and again (new versions, other functions)', () => {
    const schema = (type: string) => ({
      $id: 'https://example.com/order.json',
      type: 'object',
      properties: { id: { $ref: '#/definitions/id' } },
      definitions: { id: { type } },
      required: ['id'],
    });
    const first = compilePayloadSchema(schema('string'), 'schema.in');
    const second = compilePayloadSchema(schema('integer'), 'schema.in');
    expect(first?.({ id: 'a' })).toBe(true);
    expect(first?.({ id: 1 })).toBe(false);
    expect(second?.({ id: 1 })).toBe(true);
    expect(second?.({ id: 'a' })).toBe(false);
  });
});
