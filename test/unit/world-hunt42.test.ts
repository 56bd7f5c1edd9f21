/**
 * Defect hunt, forty-second round (work stays bound to who started it). Each test names its claim.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { auth, AuthError } from '../../src/entries/auth.js';
import { createClient, memoryStore, type ClientOptions } from '../../src/entries/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { heldWrites, mapStore } from '../helpers/test-stores.js';
import { useRedirectingOrigin } from '../helpers/redirecting-origin.js';
import { settle, staleOrFresh, t0 } from './cache-kit.js';

/** `GET /me` redirected (302) to `/users/42`, whose body is `v<n>` (n: the writes it took + 1). */
const origin = useRedirectingOrigin();

/** The keys in `records` of `/me`. */
const copiesOfMe = (records: Map<string, unknown>): string[] => [...records.keys()].filter((key) => key.endsWith('/me'));

describe('a redirected copy (GET /me answered from /users/42) whose put the store lands after a write of /users/42 dropped it', () => {
	/**
	 * A client over `records` whose copy writes (`r:` keys) wait while `held.hold()` is in force, as a store that lands a
	 * put after a later delete (the Cache API keeps no order between them); its transport down while `state.down`.
	 */
	const made = (records: Map<string, unknown>, clock: ManualClock, options: ClientOptions = {}) => {
		const held = heldWrites('r:', mapStore(records)());
		const state = { down: false };
		const api = createClient({
			name: 'h42-redirect-landing', clock, store: () => held.store, retry: 0, breaker: false, baseUrl: `${origin.url}/`, ...options,
			fetch: (async (input: Request, init?: RequestInit) => {
				if (state.down) {
					throw new TypeError('fetch failed');
				}

				return globalThis.fetch(input, init);
			}) as typeof fetch,
		});
		return { api, held, state };
	};

	for (const [label, write] of [
		['delivered by this client', async (api: ReturnType<typeof createClient>) => api.put('users/42')],
		['delivered by another client of the name and store (staleCache: false)', async (api: ReturnType<typeof createClient>) => api.extend({ staleCache: false }).put('users/42')],
	] as const) {
		it(`${label}: the copy does not come back, and a reload with the origin down does not answer /me from before the write`, async () => {
			const records = new Map<string, unknown>();
			const clock = new ManualClock(t0);
			const { api, held } = made(records, clock);
			held.hold();
			expect(await api.get('me').text()).toMatch(/^v\d+$/);
			await expect.poll(held.holding).toBe(true);
			// The write of the path /me was answered from: the copy's key is dropped while its put is still under way.
			expect((await write(api)).status).toBe(204);
			await settle();
			held.release();
			await settle();
			const left = copiesOfMe(records);
			api.close();

			// The page reloaded (what the last client knew of the write is gone), the origin down.
			const reloaded = made(records, clock);
			reloaded.state.down = true;
			// Before: [['r:~~http://127.0.0.1:<port>/me'], 'steadfetch; hit; ttl=60; detail=network v1'] (the put landed after
			// the drop's delete and stayed: after the reload, the answer from before the write).
			expect([left, await staleOrFresh(reloaded.api, 'me')]).toEqual([[], 'NetworkError']);
			reloaded.api.close();
		});
	}

	it('control: a copy of a URL not redirected whose put lands after its write is dropped likewise; without a write, the redirected copy stays', async () => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const { api, held } = made(records, clock);
		held.hold();
		expect(await api.get('users/42').text()).toMatch(/^v\d+$/);
		await expect.poll(held.holding).toBe(true);
		expect((await api.put('users/42')).status).toBe(204);
		await settle();
		held.release();
		await settle();
		expect([...records.keys()].filter((key) => key.endsWith('/users/42'))).toEqual([]);

		held.hold();
		expect(await api.get('me').text()).toMatch(/^v\d+$/);
		await expect.poll(held.holding).toBe(true);
		held.release();
		await settle();
		expect(copiesOfMe(records)).toHaveLength(1);
		api.close();
	});
});

