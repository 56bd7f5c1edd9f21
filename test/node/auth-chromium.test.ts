/**
 * auth() in real Chromium: three pages (tabs) of one profile, 30 calls at once all answered 401 →
 * exactly one refresh across the pages (Web Lock + BroadcastChannel; the token lives in
 * localStorage, never on the channel), and all 30 succeed with the new token. And the token's
 * boundary (issue 22): a page calling a third-party origin sends it no Authorization — so no CORS
 * preflight either — and the third party's 401s trigger no refresh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, startPageServer, type Chromium, type PageServer } from '../helpers/pages.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

type Lib = typeof import('../../src/entries/index.js') & typeof import('../../src/entries/auth.js');
type Scope = typeof globalThis & { steadfetch: Lib; api: ReturnType<Lib['createClient']>; refreshes: number; shared: number };

let chromium: Chromium;
let pages: PageServer;
let server: RunningServer;
/** Another origin (another port): records what reaches it and answers 401 to everything, CORS-readable. */
let third: RunningServer;
const thirdSeen: Array<{ method: string; authorization: string | null }> = [];
let valid = 'token-1';
let issued = 0;
let denied = 0;
/** `/token` refuses while set (the refresh fails). */
let tokenRefused = false;
/** `/token` answers only once this many 401s were served: every call of the burst got its 401 first (at most 10 s). */
let holdUntilDenied = 0;
/** Then `/token` waits for this too, when set (a condition in the pages: at most 10 s). */
let beforeToken: (() => Promise<boolean>) | undefined;
const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'authorization, content-type', 'access-control-allow-methods': '*' };

beforeAll(async () => {
	server = await serve(async (request) => {
		const url = new URL(request.url);
		if (request.method === 'OPTIONS') {
			return new Response(null, { status: 204, headers: cors });
		}

		if (url.pathname === '/token') {
			issued++;
			const until = Date.now() + 10_000;
			while ((denied < holdUntilDenied || (beforeToken && !await beforeToken())) && Date.now() < until) {
				await new Promise((resolve) => setTimeout(resolve, 10));
			}

			await new Promise((resolve) => setTimeout(resolve, 50)); // a slow identity provider
			if (tokenRefused) {
				return new Response('no', { status: 500, headers: cors });
			}

			valid = `token-${issued + 1}`;
			return Response.json({ token: valid }, { headers: cors });
		}

		if (request.headers.get('authorization') !== `Bearer ${valid}`) {
			denied++;
			return new Response('expired', { status: 401, headers: cors });
		}

		return Response.json({ ok: true, path: url.pathname }, { headers: cors });
	});
	third = await serve((request) => {
		thirdSeen.push({ method: request.method, authorization: request.headers.get('authorization') });
		return request.method === 'OPTIONS' ? new Response(null, { status: 204, headers: cors }) : new Response('who are you', { status: 401, headers: cors });
	});
	[chromium, pages] = await Promise.all([launchChromium(), startPageServer()]);
});

afterAll(async () => {
	await Promise.all([chromium?.close(), pages?.close(), server?.close(), third?.close()]);
});

