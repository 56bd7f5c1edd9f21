/**
 * Secrets kept out of storage, events and keys, given in the variants the trust tests do not cover
 * (defect hunt, fourth round, area I).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { classify, createClient, memoryStore, type Client, outbox, type OutboxPolicy } from '../../src/entries/index.js';
import { auth } from '../../src/entries/auth.js';
import { redact } from '../../src/utils/sensitive.js';
import { dumpStore as dump } from '../helpers/dump-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { createHandler, createState } from '../helpers/server-handler.js';
import { fakeWindow, until } from './outbox-helpers.js';

let server: RunningServer;
const handler = createHandler(createState());
beforeAll(async () => {
	server = await serve(handler);
});
afterAll(async () => server.close());

let names = 0;
const setup = (options: Parameters<typeof createClient>[0] = {}) => {
	const store = memoryStore('secrets');
	const events: unknown[] = [];
	const api = createClient({
		baseUrl: server.url + '/', clock: new ManualClock(), store: () => store, name: `secrets-${names++}`, retry: 0, breaker: false,
		staleCache: { shared: false }, outbox: outbox({ baseBackoffMs: 1000 }), ...options,
	}) as Client<{ outbox: OutboxPolicy }>;
	api.on('*', (event) => events.push(event));
	return { api, store, events };
};

describe('a secret in the URL\'s fragment (an OAuth implicit grant\'s #access_token=…)', () => {
	it('never reaches a stored copy, its key, cache.list() or an event', async () => {
		const { api, store, events } = setup();
		await api.get('json?id=fragment#access_token=frag-1-secret&state=kept').json();
		await api.get('json?id=fragment-only#token=frag-2-secret').json();
		await until(async () => (await api.cache.list()).length === 2);
		// Keyed as fetch sends the URL: without its fragment (defect hunt, fifth round).
		expect((await api.cache.list()).map(({ url }) => url).sort()).toEqual([`${server.url}/json?id=fragment`, `${server.url}/json?id=fragment-only`]);
		expect(await dump(store)).not.toMatch(/frag-\d/);
		expect(JSON.stringify(events)).not.toMatch(/frag-\d/);
		api.close();
	});

	it('a write is sent as with outbox: false, never queued with it', async () => {
		const { api, store } = setup();
		const error = await api.post('mutate?id=fragment-post&fail=503#access_token=frag-3-secret', { json: {} }).catch((error_: unknown) => error_);
		expect(classify(error).code).toBe('HTTP_5XX');
		expect(await api.outbox.size()).toBe(0);
		expect(await dump(store)).not.toMatch(/frag-3/);
		api.close();
	});

	it('redact() removes its values, in a hash route\'s query too; the rest byte for byte', () => {
		const params = new Set(['access_token', 'token']);
		expect(redact('https://a.test/cb#access_token=s1&token_type=bearer', params)).toBe('https://a.test/cb#access_token=&token_type=bearer');
		expect(redact('https://a.test/#/callback?access_token=s2&x=1', params)).toBe('https://a.test/#/callback?access_token=&x=1');
		expect(redact('https://a.test/p?a=1#%61ccess_token=s3', params)).toBe('https://a.test/p?a=1#%61ccess_token=');
		expect(redact('https://a.test/p?a=1#section-2', params)).toBe('https://a.test/p?a=1#section-2');
	});
});

describe('messages from other tabs that are malformed', () => {
	it('the outbox\'s pending notes (steadfetch:<name>:pending): each ignored and reported as storage:error, without its content', async () => {
		const window = fakeWindow(); // tabs: the channel opens
		const { api } = setup();
		const errors: unknown[] = [];
		api.on('storage:error', (event) => errors.push(event));
		const other = new BroadcastChannel(`steadfetch:secrets-${names - 1}:pending`);
		try {
			await api.outbox.size(); // started
			const bad = [null, 'x', { v: 1, op: '+', id: 7, url: 'u' }, { v: 1, op: '-', id: null }, { v: 1, op: '+', id: 'a'.repeat(129), url: 'u' }, { v: 1, op: '+', id: 'a' }, { v: 1, op: '+', id: 'a', url: 'u', who: 5 }];
			for (const data of bad) {
				other.postMessage(data);
			}

			await vi.waitFor(() => expect(errors).toHaveLength(bad.length), { timeout: 5000, interval: 10 });
			expect(errors.map((event) => { const { part, operation, error } = event as { part: string; operation: string; error: Error }; return `${part} ${operation} ${error.name}`; })).toEqual(Array(bad.length).fill('outbox channel TypeError'));
			expect(JSON.stringify(errors)).not.toContain('aaaa');
		} finally {
			other.close();
			api.close();
			window.restore();
		}
	}, 15_000);

	it('auth\'s word that another tab refreshed (steadfetch:<name>/auth <origins>): only its own message counts (a waiter skips its refresh for it); anything else is ignored and reported', async () => {
		let token = 'old';
		const name = `secrets-auth-${names++}`;
		const api = createClient({
			name, retry: 0, breaker: false, staleCache: false,
			auth: auth({ origins: ['https://api.test'], token: () => token, refresh: async () => { token = 'new'; } }),
			fetch: (async (request: Request) => new Response('', { status: request.headers.get('authorization') === 'Bearer new' ? 200 : 401 })) as typeof fetch,
		});
		const seen: string[] = [];
		api.on('auth:refresh', ({ shared }) => seen.push(shared ? 'shared refresh' : 'own refresh'));
		api.on('storage:error', ({ part, operation }) => seen.push(`${part} ${operation}`));
		const other = new BroadcastChannel(`steadfetch:${name}/auth https://api.test/`);
		try {
			for (const bad of [null, 'x', { current: 'yes' }, 2]) {
				other.postMessage(bad);
			}

			other.postMessage(1); // The word a tab posts (never the token): messages of one sender arrive in order.
			await vi.waitFor(() => expect(seen).toContain('shared refresh'), { timeout: 5000, interval: 10 });
			expect(seen).toEqual([...Array(4).fill('auth channel'), 'shared refresh']);
		} finally {
			other.close();
			api.close();
		}

	}, 15_000);

	it('the world\'s notes and delivered writes (steadfetch:<name>:world): a malformed message is ignored and reported as storage:error, without its content (defect hunt, eighth round)', async () => {
		const window = fakeWindow(); // tabs: the channel opens
		const name = `secrets-world-${names++}`;
		const api = createClient({ name, retry: 0, breaker: false, staleCache: false, fetch: (async () => new Response('ok')) as typeof fetch });
		const seen: string[] = [];
		api.on('storage:error', (event) => {
			const { part, operation, error } = event as { part: string; operation: string; error: Error };
			seen.push(`${part} ${operation} ${error.name}`);
		});
		api.on('write:delivered', ({ url }) => seen.push(`delivered ${url}`));
		const other = new BroadcastChannel(`steadfetch:${name}:world`);
		try {
			const bad = [null, 'x', { v: 1, note: 7 }, { v: 1, note: 'bad note!' }, { v: 1, write: ['PUT', 'ftp://a.test/x'] }, { v: 1, write: ['PUT aaaa', 'https://a.test/x'] }];
			for (const data of bad) {
				other.postMessage(data);
			}

			other.postMessage({ v: 1, write: ['PUT', 'https://a.test/x'] }); // As a tab posts it: messages of one sender arrive in order.
			await vi.waitFor(() => expect(seen).toContain('delivered https://a.test/x'), { timeout: 5000, interval: 10 });
			// Before: only the delivered write (each malformed message ignored silently).
			expect(seen).toEqual([...Array(bad.length).fill('world channel TypeError'), 'delivered https://a.test/x']);
			expect(JSON.stringify(seen)).not.toContain('aaaa');
		} finally {
			other.close();
			api.close();
			window.restore();
		}
	}, 15_000);
});
