// Reachability (API.md "Reachability and recovery") in real Deno, against the edge build (dist/edge/): that
// build has no `navigator.onLine` code (utils/online-edge.ts: never offline, no `online`/`offline` listeners;
// API.md "Builds per runtime"), and a client still tells a scope's reachability from its own attempts:
// `unknown` before any, `unreachable` after two attempts in a row got no HTTP answer, `reachable` once one did.
// A `navigator.onLine` set to false (Deno has none; an edge runtime that grew one) is not read there.
import { createClient, memoryStore } from '../../dist/edge/index.js';
import { assert } from './helpers.ts';

declare const Deno: {
	listen(options: { port: number; hostname: string }): { addr: { port: number }; close(): void };
	serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Response): { addr: { port: number }; shutdown(): Promise<void> };
	test(definition: { name: string; fn: () => Promise<void> }): void;
};

Deno.test({
	name: 'reachability (Deno, edge build): from the client\'s own attempts only, navigator.onLine not read; never offline',
	async fn() {
		// A port nobody listens on (refused: no HTTP answer), then an origin on it.
		const free = Deno.listen({ port: 0, hostname: '127.0.0.1' });
		const { port } = free.addr;
		free.close();
		let origin: { shutdown(): Promise<void> } | undefined;
		const base = `http://127.0.0.1:${port}`;
		Object.defineProperty(navigator, 'onLine', { value: false, configurable: true });
		const api = createClient({ name: `deno-reach-${crypto.randomUUID()}`, store: memoryStore, retry: 0, breaker: false, staleCache: false });
		const states: string[] = [];
		api.on('reachability', (event: { state: string }) => states.push(event.state));
		try {
			assert(api.reachability(base) === 'unknown', `before any attempt: ${api.reachability(base)}`);
			for (const path of ['/a', '/b']) {
				await api.get(`${base}${path}`).then(() => undefined, () => undefined);
			}

			assert(api.reachability(base) === 'unreachable', `after two attempts without an answer: ${api.reachability(base)}`);
			origin = Deno.serve({ port, hostname: '127.0.0.1', onListen() {} }, () => new Response('{}'));
			assert((await api.get(`${base}/c`)).status === 200, 'answered');
			assert(api.reachability(base) === 'reachable', `after an answer: ${api.reachability(base)}`);
			globalThis.dispatchEvent(new Event('online'));
			assert(states.join(' ') === 'unreachable reachable', `told: ${states.join(' ')}`);
		} finally {
			delete (navigator as { onLine?: boolean }).onLine;
			api.close();
			await origin?.shutdown();
		}
	},
});

Deno.test({
	name: 'followReachability (Deno, edge build): its unsubscribe gives TanStack a listener that says online at once and listens to nothing (no navigator.onLine code there)',
	async fn() {
		const { followReachability } = await import('../../dist/edge/tanstack-query.js');
		const api = createClient({ name: `deno-follow-${crypto.randomUUID()}`, store: memoryStore, retry: 0, breaker: false, staleCache: false });
		const setups: Array<(setOnline: (online: boolean) => void) => (() => void) | undefined> = [];
		const onlineManager = { setEventListener: (setup: (typeof setups)[number]) => void setups.push(setup) };
		const added: string[] = [];
		const realAdd = globalThis.addEventListener;
		Object.defineProperty(navigator, 'onLine', { value: false, configurable: true }); // not read in this build
		try {
			const off = followReachability(api, onlineManager, 'https://api.example');
			off();
			assert(setups.length === 2, `setEventListener calls: ${setups.length}`);
			globalThis.addEventListener = ((type: string, ...rest: unknown[]) => {
				added.push(type);
				return (realAdd as (...args: unknown[]) => void).call(globalThis, type, ...rest);
			}) as typeof globalThis.addEventListener;
			const told: boolean[] = [];
			const cleanup = setups[1]!((online) => told.push(online));
			assert(told.join() === 'true', `told: ${told.join()}`);
			assert(added.length === 0, `listened to: ${added.join()}`);
			assert(typeof cleanup === 'function', 'a cleanup TanStack can call');
			cleanup?.();
		} finally {
			globalThis.addEventListener = realAdd;
			delete (navigator as { onLine?: boolean }).onLine;
			api.close();
		}
	},
});
