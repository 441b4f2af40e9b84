// The admin console and the sign-in pages (server-rendered HTML forms): built in src/console/.
import type { FastifyInstance } from 'fastify';

export async function consoleRoutes(_app: FastifyInstance): Promise<void> {
  await Promise.resolve();
}
