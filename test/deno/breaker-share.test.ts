// `breaker({ share: true })` in real Deno, against the edge build (dist/edge/): Deno has BroadcastChannel and
// Web Locks, but that build has no tab code (breaker/tabs-edge.ts: no channel, no probe lock, `share: true`
// included; API.md "Builds per runtime"), and the breaker still does what every build needs: it opens on
// failures, fails fast without a request, and its half-open probe goes out (without a lock) and closes it.
import { CircuitOpenError, createClient, memoryStore } from '../../dist/edge/index.js';
import { assert, watchChannels } from './helpers.ts';

declare const Deno: {
	serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Response): { addr: { port: number }; shutdown(): Promise<void> };
	test(definition: { name: string; fn: () => Promise<void> }): void;
};

type Locks = { request(name: string, ...rest: unknown[]): Promise<unknown> };

Deno.test({
	name: 'breaker (Deno, edge build, share: true): no channel opened, no Web Lock asked; it opens, fails fast, and its probe closes it',
	async fn() {
		let status = 503;
		const sent: string[] = [];
		const origin = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, (request) => {
			sent.push(new URL(request.url).pathname);
			return new Response('{}', { status });
		});
		const channels = watchChannels();
		const asked: string[] = [];
		const locks = (navigator as unknown as { locks: Locks }).locks;
		const request = locks.request;
		locks.request = (name: string, ...rest: unknown[]) => {
			asked.push(name);
			return request.call(locks, name, ...rest);
		};
		const clock = { time: 1_700_000_000_000, now: () => clock.time };
		const api = createClient({ name: `deno-breaker-${crypto.randomUUID()}`, store: memoryStore, staleCache: false, retry: 0, clock, random: () => 0.5, breaker: { share: true, consecutiveFailures: 2, openMs: 1_000 } });
		const base = `http://127.0.0.1:${origin.addr.port}`;
		try {
			for (const path of ['/a', '/b']) {
				assert((await api.get(`${base}${path}`).then(() => 200, (error: { response?: Response }) => error.response?.status)) === 503, `${path} answered 503`);
			}

			const refused = await api.get(`${base}/c`).then(() => undefined, (caught: unknown) => caught);
			assert(refused instanceof CircuitOpenError, `open after 2 failures: ${String(refused)}`);
			clock.time += 1_000; // the open period is over: the next call is the half-open probe
			status = 200;
			assert((await api.get(`${base}/d`)).status === 200, 'the probe answered');
			assert(api.breaker(base).state === 'closed', `closed by the probe: ${api.breaker(base).state}`);
			assert(sent.join(' ') === '/a /b /d', `sent: ${sent.join(' ')}`);
			assert(channels.opened.length === 0, `no channel opened: ${channels.opened.join(', ')}`);
			assert(asked.length === 0, `no Web Lock asked: ${asked.join(', ')}`);
		} finally {
			channels.restore();
			locks.request = request;
			api.close();
			await origin.shutdown();
		}
	},
});
