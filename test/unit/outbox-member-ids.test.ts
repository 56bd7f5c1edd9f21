/**
 * `outbox.discard(id)` and `outbox.retry(id)` given what is not an id — the entry itself, as `list()` and
 * `deadLetters()` give it, or nothing. API.md "Bad input gets a clear, typed error before any I/O": an
 * `InvalidRequestError`, nothing removed or revived (before: `discard(entry)` resolved and removed nothing,
 * so an app's "discard all" loop left every entry in place; `retry(entry)` said there was no dead letter).
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, createClient, memoryStore, outbox } from '../../src/entries/index.js';

describe('outbox members refuse what is not an entry id', () => {
	it.each([['the entry itself', 'entry'], ['nothing', undefined], ['a number', 1]] as const)('given %s: discard and retry reject with InvalidRequestError, the entry and the dead letter stay', async (_, given) => {
		let status = 0; // 0: the network is down; else the server's answer.
		const api = createClient({
			fetch: async () => {
				if (status === 0) {
					throw new TypeError('fetch failed');
				}

				return new Response('{}', { status, headers: { 'content-type': 'application/json' } });
			},
			baseUrl: 'http://api.test/',
			store: memoryStore,
			name: `outbox-member-ids-${Math.random()}`,
			retry: { limit: 0 },
			outbox: outbox({ queuedResponse: 'error' }),
		});
		// One dead letter (a 400 at replay), then one pending entry.
		await expect(api.post('dead', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		status = 400;
		await api.outbox.flush();
		status = 0;
		await expect(api.post('pending', { json: { b: 2 } })).rejects.toMatchObject({ code: 'QUEUED' });
		const [entry] = await api.outbox.list();
		const [dead] = await api.outbox.deadLetters();
		expect([entry?.url, dead?.url]).toEqual(['http://api.test/pending', 'http://api.test/dead']);

		const value = (of: unknown): string => (given === 'entry' ? of : given) as string;
		await expect(api.outbox.discard(value(entry))).rejects.toThrow(InvalidRequestError);
		await expect(api.outbox.discard(value(dead))).rejects.toThrow(InvalidRequestError);
		await expect(api.outbox.retry(value(dead))).rejects.toThrow(InvalidRequestError);
		expect((await api.outbox.list()).map(({ id }) => id)).toEqual([entry!.id]);
		expect((await api.outbox.deadLetters()).map(({ id }) => id)).toEqual([dead!.id]);

		// Given the ids, they work.
		await api.outbox.discard(entry!.id);
		await api.outbox.discard(dead!.id);
		expect(await api.outbox.size()).toBe(0);
		api.close();
	});
});
