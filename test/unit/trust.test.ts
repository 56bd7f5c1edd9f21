/**
 * Persisted state that belongs to someone, clears that hold, secrets in URLs, and time from
 * outside bounded (issue 12), in Node. The IndexedDB versions run in Chromium (test/node/identity-chromium.test.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classify, createClient, isStale, memoryStore, type Client, outbox, type OutboxPolicy } from '../../src/entries/index.js';
import { dumpStore as dump } from '../helpers/dump-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { createHandler, createState } from '../helpers/server-handler.js';
import { fakeWindow, throwIfOffline, until } from './outbox-helpers.js';

let server: RunningServer;
const state = createState();
let gate: { hold?: Promise<void> } = {};
const handler = createHandler(state);
beforeAll(async () => {
	server = await serve(async (request) => {
		await gate.hold;
		return handler(request);
	});
});
afterAll(async () => server.close());
let window: ReturnType<typeof fakeWindow> | undefined;
afterEach(() => {
	window?.restore();
	window = undefined;
	gate = {};
});

let names = 0;
const setup = (options: Parameters<typeof createClient>[0] = {}) => {
	const store = memoryStore('trust');
	const clock = new ManualClock();
	let who: string | undefined = 'alice';
	const api = createClient({
		// An offline device (fakeWindow) sends nothing: its fetch fails.
		fetch: async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
			throwIfOffline();
			return fetch(input, init);
		},
		baseUrl: server.url + '/', clock, store: () => store, name: `trust-${names++}`, retry: 0, breaker: false,
		identity: () => who, staleCache: { shared: false }, outbox: outbox({ baseBackoffMs: 1000 }), ...options,
	}) as Client<{ outbox: OutboxPolicy }>;
	return { api, store, clock, login: (next: string | undefined) => { who = next; } };
};

describe('identity', () => {
	it('a write queued offline by one user is never sent under the next user; it waits, listed, for its user', async () => {
		window = fakeWindow();
		const { api, login, store } = setup();
		window.setOnline(false, false);
		expect(classify(await api.post('mutate?id=id-a', { json: { n: 1 } }).catch((error: unknown) => error)).code).toBe('QUEUED');
		login('bob');
		window.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 0 });
		expect(state.applied.get('id-a')).toBeUndefined();
		const [entry] = await api.outbox.list();
		expect(entry).toMatchObject({ url: `${server.url}/mutate?id=id-a`, identity: expect.stringMatching(/^[\da-f]{64}$/) });
		expect(await dump(store)).not.toContain('alice');
		login('alice');
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(state.applied.get('id-a')).toHaveLength(1);
		api.close();
	});

	it('the stale cache serves a copy only within the identity it was stored for', async () => {
		const { api, login } = setup();
		await api.get('json?id=id-cache').json();
		await until(async () => (await api.cache.list()).length === 1);
		gate.hold = new Promise(() => undefined); // The origin hangs from now on.
		login('bob');
		await expect(api.get('json?id=id-cache', { timeout: 50 })).rejects.toThrow();
		login('alice');
		expect(isStale(await api.get('json?id=id-cache', { timeout: 50 }))).toBe(true);
		api.close();
	});

	it('clear({ identity }) removes that identity\'s cache and outbox, and nobody else\'s', async () => {
		window = fakeWindow();
		const { api, login } = setup();
		await api.get('json?id=clear-a').json();
		window.setOnline(false, false);
		await api.post('mutate?id=clear-a').catch(() => undefined);
		login('bob');
		window.setOnline(true, false);
		await api.get('json?id=clear-b').json();
		await until(async () => (await api.cache.list()).length === 1);
		window.setOnline(false, false);
		await api.post('mutate?id=clear-b').catch(() => undefined);
		await until(async () => (await api.outbox.size()) === 2);
		await api.clear({ identity: 'alice' });
		expect((await api.outbox.list()).map(({ url }) => url)).toEqual([`${server.url}/mutate?id=clear-b`]);
		expect((await api.cache.list()).map(({ url }) => url)).toEqual([`${server.url}/json?id=clear-b`]);
		login('alice');
		expect(await api.cache.list()).toEqual([]);
		api.close();
	});
});

describe('clears that hold', () => {
	it('clear() while a drain waits on a replay: the replay\'s failure writes nothing back', async () => {
		window = fakeWindow();
		const { api } = setup();
		window.setOnline(false, false);
		await api.post('mutate?id=clear-drain&fail=503').catch(() => undefined);
		window.setOnline(true, false);
		let release!: () => void;
		gate.hold = new Promise<void>((resolve) => {
			release = resolve;
		});
		const flushing = api.outbox.flush();
		await until(() => state.hits.get('clear-drain mutate-attempts') === undefined); // The replay is in flight at the gate.
		await new Promise((resolve) => setTimeout(resolve, 20));
		const cleared = api.clear();
		release();
		await cleared;
		await flushing;
		expect(await api.outbox.size()).toBe(0);
		expect(await api.outbox.deadLetters()).toEqual([]);
		await api.outbox.flush();
		expect(await api.outbox.size()).toBe(0);
		api.close();
	});

	it('with one store for every part, cache.clear() keeps the outbox\'s entries and the breaker\'s state', async () => {
		window = fakeWindow();
		const { api, store } = setup({ breaker: { share: true, consecutiveFailures: 1 } });
		await api.get('json?id=shared-store').json();
		window.setOnline(false, false);
		await api.post('mutate?id=shared-store').catch(() => undefined);
		window.setOnline(true, false);
		await api.get(`${server.url}/status/503?id=shared-breaker`).catch(() => undefined);
		await until(async () => (await store.keys()).some((key) => key.startsWith('http')));
		await api.cache.clear();
		expect(await api.outbox.size()).toBe(1);
		expect((await store.keys()).filter((key) => key.startsWith('r:'))).toEqual([]);
		expect((await store.keys()).some((key) => key.startsWith('http'))).toBe(true);
		api.close();
	});
});

describe('secrets in URLs (sensitiveParams)', () => {
	it('a token in the query is never written to any store; the cache keys it by a digest', async () => {
		const { api, store } = setup();
		await api.get('json?id=secret-get&access_token=tok-123-secret').json();
		await api.get('json?id=secret-get&access_token=tok-456-other').json();
		await until(async () => (await api.cache.list()).length === 2);
		const stored = await dump(store);
		expect(stored).not.toContain('tok-123-secret');
		expect(stored).not.toContain('tok-456-other');
		expect((await api.cache.list()).map(({ url }) => url)).toEqual([`${server.url}/json?id=secret-get&access_token=`, `${server.url}/json?id=secret-get&access_token=`]);
		api.close();
	});

	it('a mutation whose URL carries a sensitive parameter is sent as with outbox: false, never queued', async () => {
		const { api, store } = setup();
		const error = await api.post('mutate?id=secret-post&fail=503&api_key=key-789-secret').catch((error_: unknown) => error_);
		expect(classify(error).code).toBe('HTTP_5XX');
		expect(await api.outbox.size()).toBe(0);
		expect(await dump(store)).not.toContain('key-789-secret');
		api.close();
	});

	it('a secret behind a percent-encoded name or a cloud signature parameter is never stored either', async () => {
		const { api, store } = setup();
		await api.get('json?id=secret-encoded&secre%74=enc-111-secret&X-Goog-Signature=goog-222-secret').json();
		await until(async () => (await api.cache.list()).length === 1);
		// Its percent-encodings normalised as the key spells them (RFC 3986 6.2.2: `%74` is `t`).
		expect((await api.cache.list())[0]!.url).toBe(`${server.url}/json?id=secret-encoded&secret=&X-Goog-Signature=`);
		const error = await api.post('mutate?id=secret-encoded-post&fail=503&pass%77ord=pw-333-secret').catch((error_: unknown) => error_);
		expect(classify(error).code).toBe('HTTP_5XX'); // sent as with outbox: false
		expect(await api.outbox.size()).toBe(0);
		expect(await dump(store)).not.toMatch(/enc-111|goog-222|pw-333/);
		api.close();
	});

	it('secrets given every way a call can give them never reach a stored record: a Request as input, Headers, pairs, Set-Cookie, Set-Cookie2, searchParams', async () => {
		const { api, store } = setup({ sensitiveHeaders: ['X-Secret'] });
		const queued = async (run: Promise<unknown>) => classify(await run.catch((error: unknown) => error)).code;
		const request = new Request(`${server.url}/mutate?id=secret-request&fail=503`, { method: 'POST', headers: { 'X-Secret': 'hdr-1-secret', 'Set-Cookie': 'sc-2-secret', authorization: 'Bearer au-3-secret', 'x-app': 'kept' }, body: '{}' });
		expect(await queued(api(request))).toBe('QUEUED');
		expect(await queued(api.post('mutate?id=secret-headers&fail=503', { headers: new Headers([['X-Secret', 'hdr-4-secret'], ['Cookie', 'ck-5-secret']]) }))).toBe('QUEUED');
		expect(await queued(api.post('mutate?id=secret-pairs&fail=503', { headers: [['x-secret', 'hdr-6-secret'], ['set-cookie', 'sc-7-secret'], ['Set-Cookie2', 'sc2-11-secret']] }))).toBe('QUEUED');
		expect(await queued(api.post('mutate?id=secret-search&fail=503', { searchParams: { access_token: 'tok-8-secret' } }))).toBe('HTTP_5XX'); // sent as with outbox: false
		await api.get('json?id=secret-search-get', { searchParams: new URLSearchParams({ token: 'tok-9-secret' }), headers: [['X-Secret', 'hdr-10-secret']] }).json();
		await until(async () => (await api.cache.list()).length === 1);
		expect(await api.outbox.size()).toBe(3);
		expect((await api.outbox.list()).map(({ headers }) => headers['x-app'] ?? '')).toEqual(['kept', '', '']);
		expect(await dump(store)).not.toMatch(/-secret/);
		api.close();
	});

	it('a sensitiveParams list of the app\'s own adds to the defaults, never replaces them: neither its names nor access_token are stored', async () => {
		const { api, store } = setup({ sensitiveParams: ['session'] });
		await api.get('json?id=secret-own&session=ses-444-secret&access_token=tok-555-secret').json();
		await until(async () => (await api.cache.list()).length === 1);
		expect((await api.cache.list())[0]!.url).toBe(`${server.url}/json?id=secret-own&session=&access_token=`);
		const error = await api.post('mutate?id=secret-own-post&fail=503&token=tok-666-secret').catch((error_: unknown) => error_);
		expect(classify(error).code).toBe('HTTP_5XX'); // sent as with outbox: false
		expect(await api.outbox.size()).toBe(0);
		expect(await dump(store)).not.toMatch(/ses-444|tok-555|tok-666/);
		api.close();
	});
});

describe('time from outside, bounded', () => {
	it('a 503 with an absurd Retry-After queues a readable entry, due no later than its retention ends', async () => {
		const { api, clock } = setup({ outbox: outbox({ retentionMs: 86_400_000 }) });
		const error = await api.post('mutate?id=absurd&fail=503&retryAfter=99999999999999999999').catch((error_: unknown) => error_);
		expect(classify(error).code).toBe('QUEUED');
		const list = await api.outbox.list();
		expect(list).toHaveLength(1);
		expect(await api.outbox.size()).toBe(1);
		expect(list[0]!.nextAttemptAt).toBeLessThanOrEqual(clock.now() + 86_400_000);
		expect(list[0]).toMatchObject({ method: 'POST', url: `${server.url}/mutate?id=absurd&fail=503&retryAfter=99999999999999999999` });
		api.close();
	});

	it('replays refused without I/O (open breaker) do not count toward maxAttempts', async () => {
		window = fakeWindow();
		const { api, clock } = setup({ breaker: { consecutiveFailures: 1, openMs: 60_000, maxOpenMs: 60_000 }, outbox: outbox({ maxAttempts: 3, baseBackoffMs: 1000 }) });
		await api.post('mutate?id=no-io&fail=503').catch(() => undefined); // Opens the breaker; attempts 1.
		for (let flush = 0; flush < 27; flush++) {
			clock.advance(1_000);
			await api.outbox.flush();
		}

		expect(await api.outbox.deadLetters()).toEqual([]);
		expect((await api.outbox.list())[0]).toMatchObject({ attempts: 1, lastError: { code: 'CIRCUIT_OPEN' } });
		api.close();
	});
});
