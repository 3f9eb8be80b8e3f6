#!/usr/bin/env node
// The load generator of the swarm bench, run in a container on the overlay network (scripts/bench/swarm.mjs
// starts it): direct funker and wire calls to the function's tasks, a bare fastify route in a container of its
// own, then blocking runs through the gateway service, and a sustained window through the gateway.
// Argument: a JSON object { fn, gateway, bare, token, latencyCalls, warmupCalls, concurrency, seconds, sustainedSeconds }.
// Prints one JSON line.
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import { WireConnection, funkerCall } from '../../packages/core/dist/index.js';
import { RUN_REQUEST, httpPoster, measureCall, runSustained } from './measure.mjs';

const { fn, gateway, bare, token, latencyCalls, warmupCalls, concurrency, seconds, sustainedSeconds } = JSON.parse(process.argv[2]);
const settings = { latencyCalls, warmupCalls, concurrency, seconds };

// The tasks' addresses, resolved once through Swarm's DNS; calls go round robin over them, one TCP
// connection per call as the funker protocol has it.
async function resolve(name) {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      return (await lookup(name, { all: true, family: 4 })).map((record) => record.address);
    } catch (error) {
      // A container that just joined the overlay may not see every name yet.
      if (error.code !== 'ENOTFOUND' || Date.now() > until) throw error;
      await new Promise((done) => setTimeout(done, 250));
    }
  }
}
const addresses = await resolve(`tasks.${fn}`);
const started = Date.now();
const gatewayUrl = new URL(gateway);
// By its address: the admin API answers only to IP addresses and the names it was told of (DNS rebinding guard).
gatewayUrl.hostname = (await resolve(gatewayUrl.hostname))[0];
const gatewayResolvedAfterMs = Date.now() - started;
let next = 0;
const direct = async () => {
  const host = addresses[next++ % addresses.length];
  const envelope = await funkerCall(RUN_REQUEST, { host, port: 9999, deadline: Date.now() + 30000 });
  if (envelope?.context?.error) throw new Error(envelope.context.error.message);
};

// The same tasks over one long-lived wire connection each, as the gateway calls them.
const connections = await Promise.all(addresses.map((host) => WireConnection.connect({ host, port: 9999 })));
const wireBody = JSON.stringify(RUN_REQUEST);
const directWire = async () => {
  const connection = connections[next++ % connections.length];
  const envelope = JSON.parse((await connection.call(wireBody, { deadline: Date.now() + 30000 })).toString('utf8'));
  if (envelope?.context?.error) throw new Error(envelope.context.error.message);
};

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const throughGateway = httpPoster(
  `${gatewayUrl.origin}/v1/runs?functionName=${fn}`,
  { input: { name: 'bench' }, blocking: true },
  {
    agent,
    headers: { authorization: `Bearer ${token}` },
  },
);

const bareRoute = httpPoster(`${bare}/bare`, { input: { name: 'bench' }, blocking: true }, { agent });
const sustainedMs = sustainedSeconds * 1000;

const result = {
  tasks: addresses.length,
  gatewayResolvedAfterMs,
  direct: await measureCall(direct, settings),
  directWire: await measureCall(directWire, settings),
  bare: await measureCall(bareRoute, settings),
  gateway: await measureCall(throughGateway, settings),
  // Concurrency `concurrency` for `sustainedSeconds`: the gateway, then the bare route over as long a window.
  sustainedGateway: await runSustained(throughGateway, concurrency, sustainedMs),
  sustainedBare: await runSustained(bareRoute, concurrency, sustainedMs),
};
for (const connection of connections) connection.close();
agent.destroy();
console.log(JSON.stringify(result));