describe('auth in real Chromium', () => {
	it('30 calls across 3 pages all answered 401 at once: exactly one refresh, and every call succeeds', async () => {
		const context = await chromium.context();
		const tabs = await Promise.all([1, 2, 3].map(async () => openPage(context, pages)));
		await tabs[0]!.evaluate(() => localStorage.setItem('token', 'expired-token'));
		for (const tab of tabs) {
			await tab.evaluate((base) => {
				const scope = globalThis as Scope;
				scope.refreshes = 0;
				scope.shared = 0;
				scope.api = scope.steadfetch.createClient({
					name: 'auth-tabs', retry: 0, staleCache: false, breaker: false, baseUrl: base,
					auth: scope.steadfetch.auth({
						token: () => localStorage.getItem('token'),
						refresh: async () => {
							scope.refreshes++;
							const { token } = await (await fetch(`${base}/token`)).json() as { token: string };
							localStorage.setItem('token', token);
						},
					}),
				});
				scope.api.on('auth:refresh', (event) => {
					if (event.shared) {
						scope.shared++;
					}
				});
			}, server.url);
		}

		denied = 0;
		holdUntilDenied = 30;
		const results = await Promise.all(tabs.map(async (tab, at) => tab.evaluate(async ({ base, at }) => {
			const { api } = globalThis as Scope;
			return Promise.all(Array.from({ length: 10 }, async (_, index) => api.get(`${base}/data/${at}-${index}`).then((response) => response.status, (error: unknown) => String(error))));
		}, { base: server.url, at })));
		expect(results.flat()).toEqual(Array(30).fill(200));
		expect(denied).toBe(30); // every call was answered 401 first
		expect(issued).toBe(1); // and one refresh served all three pages
		const counts = await Promise.all(tabs.map(async (tab) => tab.evaluate(() => ({ refreshes: (globalThis as Scope).refreshes, shared: (globalThis as Scope).shared }))));
		expect(counts.map(({ refreshes }) => refreshes).sort()).toEqual([0, 0, 1]);
		// The two other pages heard of it (the channel carries no token).
		expect(counts.filter(({ refreshes }) => refreshes === 0).map(({ shared }) => shared)).toEqual([1, 1]);
		await context.close();
	}, 60_000);

	it('a refresh that fails: still one refresh across the pages (the others wait for it), and every call gets AuthError', async () => {
		const context = await chromium.context();
		const tabs = await Promise.all([1, 2, 3].map(async () => openPage(context, pages)));
		await tabs[0]!.evaluate(() => localStorage.setItem('token', 'expired-token'));
		tokenRefused = true;
		issued = 0;
		for (const tab of tabs) {
			await tab.evaluate((base) => {
				const scope = globalThis as Scope;
				scope.api = scope.steadfetch.createClient({
					name: 'auth-tabs-failing', retry: 0, staleCache: false, breaker: false, baseUrl: base,
					auth: scope.steadfetch.auth({
						token: () => localStorage.getItem('token'),
						refresh: async () => {
							const response = await fetch(`${base}/token`);
							if (!response.ok) {
								throw new Error(`refresh refused: ${response.status}`);
							}
						},
					}),
				});
			}, server.url);
		}

		denied = 0;
		holdUntilDenied = 30;
		// The refresh fails only once the two other pages wait for its Web Lock (they got their 401s while
		// it ran): a page slow to read its 401 on a busy machine would otherwise find the refresh already
		// failed and the lock free, and try one of its own — a later wave, not the one this test is about.
		beforeToken = async () => tabs[0]!.evaluate(async () => ((await navigator.locks.query()).pending ?? []).filter((lock) => lock.name?.includes('auth-tabs-failing')).length >= 2);
		try {
			const results = await Promise.all(tabs.map(async (tab, at) => tab.evaluate(async ({ base, at }) => {
				const { api, steadfetch } = globalThis as Scope;
				return Promise.all(Array.from({ length: 10 }, async (_, index) => api.get(`${base}/data/f${at}-${index}`).then((response) => String(response.status), (error: unknown) => steadfetch.classify(error).code)));
			}, { base: server.url, at })));
			expect(results.flat()).toEqual(Array(30).fill('AUTH_FAILED'));
			expect(issued).toBe(1);
		} finally {
			tokenRefused = false;
			beforeToken = undefined;
			await context.close();
		}
	}, 60_000);

	it('two clients of one page for two APIs (no name, each its own token and refresh): B refreshes while A\'s refresh is still running (real Web Locks and BroadcastChannel)', async () => {
		// B's API, on another origin: wants `Bearer b-2`.
		const apiB = await serve((request) => request.method === 'OPTIONS'
			? new Response(null, { status: 204, headers: cors })
			: new Response(request.headers.get('authorization') === 'Bearer b-2' ? 'ok' : 'expired', { status: request.headers.get('authorization') === 'Bearer b-2' ? 200 : 401, headers: cors }));
		const context = await chromium.context();
		const tab = await openPage(context, pages);
		try {
			const outcome = await tab.evaluate(async ({ base, other }) => {
				const { steadfetch } = globalThis as Scope;
				let tokenA = 'a-1';
				let tokenB = 'b-1';
				const counts = { a: 0, b: 0 };
				let release!: () => void;
				const held = new Promise<void>((resolve) => {
					release = resolve;
				});
				const a = steadfetch.createClient({ retry: 0, staleCache: false, breaker: false, baseUrl: base, auth: steadfetch.auth({ token: () => tokenA, refresh: async () => {
					counts.a++;
					await held;
					const { token } = await (await fetch(`${base}/token`)).json() as { token: string };
					tokenA = token;
				} }) });
				const b = steadfetch.createClient({ retry: 0, staleCache: false, breaker: false, baseUrl: other, auth: steadfetch.auth({ token: () => tokenB, refresh: () => {
					counts.b++;
					tokenB = 'b-2';
				} }) });
				const slow = a.get('data/a').then((response) => response.status, (error: unknown) => String(error));
				while (counts.a === 0) {
					await new Promise((resolve) => setTimeout(resolve, 10));
				}

				const started = performance.now();
				const statusB = await b.get('data/b', { timeout: 3000 }).then((response) => response.status, (error: unknown) => String(error));
				const msB = performance.now() - started;
				const refreshedBefore = { ...counts };
				release();
				const statusA = await slow;
				a.close();
				b.close();
				return { statusA, statusB, fast: msB < 2000, refreshedBefore };
			}, { base: server.url, other: apiB.url });
			expect(outcome).toEqual({ statusA: 200, statusB: 200, fast: true, refreshedBefore: { a: 1, b: 1 } });
		} finally {
			await context.close();
			await apiB.close();
		}
	}, 60_000);

	it('a page calling a third-party origin sends it no Authorization (so no preflight) and its 401s trigger no refresh; the API of the client\'s baseUrl still gets the token', async () => {
		const context = await chromium.context();
		const tab = await openPage(context, pages);
		thirdSeen.length = 0;
		valid = 'token-first-party';
		const outcome = await tab.evaluate(async ({ base, other }) => {
			const scope = globalThis as Scope;
			scope.refreshes = 0;
			localStorage.setItem('token', 'token-first-party');
			scope.api = scope.steadfetch.createClient({
				name: 'auth-third-party', retry: 0, staleCache: false, breaker: false, baseUrl: base,
				auth: scope.steadfetch.auth({
					token: () => localStorage.getItem('token'),
					refresh: async () => {
						scope.refreshes++;
					},
				}),
			});
			const third = [];
			for (let index = 0; index < 5; index++) {
				third.push(await scope.api.get(`${other}/profile/${index}`).then((response) => response.status, (error: { name?: string; response?: Response }) => `${error.name} ${error.response?.status}`));
			}

			const own = await scope.api.get('data/mine').then((response) => response.status, (error: unknown) => String(error));
			return { third, own, refreshes: scope.refreshes };
		}, { base: server.url, other: third.url });
		expect(outcome).toEqual({ third: Array(5).fill('HTTPError 401'), own: 200, refreshes: 0 });
		// A CORS-simple GET stays simple: no preflight, no header.
		expect(thirdSeen).toEqual(Array(5).fill({ method: 'GET', authorization: null }));
		await context.close();
	}, 60_000);
});
