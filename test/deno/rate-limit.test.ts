// `rateLimit()` in real Deno, against the edge build (dist/edge/): that build has no channel to other tabs
// (rate-limit/tabs-edge.ts), `share: true` included, and a server's word that its quota is spent still
// blocks the scope in the client that heard it: the next call to the scope fails at once with
// RateLimitedError, sent nowhere, while another scope goes.
import { createClient, RateLimitedError } from '../../dist/edge/index.js';
import { rateLimit } from '../../dist/edge/rate-limit.js';
import { assert, watchChannels } from './helpers.ts';

declare const Deno: {
	serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Response): { addr: { port: number }; shutdown(): Promise<void> };
	test(definition: { name: string; fn: () => Promise<void> }): void;
};

Deno.test({
	name: 'rateLimit (Deno, edge build, share: true): a server\'s spent quota blocks its scope in this client, no channel opened',
	async fn() {
		const sent: string[] = [];
		/** An origin (a scope of its own) that says its quota is spent on `/spent`. */
		const origin = (name: string) => Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, (request) => {
			const { pathname } = new URL(request.url);
			sent.push(`${name}${pathname}`);
			return new Response('ok', { headers: pathname === '/spent' ? { ratelimit: 'limit=10, remaining=0, reset=30' } : {} });
		});
		const [a, b] = [origin('a'), origin('b')];
		// Deno has BroadcastChannel: the edge build must not open one, even with `share: true`.
		const channels = watchChannels();
		const api = createClient({ name: `deno-rl-${crypto.randomUUID()}`, retry: 0, timeout: 1000, breaker: false, rateLimit: rateLimit({ share: true, maxResetMs: 10_000 }) });
		const waits: unknown[] = [];
		api.on('ratelimit:wait', (event: unknown) => waits.push(event));
		try {
			assert(await api.get(`http://127.0.0.1:${a.addr.port}/spent`).text() === 'ok', 'the first call answered');
			const error = await api.get(`http://127.0.0.1:${a.addr.port}/next`).then(() => undefined, (caught: unknown) => caught);
			assert(error instanceof RateLimitedError, `the next call to the scope refused: ${String(error)}`);
			const { retryAfterMs } = error as RateLimitedError;
			assert(retryAfterMs > 9000 && retryAfterMs <= 10_000, `blocked for maxResetMs (10 s), not the server's 30 s: ${retryAfterMs}`);
			assert(await api.get(`http://127.0.0.1:${b.addr.port}/other`).text() === 'ok', 'another scope goes');
			assert(sent.join(' ') === 'a/spent b/other', `sent: ${sent.join(' ')}`);
			assert(waits.length === 0, 'no call waited');
			assert(channels.opened.length === 0, `no channel opened: ${channels.opened.join(', ')}`);
		} finally {
			channels.restore();
			api.close();
			await Promise.all([a.shutdown(), b.shutdown()]);
		}
	},
});
