// `auth()` in real Deno, against the edge build (dist/edge/): that build has no refresh shared by tabs
// (auth/tabs-edge.ts: no Web Lock, no channel), and a client's calls still share one refresh: five calls
// answered 401 at once make one `refresh()`, and each is sent again with the new token.
import { createClient } from '../../dist/edge/index.js';
import { auth } from '../../dist/edge/auth.js';
import { waitFor } from '../helpers/wait-for.ts';
import { assert, watchChannels } from './helpers.ts';

declare const Deno: {
	serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Response): { addr: { port: number }; shutdown(): Promise<void> };
	test(definition: { name: string; fn: () => Promise<void> }): void;
};

Deno.test({
	name: 'auth (Deno, edge build): five calls answered 401 at once share one refresh, without a Web Lock or a channel',
	async fn() {
		let token = 'old';
		let refreshes = 0;
		const seen: string[] = [];
		const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, (request) => {
			const authorization = request.headers.get('authorization') ?? '';
			seen.push(authorization);
			return new Response(authorization === 'Bearer new' ? 'ok' : 'no', { status: authorization === 'Bearer new' ? 200 : 401 });
		});
		const base = `http://127.0.0.1:${server.addr.port}`;
		// Deno has BroadcastChannel and Web Locks: the edge build must use neither.
		const channels = watchChannels();
		const locks = navigator.locks;
		const request = locks.request.bind(locks);
		const locked: string[] = [];
		locks.request = ((name: string, ...rest: unknown[]) => {
			locked.push(name);
			return (request as (...args: unknown[]) => Promise<unknown>)(name, ...rest);
		}) as typeof locks.request;
		/** The refresh's answer: released by the test once every call got its 401. */
		let release = (): void => undefined;
		const api = createClient({
			name: `deno-auth-${crypto.randomUUID()}`, retry: 0, breaker: false,
			auth: auth({
				origins: [base],
				token: () => token,
				refresh: async () => {
					refreshes++;
					await new Promise<void>((resolve) => {
						release = resolve;
					});
					token = 'new';
				},
			}),
		});
		const events: Array<{ ok: boolean; shared: boolean }> = [];
		api.on('auth:refresh', (event: { ok: boolean; shared: boolean }) => events.push(event));
		try {
			const calls = Array.from({ length: 5 }, async (_, index) => api.get(`${base}/item/${index}`).text().catch((error: unknown) => String(error)));
			// Each call's first attempt got its 401 (the server saw five old tokens) and waits for the refresh.
			await waitFor(() => seen.length === 5 && refreshes > 0, 'five 401s and a refresh');

			release();
			const answers = await Promise.all(calls);
			assert(answers.every((answer) => answer === 'ok'), `every call answered: ${answers.join(', ')}`);
			assert(refreshes === 1, `one refresh: ${refreshes}`);
			assert(seen.filter((value) => value === 'Bearer old').length === 5 && seen.filter((value) => value === 'Bearer new').length === 5, `sent: ${seen.join(', ')}`);
			assert(events.length === 1 && events[0]!.ok && !events[0]!.shared, `one auth:refresh of its own: ${JSON.stringify(events)}`);
			assert(channels.opened.length === 0, `no channel opened: ${channels.opened.join(', ')}`);
			assert(locked.length === 0, `no Web Lock asked for: ${locked.join(', ')}`);
		} finally {
			channels.restore();
			locks.request = request;
			api.close();
			await server.shutdown();
		}
	},
});

Deno.test({
	name: 'auth (Deno, edge build): a client and its extend() answered 401 at once share one refresh (no Web Lock joins them)',
	async fn() {
		let token = 'old';
		let refreshes = 0;
		const seen: string[] = [];
		const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, (request) => {
			const authorization = request.headers.get('authorization') ?? '';
			seen.push(authorization);
			return new Response(authorization === 'Bearer new' ? 'ok' : 'no', { status: authorization === 'Bearer new' ? 200 : 401 });
		});
		const base = `http://127.0.0.1:${server.addr.port}`;
		let release = (): void => undefined;
		const api = createClient({
			name: `deno-auth-extend-${crypto.randomUUID()}`, retry: 0, breaker: false,
			auth: auth({
				origins: [base],
				token: () => token,
				refresh: async () => {
					refreshes++;
					await new Promise<void>((resolve) => {
						release = resolve;
					});
					token = 'new';
				},
			}),
		});
		const child = api.extend({ headers: { 'x-child': '1' } });
		try {
			const calls = [api, api, child, child].map(async (client, index) => client.get(`${base}/item/${index}`).text().catch((error: unknown) => String(error)));
			await waitFor(() => seen.length === 4 && refreshes > 0, 'four 401s and a refresh');
			release();
			const answers = await Promise.all(calls);
			assert(answers.every((answer) => answer === 'ok'), `every call answered: ${answers.join(', ')}`);
			// Before: 2 (the child's own refresh, which waited for nothing).
			assert(refreshes === 1, `one refresh: ${refreshes}`);
		} finally {
			child.close();
			api.close();
			await server.shutdown();
		}
	},
});
