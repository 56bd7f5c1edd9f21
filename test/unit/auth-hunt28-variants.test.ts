/**
 * The twenty-eighth round on work bound to who started it (auth, identity, the stale cache's scoping, the TanStack
 * Query helpers) and a newcomer's frictions (defect hunt).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { auth } from '../../src/entries/auth.js';
import { breaker } from '../../src/entries/breaker.js';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { queryOptionsFor, StaleAnswerError } from '../../src/entries/tanstack-query.js';
import { trace } from '../../src/entries/trace.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}
});

type Isolating = { breaker: { isolate(url: string): Promise<void>; reset(url: string): Promise<void> } };

describe('a stale copy served for an isolated scope (breaker.isolate) is not retried by TanStack', () => {
	it('the copy\'s StaleAnswerError (circuit-open) says it is not retriable: the query shows the copy at once', async () => {
		let fetched = 0;
		const api = createClient({ name: `h28-${crypto.randomUUID()}`, store: memoryStore, retry: 0, breaker: breaker(), fetch: async () => {
			fetched++;
			return Response.json({ n: fetched });
		} } as never);
		made.push(api);
		const stored = new Promise((resolve) => api.on('cache:stored', resolve));
		const query = queryOptionsFor<{ n: number }>(api, 'https://api.test/todos');
		expect(await query.queryFn({ signal: new AbortController().signal })).toEqual({ n: 1 });
		await stored;
		await (api as unknown as Isolating).breaker.isolate('https://api.test');
		const copy = await query.queryFn({ signal: new AbortController().signal }).then(() => undefined, (error: unknown) => error as StaleAnswerError);
		expect([copy instanceof StaleAnswerError, copy?.reason, copy?.staleData, fetched]).toEqual([true, 'circuit-open', { n: 1 }, 1]);
		// Before: true (TanStack tried twice more, each answered by the same copy with no request: the query waited for retries).
		expect(query.retry(0, copy!)).toBe(false);
	});
});

describe('a copy or a fallback standing for a refusal that is never retried is not retried by TanStack either', () => {
	it('an isolated scope\'s fallback answer (no copy): StaleAnswerError fallback, not retriable', async () => {
		const api = createClient({ name: `h28-${crypto.randomUUID()}`, store: memoryStore, retry: 0, breaker: breaker(), fallback: { degraded: true }, fetch: async () => Response.json({ fresh: true }) } as never);
		made.push(api);
		await (api as unknown as Isolating).breaker.isolate('https://api.test');
		const query = queryOptionsFor(api, 'https://api.test/todos');
		const answer = await query.queryFn({ signal: new AbortController().signal }).then(() => undefined, (error: unknown) => error as StaleAnswerError);
		expect([answer?.reason, answer?.staleData]).toEqual(['fallback', { degraded: true }]);
		// Before: true (a CircuitOpenError is transient: its fallback was marked retriable).
		expect(query.retry(0, answer!)).toBe(false);
	});

	it('its neighbours: a copy and a fallback for a breaker opened by failures are still retried', async () => {
		let down = false;
		const api = createClient({ name: `h28-${crypto.randomUUID()}`, store: memoryStore, retry: 0, breaker: breaker({ consecutiveFailures: 1 }), fetch: async () => down ? new Response(null, { status: 503 }) : Response.json({ ok: true }) } as never);
		made.push(api);
		const stored = new Promise((resolve) => api.on('cache:stored', resolve));
		const query = queryOptionsFor(api, 'https://api.test/todos');
		await query.queryFn({ signal: new AbortController().signal });
		await stored;
		down = true;
		const first = await query.queryFn({ signal: new AbortController().signal }).then(() => undefined, (error: unknown) => error as StaleAnswerError);
		const open = await query.queryFn({ signal: new AbortController().signal }).then(() => undefined, (error: unknown) => error as StaleAnswerError);
		expect([first?.reason, query.retry(0, first!), open?.reason, query.retry(0, open!)]).toEqual(['http-5xx', true, 'circuit-open', true]);
		const fallback = queryOptionsFor(api, 'https://api.test/other', { fallback: { degraded: true } } as never);
		const placeholder = await fallback.queryFn({ signal: new AbortController().signal }).then(() => undefined, (error: unknown) => error as StaleAnswerError);
		expect([placeholder?.reason, fallback.retry(0, placeholder!)]).toEqual(['fallback', true]);
	});
});

describe('a newcomer\'s `origins` with a path (the client\'s baseUrl pasted): the error says what to give', () => {
	const token = () => 't';
	const refresh = () => undefined;
	it('auth.origins and trace.propagateTo name the origin to give instead', () => {
		// Before: "`auth.origins` must be an http(s) origin; got …" (which part is wrong, and what to give, unsaid).
		expect(() => auth({ token, refresh, origins: ['https://api.example.com/v1/'] })).toThrow('`auth.origins` must be an http(s) origin, scheme, host and port only (as "https://api.example.com"); got "https://api.example.com/v1/"');
		expect(() => trace({ propagateTo: ['https://api.example.com:8443/v1?x=1'] })).toThrow('`trace.propagateTo` must be an http(s) origin, scheme, host and port only (as "https://api.example.com:8443"); got "https://api.example.com:8443/v1?x=1"');
		// No origin in it (a host without its scheme): an example.
		expect(() => auth({ token, refresh, origins: ['api.example.com'] })).toThrow('`auth.origins` must be an http(s) origin, scheme, host and port only (as "https://api.example.com"); got "api.example.com"');
		expect(() => auth({ token, refresh, origins: ['https://api.example.com/v1/'] })).toThrow(RangeError);
	});

	it('its neighbours: an origin, with or without its trailing slash, is taken', () => {
		expect(() => auth({ token, refresh, origins: ['https://api.example.com', 'HTTPS://EU.example.com:443/'] })).not.toThrow();
	});
});

/**
 * README "A form that works offline (PWA)", run as written (its block taken from README.md; only its import of
 * `steadfetch` pointed at src/ and its client exported for the test): the recipe adds the signed-in user's token to
 * every attempt, replays included ("Replays run through the client"). A user's queued order must never be replayed
 * with the next user's token.
 */
