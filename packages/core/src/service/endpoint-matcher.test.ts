import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../domain/types.js';
import { EndpointMatcher } from './endpoint-matcher.js';

function endpoint(name: string, fields: Partial<Endpoint>): Endpoint {
  return {
    name,
    id: name,
    createdTime: 0,
    modifiedTime: 0,
    revision: 1,
    tags: [],
    status: 'READY',
    reason: '',
    function: 'hello',
    hosts: [],
    uris: ['/'],
    methods: ['GET'],
    protocols: ['http'],
    cors: false,
    enabled: true,
    auth: 'public',
    trigger: 'http',
    ...fields,
  };
}

describe('EndpointMatcher', () => {
  it('matches an exact path for any host when the endpoint names no host, as the seed curls it', () => {
    const matcher = new EndpointMatcher();
    matcher.rebuild([endpoint('get-hello', { uris: ['/hello'], methods: ['GET', 'POST'] })]);
    expect(matcher.match('default.dispatch-server.dispatch.local', '/hello', 'GET')?.endpoint.name).toBe('get-hello');
    expect(matcher.match('127.0.0.1:8080', '/hello/', 'POST')?.endpoint.name).toBe('get-hello');
    expect(matcher.match('127.0.0.1', '/hello', 'PUT')).toBeUndefined();
    expect(matcher.match('127.0.0.1', '/hello/more', 'GET')).toBeUndefined();
  });

  it('prefers the endpoint of a named host over a host-less one, and ignores the port', () => {
    const matcher = new EndpointMatcher();
    matcher.rebuild([endpoint('any', { uris: ['/a'] }), endpoint('named', { uris: ['/a'], hosts: ['api.example.com'] })]);
    expect(matcher.match('API.example.com:443', '/a', 'GET')?.endpoint.name).toBe('named');
    expect(matcher.match('other.example.com', '/a', 'GET')?.endpoint.name).toBe('any');
  });

  it('matches path parameters and prefixes, the most specific first', () => {
    const matcher = new EndpointMatcher();
    matcher.rebuild([
      endpoint('files', { uris: ['/files/*'] }),
      endpoint('user', { uris: ['/users/:id'] }),
      endpoint('images', { uris: ['/files/images/*'] }),
    ]);
    expect(matcher.match('h', '/users/42', 'GET')).toEqual({ endpoint: expect.objectContaining({ name: 'user' }), params: { id: '42' } });
    expect(matcher.match('h', '/files/a/b.txt', 'GET')?.params).toEqual({ '*': 'a/b.txt' });
    expect(matcher.match('h', '/files', 'GET')?.endpoint.name).toBe('files');
    expect(matcher.match('h', '/files/images/x.png', 'GET')?.endpoint.name).toBe('images');
  });

  it('skips disabled endpoints, answers HEAD for GET and finds the endpoint of an OPTIONS preflight', () => {
    const matcher = new EndpointMatcher();
    matcher.rebuild([endpoint('off', { uris: ['/off'], enabled: false }), endpoint('on', { uris: ['/on'], methods: ['POST'] })]);
    expect(matcher.match('h', '/off', 'GET')).toBeUndefined();
    expect(matcher.match('h', '/on', 'OPTIONS')?.endpoint.name).toBe('on');
    matcher.rebuild([endpoint('get', { uris: ['/g'] })]);
    expect(matcher.match('h', '/g', 'HEAD')?.endpoint.name).toBe('get');
  });
});
