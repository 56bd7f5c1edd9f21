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

/**
 * An origin on a free port that answers `ok` to `Bearer new` and 401 to any other authorization (each listed in
 * `state.seen`), and `policy()`, an auth() for it whose token is `old` until its refresh (counted in
 * `state.refreshes`), held until the test calls `state.release()` once every call got its 401, makes it `new`.
 */
const refreshing = () => {
	const state = { token: 'old', refreshes: 0, seen: [] as string[], release: (): void => undefined };
	const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, (request) => {
		const authorization = request.headers.get('authorization') ?? '';
		state.seen.push(authorization);
		return new Response(authorization === 'Bearer new' ? 'ok' : 'no', { status: authorization === 'Bearer new' ? 200 : 401 });
	});
	const base = `http://127.0.0.1:${server.addr.port}`;
	const policy = () => auth({
		origins: [base],
		token: () => state.token,
		refresh: async () => {
			state.refreshes++;
			await new Promise<void>((resolve) => {
				state.release = resolve;
			});
			state.token = 'new';
		},
	});
	return { state, server, base, policy };
};

Deno.test({
	name: 'auth (Deno, edge build): five calls answered 401 at once share one refresh, without a Web Lock or a channel',
	async fn() {
		const { state, server, base, policy } = refreshing();
		// Deno has BroadcastChannel and Web Locks: the edge build must use neither.
		const channels = watchChannels();
		const locks = navigator.locks;
		const request = locks.request.bind(locks);
		const locked: string[] = [];
		locks.request = ((name: string, ...rest: unknown[]) => {
			locked.push(name);
			return (request as (...args: unknown[]) => Promise<unknown>)(name, ...rest);
		}) as typeof locks.request;
		const api = createClient({
			name: `deno-auth-${crypto.randomUUID()}`, retry: 0, breaker: false,
			auth: policy(),
		});
		const events: Array<{ ok: boolean; shared: boolean }> = [];
		api.on('auth:refresh', (event: { ok: boolean; shared: boolean }) => events.push(event));
		try {
			const calls = Array.from({ length: 5 }, async (_, index) => api.get(`${base}/item/${index}`).text().catch((error: unknown) => String(error)));
			// Each call's first attempt got its 401 (the server saw five old tokens) and waits for the refresh.
			await waitFor(() => state.seen.length === 5 && state.refreshes > 0, 'five 401s and a refresh');

			state.release();
			const answers = await Promise.all(calls);
			assert(answers.every((answer) => answer === 'ok'), `every call answered: ${answers.join(', ')}`);
			assert(state.refreshes === 1, `one refresh: ${state.refreshes}`);
			assert(state.seen.filter((value) => value === 'Bearer old').length === 5 && state.seen.filter((value) => value === 'Bearer new').length === 5, `sent: ${state.seen.join(', ')}`);
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
		const { state, server, base, policy } = refreshing();
		const api = createClient({
			name: `deno-auth-extend-${crypto.randomUUID()}`, retry: 0, breaker: false,
			auth: policy(),
		});
		const child = api.extend({ headers: { 'x-child': '1' } });
		try {
			const calls = [api, api, child, child].map(async (client, index) => client.get(`${base}/item/${index}`).text().catch((error: unknown) => String(error)));
			await waitFor(() => state.seen.length === 4 && state.refreshes > 0, 'four 401s and a refresh');
			state.release();
			const answers = await Promise.all(calls);
			assert(answers.every((answer) => answer === 'ok'), `every call answered: ${answers.join(', ')}`);
			// Before: 2 (the child's own refresh, which waited for nothing).
			assert(state.refreshes === 1, `one refresh: ${state.refreshes}`);
		} finally {
			child.close();
			api.close();
			await server.shutdown();
		}
	},
});
