import { Flags } from '@oclif/core';

/** The flags `create endpoint` and `update endpoint` share. */
export const endpointFlags = {
  method: Flags.string({
    char: 'm',
    multiple: true,
    multipleNonGreedy: true,
    description: 'an HTTP method to match (repeatable) [default: GET]',
  }),
  path: Flags.string({
    char: 'p',
    multiple: true,
    multipleNonGreedy: true,
    description: 'a path to match: exact (/hello) or a prefix ending in /* (repeatable) [default: /]',
  }),
  domain: Flags.string({
    char: 'd',
    multiple: true,
    multipleNonGreedy: true,
    description: 'a host name to match (repeatable); any host when omitted',
  }),
  protocol: Flags.string({
    multiple: true,
    multipleNonGreedy: true,
    options: ['http', 'https'],
    description: 'a protocol to accept (repeatable)',
  }),
  auth: Flags.string({ options: ['public', 'basic', 'bearer', 'hmac', 'apiKey'], description: 'who may call it [default: public]' }),
  'auth-secret': Flags.string({
    description:
      'the secret holding the users (basic), tokens (bearer), signing keys (hmac), API keys (apiKey) or webhook secrets (github) allowed',
  }),
  'auth-header': Flags.string({ description: 'apiKey: the request header holding the key [default: x-api-key]' }),
  cors: Flags.boolean({ allowNo: true, description: 'answer CORS preflights and add the Access-Control-Allow-* headers' }),
};

export interface EndpointFlagValues {
  method?: string[];
  path?: string[];
  domain?: string[];
  protocol?: string[];
  auth?: string;
  'auth-secret'?: string;
  'auth-header'?: string;
  cors?: boolean;
}

/** The fields of an endpoint's body that the flags give. */
export function endpointBody(flags: EndpointFlagValues): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (flags.method !== undefined) body.methods = flags.method.map((method) => method.toUpperCase());
  if (flags.path !== undefined) body.uris = flags.path;
  if (flags.domain !== undefined) body.hosts = flags.domain;
  if (flags.protocol !== undefined) body.protocols = flags.protocol;
  if (flags.auth !== undefined) body.auth = flags.auth;
  if (flags['auth-secret'] !== undefined) body.authSecret = flags['auth-secret'];
  if (flags['auth-header'] !== undefined) body.authHeader = flags['auth-header'];
  if (flags.cors !== undefined) body.cors = flags.cors;
  return body;
}