describe('README: the offline form recipe keeps a queued order with the user who placed it', () => {
	const root = join(import.meta.dirname, '../..');
	const readme = readFileSync(join(root, 'README.md'), 'utf8');
	const section = readme.slice(readme.indexOf('### A form that works offline (PWA)'));
	const code = /^```ts\n([\s\S]*?)^```$/m.exec(section)![1]!;

	it('alice\'s order queued offline is not sent with bob\'s token after he signs in on the same browser', async () => {
		const dir = join(root, 'test-results/h28');
		mkdirSync(dir, { recursive: true });
		const file = join(dir, `pwa-${crypto.randomUUID()}.ts`);
		writeFileSync(file, `${code.replace("from 'steadfetch'", `from '${join(root, 'src/entries/index.js')}'`)}\nexport { api };\n`);
		// The page's session storage, as the app's sign-in code fills it (`userId` where the recipe reads who is signed in).
		const session = new Map<string, string>([['token', 'alice-token'], ['userId', 'alice']]);
		vi.stubGlobal('sessionStorage', { getItem: (key: string) => session.get(key) ?? null, setItem: (key: string, value: string) => void session.set(key, value), removeItem: (key: string) => void session.delete(key) });
		vi.spyOn(console, 'info').mockImplementation(() => undefined);
		const sent: string[] = [];
		let online = false;
		const server = setupServer(http.post('https://api.example.com/v1/orders', ({ request }) => {
			if (!online) {
				return HttpResponse.error();
			}

			sent.push(`${request.headers.get('authorization')}`);
			return HttpResponse.json({ ok: true }, { status: 201 });
		}));
		server.listen();
		const recipe = await import(/* @vite-ignore */ file) as { api: { outbox: { flush(): Promise<unknown>; size(): Promise<number> }; close(): void }; submitOrder(form?: unknown): Promise<string> };
		try {
			expect(await recipe.submitOrder()).toBe('The network is slow or gone: the order is saved and will be sent automatically.');
			// Alice signs out, bob signs in; the network is back.
			session.set('token', 'bob-token');
			session.set('userId', 'bob');
			online = true;
			await recipe.api.outbox.flush();
			// Before: ['Bearer bob-token'] (alice's order placed under bob's account).
			expect(sent).toEqual([]);
			// Alice signs in again: her order goes, with her token.
			session.set('token', 'alice-token-2');
			session.set('userId', 'alice');
			await recipe.api.outbox.flush();
			expect([sent, await recipe.api.outbox.size()]).toEqual([['Bearer alice-token-2'], 0]);
		} finally {
			recipe.api.close();
			server.close();
			vi.unstubAllGlobals();
			vi.restoreAllMocks();
		}
	});
});

