/**
 * The contract's stale cache part, on each runtime's default store (autoStore): IndexedDB in
 * Chromium, the Cache API in workerd and Deno, memory in Node.
 */
import { equal, eventually, ok, rejects } from './assert.js';
import { uid, type ContractCase, type ContractEnv, type Library } from './types.js';

export const cacheCases = (lib: Library, env: ContractEnv): ContractCase[] => {
	const { createClient, isStale, CircuitOpenError } = lib;
	const base = env.baseUrl + '/';
	/** The runtime's default: a shared cache where one isolate serves many users. */
	/** Every runtime without IndexedDB may serve many users: Node, Deno, workerd (not browsers). */
	const sharedByDefault = env.runtime !== 'chromium';
	/** A client whose transport can be cut (`down`) or made to answer like an open breaker. */
	const make = (name = `contract-cache-${uid()}`, options: Parameters<typeof createClient>[0] = {}) => {
		const control = { mode: 'up' as 'up' | 'down' | 'open' };
		const api = createClient({
			baseUrl: base, name, retry: { limit: 1, delay: () => 0 }, breaker: false,
			fetch: async (input: unknown, init?: RequestInit) => {
				const request = input as Request;
				if (control.mode === 'open') {
					throw new CircuitOpenError(new URL(request.url).origin, 30_000);
				}

				if (control.mode === 'down') {
					throw new TypeError('fetch failed');
				}

				return globalThis.fetch(request, init);
			},
			...options,
		});
		// In workerd background work (the cache's write) goes to the request's waitUntil, else it is
		// dropped (API.md "Request contexts"): the test is the request, alive until it ends.
		return Object.assign(env.runtime === 'workerd' ? api.withContext({ waitUntil: (promise) => void promise }) : api, { control });
	};

	const stored = async (api: ReturnType<typeof make>) => new Promise<void>((resolve) => {
		const off = api.on('cache:stored', () => {
			off();
			resolve();
		});
	});

	return [
		{
			name: 'cache: a stored GET answers a network error, marked stale (Cache-Status, Age, isStale, cache:stale)',
			async run() {
				const api = make();
				const path = `json?id=${uid()}&cc=max-age%3D60`;
				const write = stored(api);
				const fresh = await api.get(path).json<{ n: number }>();
				equal(fresh.n, 1);
				await write;
				api.control.mode = 'down';
				const reasons: string[] = [];
				api.on('cache:stale', (event) => reasons.push(event.reason));
				const response = await api.get(path);
				ok(isStale(response), 'isStale');
				ok(/^steadfetch; hit; ttl=-?\d+; detail=network$/.test(response.headers.get('cache-status') ?? ''), String(response.headers.get('cache-status')));
				ok(/^\d+$/.test(response.headers.get('age') ?? ''), 'Age');
				equal((await response.json() as { n: number }).n, 1);
				equal(reasons.join(), 'network');
				await api.clear();
			},
		},
		{
			name: 'cache: 503 after retries and an open circuit are answered stale; with no copy the original error is thrown',
			async run() {
				const api = make();
				const id = uid();
				const write = stored(api);
				await api.get(`plan/200,503?id=${id}`).text();
				await write;
				const response = await api.get(`plan/200,503?id=${id}`);
				ok(response.headers.get('cache-status')?.endsWith('detail=http-5xx'), 'http-5xx');
				api.control.mode = 'open';
				const open = await api.get(`plan/200,503?id=${id}`);
				ok(open.headers.get('cache-status')?.endsWith('detail=circuit-open'), 'circuit-open');
				const error = await rejects(api.get(`json?id=${uid()}`));
				ok(error instanceof CircuitOpenError, String(error));
				await api.clear();
			},
		},
		{
			name: 'cache: the caller gets the whole body (write behind, from a clone); staleCache: false neither stores nor serves',
			async run() {
				const api = make();
				const path = `echo?id=${uid()}`;
				const write = stored(api);
				const text = await (await api.get(path)).text();
				ok(text.includes('"method":"GET"'), text);
				await write;
				api.control.mode = 'down';
				const error = await rejects(api.get(path, { staleCache: false }));
				ok(lib.isNetworkError(error), String(error));
				ok(isStale(await api.get(path)), 'served without staleCache: false');
				await api.clear();
			},
		},
		{
			name: 'cache: credentials partition the cache; a shared runtime (Node, workerd, Deno) stores no credentialed response',
			async run() {
				const api = make();
				const path = `json?id=${uid()}`;
				const alice = { authorization: 'Bearer alice' };
				const events: string[] = [];
				api.on('cache:stored', (event) => events.push(event.url));
				await api.get(path, { headers: alice }).text();
				await api.get(`json?id=${uid()}&cc=private`).text();
				const write = stored(api);
				await api.get(`json?id=${uid()}&cc=public`).text();
				await write;
				// Each copy a browser keeps is written behind its call: waited for (a busy machine outlasts a fixed time), then
				// 100 ms more, in which a copy a shared runtime must not store would be stored too.
				await eventually(() => events.length >= (sharedByDefault ? 1 : 3), 'the copies stored');
				await new Promise((resolve) => setTimeout(resolve, 100));
				equal(events.length, sharedByDefault ? 1 : 3, events.join());
				api.control.mode = 'down';
				await rejects(api.get(path, { headers: { authorization: 'Bearer mallory' } }));
				await rejects(api.get(path));
				const own = await api.get(path, { headers: alice }).catch(() => undefined);
				equal(own !== undefined && isStale(own), !sharedByDefault, 'own partition');
				await api.clear();
			},
		},
		{
			name: 'cache: no-store is not stored; cache.clear() removes every copy',
			async run() {
				const api = make();
				const events: string[] = [];
				api.on('cache:stored', (event) => events.push(event.url));
				await api.get(`json?id=${uid()}&cc=no-store`).text();
				const path = `json?id=${uid()}`;
				const write = stored(api);
				await api.get(path).text();
				await write;
				equal(events.length, 1, events.join());
				await api.cache.clear();
				api.control.mode = 'down';
				ok(lib.isNetworkError(await rejects(api.get(path))), 'nothing left after clear');
			},
		},
		{
			name: 'cache: a new client of the same name (a reload) finds the persisted copy (not in Node: memory)',
			async run() {
				const name = `contract-cache-${uid()}`;
				const first = make(name);
				const path = `json?id=${uid()}`;
				const write = stored(first);
				await first.get(path).text();
				await write;
				await new Promise((resolve) => setTimeout(resolve, 50));
				const second = make(name);
				second.control.mode = 'down';
				const response = await second.get(path).catch((error: unknown) => error);
				equal(response instanceof Response && isStale(response), env.runtime !== 'node', String(response));
				await first.clear();
			},
		},
	];
};
