/**
 * The fourteenth hunt's coalescing case ("another failure on the new PUT's key") over a store whose reads answer later
 * (an extra async step, a macrotask, a few ms). The fortieth hunt found its count (one PUT listed) holds only for reads
 * that answer within a microtask or two: a slower read lets the pass that v2's queuing started claim v2 before v3 is
 * queued, and a claimed entry is never superseded (`Queue.supersede`, API.md): both PUTs stay, sent in order. What must
 * hold at any speed is checked here: told "queued", nothing lost at a reload, v3 the last PUT the origin gets, nothing left.
 */
import { describe, expect, it } from 'vitest';
import { createClient, OutboxQueuedError, outbox, type KeyValueStore } from '../../src/entries/index.js';
import { refusingStore } from './outbox-store-kit.js';

let made = 0;

/** `refusingStore` whose every `get` answers after `delayMs` (a macrotask at 0). */
const slowReads = (refused: string[], refuse: () => Error | undefined, delayMs: number) => {
	const made_ = refusingStore(`h40-slow-${++made}`, refused, refuse);
	const get = made_.store.get.bind(made_.store);
	const store: KeyValueStore = { ...made_.store, get: async <T>(key: string) => {
		if (delayMs >= 0) {
			await new Promise((resume) => setTimeout(resume, delayMs));
		}

		return get<T>(key);
	} };
	return { ...made_, store };
};

const onStore = (store: KeyValueStore, more: Parameters<typeof outbox>[0] = {}) => {
	const state = { status: 0, sent: [] as string[] };
	const fetch = (async (request: Request) => {
		state.sent.push(`${request.method} ${new URL(request.url).pathname} ${await request.text()}`);
		if (!state.status) {
			throw new TypeError('fetch failed');
		}

		return new Response('{"id":1}', { status: state.status, headers: { 'content-type': 'application/json' } });
	}) as typeof globalThis.fetch;
	const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: 'h40-slow', outbox: outbox(more) });
	return { api, state };
};

const urls = async (entries: Promise<Array<{ url: string }>>): Promise<string[]> => (await entries).map((entry) => new URL(entry.url).pathname);

describe('coalesce over a store whose reads answer later: another failure on the new PUT\'s key', () => {
	it.each([-1, 0, 5])('reads after %i ms (-1: one async step more): told "queued", the latest stored PUT kept at a reload, v3 the last PUT sent, nothing left', async (delayMs) => {
		let refuse = false;
		const { store, keys } = slowReads(['p|'], () => refuse ? new Error('disk I/O error') : undefined, delayMs);
		const { api } = onStore(store, { coalesce: true });
		await expect(api.put('todos/1', { json: { v: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		await expect(api.put('todos/1', { json: { v: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		refuse = true;
		await expect(api.put('todos/1', { json: { v: 3 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect(new Set(await urls(api.outbox.list()))).toEqual(new Set(['/todos/1']));
		expect((await keys('p|')).length).toBeGreaterThanOrEqual(1);
		const reload = onStore(store);
		expect(new Set(await urls(reload.api.outbox.list()))).toEqual(new Set(['/todos/1']));
		reload.api.close();
		refuse = false;
		await expect(api.post('other', { json: { b: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		api.close();
		const later = onStore(store);
		later.state.status = 200;
		await later.api.outbox.flush();
		const puts = later.state.sent.filter((line) => line.startsWith('PUT'));
		expect([puts.at(-1), puts.includes('PUT /todos/1 {"v":1}'), await later.api.outbox.list(), await keys('p|')]).toEqual(['PUT /todos/1 {"v":3}', false, [], []]);
		later.api.close();
	});
});
