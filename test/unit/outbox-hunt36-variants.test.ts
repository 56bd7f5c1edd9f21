/**
 * Defect hunt, thirty-sixth round (the outbox: stored records, placeholders, files): variants of defects already found.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';
import { queued } from './outbox-helpers.js';
import { ManualClock } from '../helpers/manual-clock.js';

/** A client on `store` whose writes never leave the device (offline): each is queued. */
const offlineClient = (name: string, store: KeyValueStore) => createClient({
	name, store: () => store, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/',
	fetch: async () => {
		throw new TypeError('Failed to fetch');
	},
	outbox: outbox({ baseBackoffMs: 600_000 }),
});

describe('a stored record\'s lastError holding a secret (planted, or written by an older build): never shown as it is', () => {
	it.each([
		['a URL\'s password', 'Failed: https://alice:hunter2@api.test/todos', 'hunter2'],
		['a sensitive query value', 'Failed: https://api.test/todos?access_token=abc123secret', 'abc123secret'],
	])('%s in lastError.message: list() and deadLetters() leave it out', async (_, message, secret) => {
		const name = `hunt36-last-error-${secret}`;
		const store = memoryStore(name);
		const api = offlineClient(name, store);
		try {
			await queued(api.post('todos', { json: { title: 'a' } }));
			await queued(api.post('todos', { json: { title: 'b' } }));
			const [pending, dead] = (await store.keys()).filter((key) => key.startsWith('p|'));
			const record = await store.get<Record<string, unknown>>(pending!);
			await store.set(pending!, { ...record, lastError: { code: 'NETWORK', message } });
			const other = await store.get<Record<string, unknown>>(dead!);
			await store.delete(dead!);
			await store.set(`d${dead!.slice(1)}`, { ...other, deadReason: 'rejected', lastError: { code: 'HTTP_ERROR', status: 422, message } });
			const reload = offlineClient(name, store);
			try {
				const shown = JSON.stringify([await reload.outbox.list(), await reload.outbox.deadLetters()]);
				// Before: the secret shown as it was stored.
				expect([shown.includes(secret), shown.includes('Failed:')]).toEqual([false, true]);
			} finally {
				reload.close();
			}
		} finally {
			api.close();
		}
	}, 30_000);
});

describe('a placeholder of outbox.ref() where it cannot be replaced: refused before any I/O, never sent as written', () => {
	const made = (name: string) => {
		const store = memoryStore(name);
		let offline = true;
		const sent: string[] = [];
		const fetch = async (given: string | URL | Request): Promise<Response> => {
			const input = given as Request;
			if (offline) {
				throw new TypeError('Failed to fetch');
			}

			sent.push(`${input.method} ${new URL(input.url).pathname} ${await input.clone().text()}`);
			return input.method === 'POST' && new URL(input.url).pathname === '/todos' ? Response.json({ id: 5 }, { status: 201 }) : new Response(null, { status: 204 });
		};

		const api = createClient({ name, store: () => store, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
		return { api, sent, online: () => { offline = false; } };
	};

	it.each([
		['a FormData file\'s name', (placeholder: string) => {
			const form = new FormData();
			form.append('photo', new File(['bytes'], `${placeholder}.txt`, { type: 'text/plain' }));
			return form;
		}],
		['a FormData file part\'s field name', (placeholder: string) => {
			const form = new FormData();
			form.append(`photo-${placeholder}`, new File(['bytes'], 'a.txt', { type: 'text/plain' }));
			return form;
		}],
	])('in %s, its entry pending: an InvalidRequestError, nothing queued or sent', async (_, bodyOf) => {
		const { api, sent, online } = made(`hunt36-file-ref-${bodyOf.length}-${Math.random()}`);
		try {
			const parent = await queued(api.post('todos', { json: { title: 'a' } }));
			const outcome = await api.post('uploads', { body: bodyOf(api.outbox.ref(parent, '/id')) }).then(() => 'sent', (error: { code?: string }) => error.code);
			online();
			await api.outbox.flush();
			// Before: 'QUEUED', and the upload replayed with the placeholder as written.
			expect([outcome, sent.map((line) => line.split(' ', 2).join(' '))]).toEqual(['INVALID_REQUEST', ['POST /todos']]);
		} finally {
			api.close();
		}
	}, 30_000);
});

describe('a placeholder of outbox.ref() in a Request input\'s body: refused before any I/O, never sent as written', () => {
	it('a JSON body of a Request holding it, its entry pending: an InvalidRequestError, nothing queued or sent', async () => {
		const name = 'hunt36-request-ref';
		const store = memoryStore(name);
		let offline = true;
		const sent: string[] = [];
		const fetch = async (given: string | URL | Request): Promise<Response> => {
			const input = given as Request;
			if (offline) {
				throw new TypeError('Failed to fetch');
			}

			sent.push(`${input.method} ${new URL(input.url).pathname}`);
			return input.method === 'POST' && new URL(input.url).pathname === '/todos' ? Response.json({ id: 5 }, { status: 201 }) : new Response(null, { status: 204 });
		};

		const api = createClient({ name, store: () => store, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
		try {
			const parent = await queued(api.post('todos', { json: { title: 'a' } }));
			const body = JSON.stringify({ parent: api.outbox.ref(parent, '/id') });
			const request = new Request('https://api.test/items', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
			const outcome = await api.post(request).then(() => 'sent', (error: { code?: string }) => error.code);
			offline = false;
			await api.outbox.flush();
			// Before: 'QUEUED', and ['POST /todos', 'POST /items'], the second with the placeholder as written.
			expect([outcome, sent, await api.outbox.size()]).toEqual(['INVALID_REQUEST', ['POST /todos'], 0]);
		} finally {
			api.close();
		}
	}, 30_000);
});

describe('a stored pending entry\'s nextAttemptAt past what the options allow: listed as the pass takes it', () => {
	it.each([
		['not pinned, past maxBackoffMs', { nextAttemptAt: 1e15 }],
		['pinned (a Retry-After), past retentionMs', { nextAttemptAt: 1e15, pinned: true }],
	])('%s: list() shows it due now, as a pass replays it', async (label, patch) => {
		const name = `hunt36-next-${label}`;
		const store = memoryStore(name);
		const clock = new ManualClock();
		const make = () => createClient({
			name, clock, store: () => store, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/',
			fetch: async () => {
				throw new TypeError('Failed to fetch');
			},
			outbox: outbox({ baseBackoffMs: 1000 }),
		});
		const api = make();
		try {
			await queued(api.post('todos', { json: { title: 'a' } }));
			const [key] = (await store.keys()).filter((each) => each.startsWith('p|'));
			await store.set(key!, { ...await store.get<Record<string, unknown>>(key!), ...patch });
			const reload = make();
			try {
				const [entry] = await reload.outbox.list();
				// Before: 1e15 (31,000 years ahead), where a pass replays it at once.
				expect(entry!.nextAttemptAt).toBe(clock.now());
			} finally {
				reload.close();
			}
		} finally {
			api.close();
		}
	}, 30_000);
});
