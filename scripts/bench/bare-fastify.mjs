// The bench's ceiling reference: a bare fastify route in a process of its own, as the gateway is, answering
// `{ "ok": true }` to a POST. It prints its port on stdout and runs until it is stopped. BARE_HOST and BARE_PORT
// choose where it listens (default 127.0.0.1 and a free port).
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/bare', async () => ({ ok: true }));
await app.listen({ port: Number(process.env.BARE_PORT ?? 0), host: process.env.BARE_HOST ?? '127.0.0.1' });
process.stdout.write(`${app.server.address().port}\n`);
process.on('SIGTERM', () => process.exit(0));
