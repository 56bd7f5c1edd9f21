/**
 * The thirty-sixth round on auth and request contexts (defect hunt): redirects followed by steadfetch itself (with
 * `deadlineHeader`) through a custom `fetch` whose Responses carry no `url`; a server's concurrent requests, each its
 * own user (`identity` and `token()` read from an AsyncLocalStorage); an outbox replay sent again after a refresh in a
 * request context with no subrequest left.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { auth, AuthError } from '../../src/entries/auth.js';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { outbox } from '../../src/entries/outbox.js';
import { waitFor } from '../helpers/wait-for.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}
});

const outcome = async (promise: Promise<Response>): Promise<string> => promise.then(async (response) => `${response.status} ${response.url}`, (error: unknown) => (error instanceof AuthError ? 'AuthError' : String(error)));

describe('a redirect steadfetch follows itself (deadlineHeader), through a custom fetch whose Responses have no url', () => {
	it('a third party\'s 401 at the end of it refreshes nothing, and the answer names the URL that gave it', async () => {
		const sent: string[] = [];
		let refreshes = 0;
		const client = createClient({
			name: `h36-auth-${crypto.randomUUID()}`, prefix: 'https://api.test/', store: memoryStore, retry: 0, staleCache: false,
			deadlineHeader: 'request-timeout-ms', throwHttpErrors: false,
			auth: auth({ origins: ['https://api.test'], token: () => 'old', refresh: () => {
				refreshes++;
			} }),
			// A mock (or a Worker binding): `new Response()`, no `url`.
			fetch: (async (input: Request) => {
				sent.push(`${input.url} ${input.headers.get('authorization')}`);
				return input.url.startsWith('https://api.test/') ? new Response(null, { status: 302, headers: { location: 'https://third.test/x' } }) : new Response('no', { status: 401 });
			}) as typeof fetch,
		} as never);
		made.push(client);
		const answer = await outcome(client.get('a'));
		// Before: refreshes 1 and the call sent twice (the third party's 401 taken as the origin's), its answer's url ''.
		expect([answer, refreshes, sent]).toEqual(['401 https://third.test/x', 0, ['https://api.test/a Bearer old', 'https://third.test/x null']]);
	});
});

describe('a server\'s concurrent requests, each its own user (identity and token() from an AsyncLocalStorage)', () => {
	it('bob\'s 401 that comes after alice\'s refresh ended gets a refresh of bob\'s own, as one that comes while it runs does', async () => {
		const als = new AsyncLocalStorage<string>();
		const tokens: Record<string, string> = { alice: 'alice-old', bob: 'bob-old' };
		const refreshed: string[] = [];
		const sent: string[] = [];
		let aliceDone!: () => void;
		let answerBob!: () => void;
		const bobHeld = new Promise<void>((resolve) => {
			answerBob = resolve;
		});
		const client = createClient({
			name: `h36-als-${crypto.randomUUID()}`, prefix: 'https://api.test/', store: memoryStore, retry: 0, staleCache: false,
			identity: () => als.getStore(),
			auth: auth({ origins: ['https://api.test'], token: () => tokens[als.getStore()!], refresh: async () => {
				const who = als.getStore()!;
				refreshed.push(who);
				if (who === 'alice') {
					await new Promise<void>((resolve) => {
						aliceDone = resolve;
					});
				}

				tokens[who] = `${who}-new`;
			} }),
			fetch: (async (input: Request) => {
				const value = input.headers.get('authorization')!;
				sent.push(value);
				if (value === 'Bearer bob-old') {
					await bobHeld; // Bob's 401 comes once alice's refresh ended.
				}

				return value.endsWith('-new') ? Response.json({ ok: true }) : new Response('no', { status: 401 });
			}) as typeof fetch,
		} as never);
		made.push(client);
		const answer = async (promise: Promise<Response>) => promise.then(async (response) => JSON.stringify(await response.json()), (error: unknown) => (error instanceof AuthError ? error.message : String(error)));
		const alice = als.run('alice', () => answer(client.get('a')));
		await waitFor(() => refreshed.length === 1, 'alice\'s refresh');
		const bob = als.run('bob', () => answer(client.get('b')));
		await waitFor(() => sent.length === 2, 'bob\'s call sent');
		aliceDone();
		expect(await alice).toBe('{"ok":true}');
		answerBob();
		// Before: 'https://api.test answered 401 again after the token refresh', bob's refresh skipped (alice's counted as his)
		// and his call sent again with 'Bearer bob-old'.
		expect([await bob, refreshed, sent]).toEqual(['{"ok":true}', ['alice', 'bob'], ['Bearer alice-old', 'Bearer bob-old', 'Bearer alice-new', 'Bearer bob-new']]);
	});

	it('bob\'s 401 that comes after alice\'s refresh failed gets a refresh of bob\'s own, never her failure (bob refreshed before)', async () => {
		const als = new AsyncLocalStorage<string>();
		const tokens: Record<string, string> = { alice: 'alice-old', bob: 'bob-old' };
		const valid = new Set(['bob-1', 'bob-2']);
		const refreshed: string[] = [];
		const sent: string[] = [];
		let aliceFail!: () => void;
		let answerBob!: () => void;
		let holdBob = false;
		const bobHeld = new Promise<void>((resolve) => {
			answerBob = resolve;
		});
		let n = 0;
		const client = createClient({
			name: `h36-f-${crypto.randomUUID()}`, prefix: 'https://api.test/', store: memoryStore, retry: 0, staleCache: false,
			identity: () => als.getStore(),
			auth: auth({ origins: ['https://api.test'], token: () => tokens[als.getStore()!], refresh: async () => {
				const who = als.getStore()!;
				refreshed.push(who);
				if (who === 'alice') {
					await new Promise<void>((_, reject) => {
						aliceFail = () => reject(new Error('down'));
					});
				}

				tokens[who] = `${who}-${++n}`;
			} }),
			fetch: (async (input: Request) => {
				const value = input.headers.get('authorization')!;
				sent.push(value);
				if (holdBob && value === 'Bearer bob-1') {
					await bobHeld; // Bob's 401 comes once alice's refresh failed.
				}

				return valid.has(value.slice(7)) ? Response.json({ ok: true }) : new Response('no', { status: 401 });
			}) as typeof fetch,
		} as never);
		made.push(client);
		const answer = async (promise: Promise<Response>) => promise.then(async (response) => JSON.stringify(await response.json()), (error: unknown) => (error instanceof AuthError ? error.message : String(error)));
		// Bob refreshed once (his token 'bob-1'), which then expires.
		expect(await als.run('bob', () => answer(client.get('b0')))).toBe('{"ok":true}');
		valid.delete('bob-1');
		const alice = als.run('alice', () => answer(client.get('a')));
		await waitFor(() => refreshed.length === 2, 'alice\'s refresh');
		holdBob = true;
		const bob = als.run('bob', () => answer(client.get('b')));
		await waitFor(() => sent.length === 4, 'bob\'s call sent');
		aliceFail();
		await alice;
		answerBob();
		// Before: 'https://api.test answered 401 and the token refresh failed' (alice's failure, its cause), no refresh of bob's.
		expect([await bob, refreshed]).toEqual(['{"ok":true}', ['bob', 'alice', 'bob']]);
	});
});

describe('an outbox replay in a request context whose first attempt took the last subrequest (withContext)', () => {
	it('is not sent again after the token refresh its 401 started: it stays queued, and a later request sends it', async () => {
		let up = false;
		let token = 'old';
		let refreshes = 0;
		const sent: string[] = [];
		const client = createClient({
			name: `h36-sr-${crypto.randomUUID()}`, prefix: 'https://api.test/', store: memoryStore, retry: 0, staleCache: false, breaker: false,
			outbox: outbox(),
			auth: auth({ origins: ['https://api.test'], token: () => token, refresh: () => {
				refreshes++;
				token = 'new';
			} }),
			fetch: (async (input: Request) => {
				sent.push(`${input.method} ${input.headers.get('authorization')}`);
				if (!up) {
					throw new TypeError('Failed to fetch');
				}

				return input.headers.get('authorization') === 'Bearer new' ? Response.json({ ok: true }) : new Response('no', { status: 401 });
			}) as typeof fetch,
		} as never) as unknown as ReturnType<typeof createClient> & { outbox: { list(): Promise<unknown[]> } };
		type Here = { outbox: { flush(): Promise<unknown> }; stats(): { subrequests: number } };
		made.push(client);
		await client.post('todos', { json: { a: 1 } }).catch(() => undefined);
		await waitFor(async () => (await client.outbox.list()).length === 1, 'the write queued');
		up = true;
		sent.length = 0;
		// subrequests 6: the replay's first attempt takes the context's last one (6 − 5).
		const here = client.withContext({ waitUntil: () => undefined }, { subrequests: 6 }) as unknown as Here;
		const first = await here.outbox.flush();
		// Before: { sent: 1, remaining: 0 }, sent again with 'Bearer new' past the limit (subrequests 2 where 1).
		expect([first, sent, refreshes, here.stats().subrequests]).toEqual([{ sent: 0, failed: 0, dead: 0, remaining: 1 }, ['POST Bearer old'], 1, 1]);
		const later = client.withContext({ waitUntil: () => undefined }, { subrequests: 6 }) as unknown as Here;
		expect([await later.outbox.flush(), sent]).toEqual([{ sent: 1, failed: 0, dead: 0, remaining: 0 }, ['POST Bearer old', 'POST Bearer new']]);
	});
});