/**
 * README "Service worker: the whole app's traffic", run as written (its block from README.md, its imports pointed at
 * src/, its client exported for the test): a cookie-authenticated app whose pages keep plain `fetch`. The browser sends
 * whoever is signed in now with each of the worker's requests (the origin here answers for `signedIn`). The page cannot
 * reach the worker's client to `clear()` it at logout, and the worker has no `identity` to read: the recipe must say how.
 */
describe('README: the service worker recipe keeps a queued write with the user who made it', () => {
	const root = join(import.meta.dirname, '../..');
	const readme = readFileSync(join(root, 'README.md'), 'utf8');
	const section = readme.slice(readme.indexOf('### Service worker: the whole app\'s traffic'));
	const code = /^```ts\n([\s\S]*?)^```$/m.exec(section)![1]!;

	it('alice\'s write queued by the worker is not delivered as bob\'s after she logs out and he signs in', async () => {
		const dir = join(root, 'test-results/h28');
		mkdirSync(dir, { recursive: true });
		const file = join(dir, `sw-${crypto.randomUUID()}.ts`);
		writeFileSync(file, `${code.replace("from 'steadfetch'", `from '${join(root, 'src/entries/index.js')}'`).replace("from 'steadfetch/sw'", `from '${join(root, 'src/entries/sw.js')}'`)}\nexport { api };\n`);
		const listeners = new Map<string, Array<(event: unknown) => void>>();
		vi.stubGlobal('self', { addEventListener: (type: string, listener: (event: unknown) => void) => listeners.set(type, [...listeners.get(type) ?? [], listener]) });
		vi.stubGlobal('location', new URL('https://app.test/sw.js'));
		/** An event of `type` the worker's listeners get, its `waitUntil` promises and `respondWith` answer kept. */
		const dispatch = async (type: string, fields: Record<string, unknown>): Promise<Response | undefined> => {
			const kept: Array<Promise<unknown>> = [];
			let answer: Promise<Response> | undefined;
			for (const listener of listeners.get(type) ?? []) {
				listener({ ...fields, waitUntil: (promise: Promise<unknown>) => kept.push(promise), respondWith: (response: Response | Promise<Response>) => {
					answer = Promise.resolve(response);
				} });
			}

			await Promise.all(kept);
			return answer;
		};

		let signedIn = 'alice';
		let online = false;
		const delivered: string[] = [];
		const server = setupServer(http.post('https://app.test/api/orders', () => {
			if (!online) {
				return HttpResponse.error();
			}

			delivered.push(signedIn); // The browser sent the cookie of who is signed in now.
			return HttpResponse.json({ ok: true }, { status: 201 });
		}));
		server.listen();
		const recipe = await import(/* @vite-ignore */ file) as { api: { outbox: { flush(): Promise<unknown>; size(): Promise<number> }; close(): void } };
		try {
			const queued = await dispatch('fetch', { request: new Request('https://app.test/api/orders', { method: 'POST', body: '{"item":1}', headers: { 'content-type': 'application/json' } }) });
			expect([queued?.status, await recipe.api.outbox.size()]).toEqual([202, 1]);
			// Alice logs out: the page tells the worker as the recipe says (a page's logout message; none before).
			await dispatch('message', { data: 'logout' });
			signedIn = 'bob';
			online = true;
			await recipe.api.outbox.flush();
			// Before: ['bob'] (alice's order delivered under bob's session cookie).
			expect([delivered, await recipe.api.outbox.size()]).toEqual([[], 0]);
		} finally {
			recipe.api.close();
			server.close();
			vi.unstubAllGlobals();
		}
	});
});
