// The bench's ceiling reference: a bare fastify route in a process of its own, as the gateway is, answering
// `{ "ok": true }` to a POST. It prints its port on stdout and runs until it is stopped.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/bare', async () => ({ ok: true }));
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${app.server.address().port}\n`);
process.on('SIGTERM', () => process.exit(0));
