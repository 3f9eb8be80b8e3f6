import type { Endpoint } from '../domain/types.js';
import type { EndpointMatch } from './dispatch-service.js';

interface CompiledRoute {
  endpoint: Endpoint;
  hosts: ReadonlySet<string> | undefined;
  methods: ReadonlySet<string>;
  pattern?: RegExp;
  paramNames: string[];
  /** Longer literal prefixes are more specific and are tried first. */
  specificity: number;
}

export const normalizePath = (path: string): string => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
export const normalizeHost = (host: string): string => host.toLowerCase().replace(/:\d+$/, '');

function compilePath(uri: string): { pattern?: RegExp; paramNames: string[]; specificity: number } {
  const path = normalizePath(uri);
  if (!path.includes(':') && !path.endsWith('/*')) return { paramNames: [], specificity: Number.MAX_SAFE_INTEGER };
  const paramNames: string[] = [];
  const wildcard = path.endsWith('/*');
  const body = wildcard ? path.slice(0, -2) : path;
  const source = body
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':') && segment.length > 1) {
        paramNames.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  if (wildcard) paramNames.push('*');
  const literal = body.split(':')[0] ?? '';
  return { pattern: new RegExp(`^${source}${wildcard ? '(?:/(.*))?' : ''}$`), paramNames, specificity: literal.length };
}

/**
 * Finds the endpoint for an ingress request from an index built once per change of the endpoints, so the
 * ingress hot path does no store read: exact paths by map lookup, then patterns, most specific first.
 */
export class EndpointMatcher {
  private exact = new Map<string, CompiledRoute[]>();
  private patterns: CompiledRoute[] = [];

  rebuild(endpoints: readonly Endpoint[]): void {
    const exact = new Map<string, CompiledRoute[]>();
    const patterns: CompiledRoute[] = [];
    for (const endpoint of endpoints) {
      if (!endpoint.enabled) continue;
      const hosts = endpoint.hosts.length ? new Set(endpoint.hosts.map(normalizeHost)) : undefined;
      const methods = new Set(endpoint.methods.map((method) => method.toUpperCase()));
      for (const uri of endpoint.uris) {
        const { pattern, paramNames, specificity } = compilePath(uri);
        const route: CompiledRoute = { endpoint, hosts, methods, paramNames, specificity, ...(pattern ? { pattern } : {}) };
        if (pattern) patterns.push(route);
        else exact.set(normalizePath(uri), [...(exact.get(normalizePath(uri)) ?? []), route]);
      }
    }
    // Routes for a named host win over host-less ones.
    for (const routes of exact.values()) routes.sort((a, b) => Number(!a.hosts) - Number(!b.hosts));
    patterns.sort((a, b) => b.specificity - a.specificity || Number(!a.hosts) - Number(!b.hosts));
    this.exact = exact;
    this.patterns = patterns;
  }

  /** OPTIONS matches whatever method the endpoint has, so that CORS preflights find their endpoint. */
  match(host: string, path: string, method: string): EndpointMatch | undefined {
    const wantedHost = normalizeHost(host);
    const wantedMethod = method.toUpperCase();
    const accepts = (route: CompiledRoute) =>
      (!route.hosts || route.hosts.has(wantedHost)) &&
      (wantedMethod === 'OPTIONS' ||
        route.methods.has(wantedMethod) ||
        route.methods.has('*') ||
        (wantedMethod === 'HEAD' && route.methods.has('GET')));
    const normalized = normalizePath(path);
    for (const route of this.exact.get(normalized) ?? []) {
      if (accepts(route)) return { endpoint: route.endpoint, params: {} };
    }
    for (const route of this.patterns) {
      const found = route.pattern?.exec(normalized);
      if (!found || !accepts(route)) continue;
      const params: Record<string, string> = {};
      route.paramNames.forEach((name, index) => {
        params[name] = decodeURIComponent(found[index + 1] ?? '');
      });
      return { endpoint: route.endpoint, params };
    }
    return undefined;
  }
}
