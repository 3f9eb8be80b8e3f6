import type { Dispatch, Endpoint } from '@dispatch/core';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { basicCredentials, bearerToken, secureEqual } from '../secure-compare.js';
import { rawBodyOf } from '../triggers/raw-body.js';
import { verifyHmac } from './hmac-signature.js';

/** Why a request to an endpoint is refused, and the challenge to answer with. */
export interface EndpointAuthFailure {
  message: string;
  challenge: string;
}

async function allowedValues(dispatch: Dispatch, endpoint: Endpoint, log: FastifyBaseLogger): Promise<Record<string, string>> {
  if (endpoint.authSecret === undefined || endpoint.authSecret === '') {
    log.warn({ endpoint: endpoint.name }, `endpoint uses ${endpoint.auth} auth but names no authSecret; refusing`);
    return {};
  }
  try {
    // The run path's cache: no store read per request, and a rotated secret applies to the next one.
    return await dispatch.secrets.values(endpoint.authSecret);
  } catch (error) {
    log.warn({ endpoint: endpoint.name, secret: endpoint.authSecret, err: error }, 'cannot read the endpoint auth secret');
    return {};
  }
}

/**
 * Checks a request against the endpoint's auth: `public` is open; `bearer` needs a token equal to one of the
 * values of the secret named by `authSecret`; `basic` needs a user and password that are an entry of it; `hmac`
 * needs a recent timestamp and a signature of the raw body made with one of its values; `apiKey` needs the
 * header the endpoint names (`authHeader`, `x-api-key` by default) to hold one of its values, as EventBridge
 * API destinations send it. Undefined when the request may go on.
 */
export async function checkEndpointAuth(
  dispatch: Dispatch,
  endpoint: Endpoint,
  request: FastifyRequest,
): Promise<EndpointAuthFailure | undefined> {
  const realm = `realm="${endpoint.name}"`;
  if (endpoint.auth === 'bearer') {
    const challenge = `Bearer ${realm}`;
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) return { message: 'this endpoint requires an Authorization: Bearer <token> header', challenge };
    const allowed = Object.values(await allowedValues(dispatch, endpoint, request.log));
    // Compare with every value, so the time taken does not tell which one (if any) matched.
    let matched = false;
    for (const value of allowed) matched = secureEqual(token, value) || matched;
    return matched ? undefined : { message: 'the bearer token is not valid for this endpoint', challenge };
  }
  if (endpoint.auth === 'apiKey') {
    const name = endpoint.authHeader ?? 'x-api-key';
    const challenge = `ApiKey ${realm}, header="${name}"`;
    const given = request.headers[name];
    const key = Array.isArray(given) ? undefined : given;
    if (key === undefined || key === '') return { message: `this endpoint requires its API key in the ${name} header`, challenge };
    const allowed = Object.values(await allowedValues(dispatch, endpoint, request.log));
    // Compare with every value, so the time taken does not tell which one (if any) matched.
    let matched = false;
    for (const value of allowed) matched = (value !== '' && secureEqual(key, value)) || matched;
    return matched ? undefined : { message: `the API key in the ${name} header is not valid for this endpoint`, challenge };
  }
  if (endpoint.auth === 'hmac') {
    const keys = Object.values(await allowedValues(dispatch, endpoint, request.log));
    const refused = verifyHmac(request.headers, rawBodyOf(request), keys);
    return refused === undefined ? undefined : { message: refused, challenge: `DispatchHMAC ${realm}` };
  }
  if (endpoint.auth === 'basic') {
    const challenge = `Basic ${realm}, charset="UTF-8"`;
    const credentials = basicCredentials(request.headers.authorization);
    if (credentials === undefined) return { message: 'this endpoint requires basic authentication', challenge };
    const users = await allowedValues(dispatch, endpoint, request.log);
    const expected = Object.hasOwn(users, credentials.user) ? users[credentials.user] : undefined;
    const matched = secureEqual(credentials.password, expected ?? '') && expected !== undefined;
    return matched ? undefined : { message: 'the user or password is not valid for this endpoint', challenge };
  }
  return undefined;
}
