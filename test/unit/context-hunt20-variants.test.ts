/**
 * Closed clients (defect hunt, twentieth round): once a client is closed — the isolate's by `close()`, or a
 * request's by `withContext(ctx).close()` — what its members would send, store or remove (`outbox.flush`,
 * `retry`, `discard`, `clear`, `breaker.isolate` / `reset`, `cache.delete` / `clear`, `clear()`) rejects
 * `CLIENT_CLOSED` before any I/O, as its calls and `waitForHealthy` do; the listings still answer. A closed
 * request's client never touches the shared client nor another request's. A fake `fetch` answers at once: no timing.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';

const fresh = () => ({ waitUntil: () => undefined });
const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);
const origin = 'https://api.test';

/** A client of `store` whose fetch fails while `down.now` (a network error: writes are queued), and notes each request sent. */
const make = (store: KeyValueStore, sent: string[], down = { now: false }) => createClient({
	name: 'hunt20', store: () => store, clock: new ManualClock(), random: () => 0.5, retry: 0,
	outbox: outbox(),
	fetch: (async (request: Request) => {
		sent.push(`${request.method} ${new URL(request.url).pathname}`);
		if (down.now) {
			throw new TypeError('Failed to fetch');
		}

		return new Response('ok');
	}) as typeof fetch,
});

/** Each member that acts, of `client`, as its outcome's code; each called once, a promise given back at once (never a throw). */
const acting = async (client: ReturnType<typeof make>, entryId: string): Promise<Record<string, string>> => {
	const members = {
		flush: () => client.outbox.flush(),
		retry: () => client.outbox.retry(entryId),
		discard: () => client.outbox.discard(entryId),
		outboxClear: () => client.outbox.clear(),
		isolate: () => client.breaker.isolate(origin),
		reset: () => client.breaker.reset(origin),
		cacheDelete: () => client.cache.delete(`${origin}/r`),
		cacheClear: () => client.cache.clear(),
		clear: () => client.clear(),
	};
	const codes: Record<string, string> = {};
	for (const [name, member] of Object.entries(members)) {
		codes[name] = await code(member());
	}

	return codes;
};

const refused = { flush: 'CLIENT_CLOSED', retry: 'CLIENT_CLOSED', discard: 'CLIENT_CLOSED', outboxClear: 'CLIENT_CLOSED', isolate: 'CLIENT_CLOSED', reset: 'CLIENT_CLOSED', cacheDelete: 'CLIENT_CLOSED', cacheClear: 'CLIENT_CLOSED', clear: 'CLIENT_CLOSED' };

/** A write queued through `client` (the network down), its entry's id. */
const queue = async (client: ReturnType<typeof make>, down: { now: boolean }, path = '/w'): Promise<string> => {
	down.now = true;
	const entryId = await client.put(`${origin}${path}`, { json: { v: 1 } }).then(() => '', (error: { entryId?: string }) => error.entryId ?? String(error));
	down.now = false;
	return entryId;
};

describe('withContext(ctx).close(): that request\'s members no longer act', () => {
	it('its outbox, breaker, cache and clear() reject CLIENT_CLOSED before any I/O: the queued write stays, the scope closed, the stored read kept', async () => {
		const sent: string[] = [];
		const down = { now: false };
		const api = make(memoryStore('hunt20-a'), sent, down);
		expect(await code(api.get(`${origin}/r`))).toBe('OK');
		const here = api.withContext(fresh());
		const entryId = await queue(here, down);
		here.close();
		sent.length = 0;
		// Before: flush sent the queued PUT in a request that had ended, isolate opened the isolate's scope, clear() wiped every record.
		expect(await acting(here, entryId)).toEqual(refused);
		expect([sent, api.breaker(origin).state, (await api.outbox.list()).map(({ id }) => id), (await api.cache.list()).map(({ url }) => url)]).toEqual([[], 'closed', [entryId], [`${origin}/r`]]);
		// The listings of the closed one still answer.
		expect([await here.outbox.size(), (await here.cache.list()).length, here.breaker(origin).state]).toEqual([1, 1, 'closed']);
		api.close();
	});

	it('the isolate\'s client and another request\'s still act (the members were never the shared ones)', async () => {
		const sent: string[] = [];
		const down = { now: false };
		const api = make(memoryStore('hunt20-b'), sent, down);
		const here = api.withContext(fresh());
		const other = api.withContext(fresh());
		const entryId = await queue(api, down);
		here.close();
		sent.length = 0;
		expect(await code(other.breaker.isolate(origin))).toBe('OK');
		expect(api.breaker(origin).state).toBe('open');
		expect(await code(api.breaker.reset(origin))).toBe('OK');
		expect(await other.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect([sent, await api.outbox.size(), await code(api.cache.clear()), await code(other.clear())]).toEqual([['PUT /w'], 0, 'OK', 'OK']);
		expect(entryId).toBeTypeOf('string');
		api.close();
	});

	it('the client its extend() made, closed with it, refuses as well', async () => {
		const sent: string[] = [];
		const down = { now: false };
		const api = make(memoryStore('hunt20-c'), sent, down);
		const here = api.withContext(fresh());
		const extended = here.extend({ headers: { 'x-a': '1' } });
		const entryId = await queue(extended, down);
		here.close();
		sent.length = 0;
		expect(await acting(extended, entryId)).toEqual(refused);
		expect([sent, await api.outbox.size()]).toEqual([[], 1]);
		api.close();
	});
});

describe('close(): the client\'s members no longer act', () => {
	it('its outbox, breaker, cache and clear() reject CLIENT_CLOSED, nothing stored nor removed: a reloaded client finds it all', async () => {
		const sent: string[] = [];
		const down = { now: false };
		const store = memoryStore('hunt20-d');
		const api = make(store, sent, down);
		expect(await code(api.get(`${origin}/r`))).toBe('OK');
		const entryId = await queue(api, down);
		api.close();
		sent.length = 0;
		// Before: every one resolved (flush with sent 0), the kill switch stored for the next client, the store wiped.
		expect(await acting(api, entryId)).toEqual(refused);
		expect([await api.outbox.size(), (await api.cache.list()).length, api.breaker(origin).state]).toEqual([1, 1, 'closed']);
		const reloaded = make(store, sent, down);
		await reloaded.waitForHealthy(origin, { timeoutMs: 0 }).catch(() => undefined);
		expect([sent, reloaded.breaker(origin).state, (await reloaded.outbox.list()).map(({ id }) => id), (await reloaded.cache.list()).length]).toEqual([[], 'closed', [entryId], 1]);
		reloaded.close();
	});
});
