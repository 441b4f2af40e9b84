// The reference: a bare Fastify JSON POST route, no logger, in its own process. It parses the same body
// the auth check gets and answers the same JSON, with nothing behind it.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post(
  '/api/v1/auth/check',
  { schema: { body: { type: 'object', required: ['username'], properties: { username: { type: 'string' }, password: { type: 'string' }, otp: { type: 'string' } } }, response: { 200: { type: 'object', properties: { result: { type: 'string' } } } } } },
  async () => ({ result: 'accept' }),
);
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`bare fastify listening on ${address}`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