describe('auth(): a server\'s requests each made through an extend() child bound to its user (extend({ identity }))', () => {
	/** The client (token() and refresh() of the user of the request, from an AsyncLocalStorage), and a request of a user through a child bound to them. */
	const server = (hold: (who: string) => Promise<void> | undefined = () => undefined, held: (token: string) => Promise<void> | undefined = () => undefined) => {
		const als = new AsyncLocalStorage<string>();
		const tokens: Record<string, string> = { alice: 'alice-old', bob: 'bob-old' };
		const refreshed: string[] = [];
		const sent: string[] = [];
		const api = createClient({
			name: `h42-auth-${crypto.randomUUID()}`, prefix: 'https://api.test/', store: memoryStore, retry: 0, staleCache: false, breaker: false,
			auth: auth({ origins: ['https://api.test'], token: () => tokens[als.getStore()!], refresh: async () => {
				const who = als.getStore()!;
				refreshed.push(who);
				await hold(who);
				tokens[who] = `${who}-new`;
			} }),
			fetch: (async (input: Request) => {
				const value = input.headers.get('authorization')!;
				sent.push(value);
				await held(value);
				return value.endsWith('-new') ? Response.json({ ok: true }) : new Response('no', { status: 401 });
			}) as typeof fetch,
		} as never);
		const request = async (who: string, path: string): Promise<string> => als.run(who, async () => api.extend({ identity: () => who }).get(path).then(
			async (response) => JSON.stringify(await response.json()),
			(error: unknown) => (error instanceof AuthError ? error.message : String(error)),
		));
		return { api, refreshed, sent, request };
	};

	it('bob\'s 401 that comes after alice\'s refresh ended gets a refresh of his own', async () => {
		let aliceDone!: () => void;
		const aliceHeld = new Promise<void>((resolve) => {
			aliceDone = resolve;
		});
		let answerBob!: () => void;
		const bobHeld = new Promise<void>((resolve) => {
			answerBob = resolve;
		});
		const { api, refreshed, sent, request } = server((who) => (who === 'alice' ? aliceHeld : undefined), (token) => (token === 'Bearer bob-old' && sent.length === 2 ? bobHeld : undefined));
		const alice = request('alice', 'a');
		await waitFor(() => refreshed.length === 1, 'alice\'s refresh');
		const bob = request('bob', 'b');
		await waitFor(() => sent.length === 2, 'bob\'s call sent');
		aliceDone();
		expect(await alice).toBe('{"ok":true}');
		answerBob();
		expect([await bob, refreshed, sent]).toEqual(['{"ok":true}', ['alice', 'bob'], ['Bearer alice-old', 'Bearer bob-old', 'Bearer alice-new', 'Bearer bob-new']]);
		api.close();
	});

	it('bob\'s 401 while alice\'s token refresh runs and then fails: bob gets a refresh of his own, never her failure', async () => {
		let aliceFails!: (error: Error) => void;
		const aliceHeld = new Promise<void>((_resolve, reject) => {
			aliceFails = reject;
		});
		const { api, refreshed, sent, request } = server((who) => (who === 'alice' ? aliceHeld : undefined));
		const alice = request('alice', 'a');
		await waitFor(() => refreshed.length === 1, 'alice\'s refresh');
		const bob = request('bob', 'b');
		await waitFor(() => sent.length === 2, 'bob\'s call sent');
		await settle();
		aliceFails(new Error('alice\'s refresh endpoint is down'));
		expect(await alice).toBe('https://api.test answered 401 and the token refresh failed');
		// Before: 'https://api.test answered 401 and the token refresh failed' for bob too, refreshed ['alice'].
		expect([await bob, refreshed, sent]).toEqual(['{"ok":true}', ['alice', 'bob'], ['Bearer alice-old', 'Bearer bob-old', 'Bearer bob-new']]);
		api.close();
	});

	it('guard: two requests of alice through two children share her one refresh', async () => {
		let aliceDone!: () => void;
		const aliceHeld = new Promise<void>((resolve) => {
			aliceDone = resolve;
		});
		const { api, refreshed, sent, request } = server(() => aliceHeld);
		const first = request('alice', 'a');
		await waitFor(() => refreshed.length === 1, 'alice\'s refresh');
		const second = request('alice', 'b');
		await waitFor(() => sent.length === 2, 'her second call sent');
		await settle();
		aliceDone();
		expect([await first, await second, refreshed]).toEqual(['{"ok":true}', '{"ok":true}', ['alice']]);
		api.close();
	});

	it('bob\'s 401 while alice\'s token refresh runs waits for it, then gets a refresh of his own (never counts hers as his)', async () => {
		let aliceDone!: () => void;
		const aliceHeld = new Promise<void>((resolve) => {
			aliceDone = resolve;
		});
		const { api, refreshed, sent, request } = server((who) => (who === 'alice' ? aliceHeld : undefined));
		const alice = request('alice', 'a');
		await waitFor(() => refreshed.length === 1, 'alice\'s refresh');
		const bob = request('bob', 'b');
		await waitFor(() => sent.length === 2, 'bob\'s call sent');
		// Bob's 401 has come while alice's refresh runs.
		await settle();
		aliceDone();
		expect(await alice).toBe('{"ok":true}');
		// Before: 'https://api.test answered 401 again after the token refresh' (bob joined alice's refresh, and was sent again with
		// 'Bearer bob-old'), refreshed ['alice'].
		expect([await bob, refreshed, sent]).toEqual(['{"ok":true}', ['alice', 'bob'], ['Bearer alice-old', 'Bearer bob-old', 'Bearer alice-new', 'Bearer bob-new']]);
		api.close();
	});
});
