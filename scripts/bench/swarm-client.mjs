#!/usr/bin/env node
// The load generator of the swarm bench, run in a container on the overlay network (scripts/bench/swarm.mjs
// starts it): direct funker calls to the function's tasks, then blocking runs through the gateway service.
// Argument: a JSON object { fn, gateway, token, latencyCalls, concurrency, seconds }. Prints one JSON line.
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import { funkerCall } from '../../packages/core/dist/index.js';
import { RUN_REQUEST, httpPoster, measureCall } from './measure.mjs';

const { fn, gateway, token, latencyCalls, concurrency, seconds } = JSON.parse(process.argv[2]);
const settings = { latencyCalls, concurrency, seconds };

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
await resolve(new URL(gateway).hostname);
const gatewayResolvedAfterMs = Date.now() - started;
let next = 0;
const direct = async () => {
  const host = addresses[next++ % addresses.length];
  const envelope = await funkerCall(RUN_REQUEST, { host, port: 9999, deadline: Date.now() + 30000 });
  if (envelope?.context?.error) throw new Error(envelope.context.error.message);
};

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const throughGateway = httpPoster(`${gateway}/v1/runs?functionName=${fn}`, { input: { name: 'bench' }, blocking: true }, {
  agent,
  headers: { authorization: `Bearer ${token}` },
});

const result = {
  tasks: addresses.length,
  gatewayResolvedAfterMs,
  direct: await measureCall(direct, settings),
  gateway: await measureCall(throughGateway, settings),
};
agent.destroy();
console.log(JSON.stringify(result));
