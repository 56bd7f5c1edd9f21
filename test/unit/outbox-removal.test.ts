/**
 * Clears and discards that hold for the outbox (API.md "Identity", issue 33): `clear` given anything
 * but nothing or `{ identity: string }` removes nothing; the outbox's `clear()` and `discard(id)`
 * resolve only when the store confirmed every removal; and once they resolve, nothing they removed
 * comes back — not through a drain's write-back (a failed replay, a rebase, a migration), not
 * through `retry(id)` — and no removed entry is sent. Runs with and without Web Locks (workerd has
 * none: the drain's lock is then the client's own).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { InvalidRequestError } from '../../src/entries/index.js';
import { gate, type Harness, spyStore, throwIfOffline, until, withoutLocks, harnessEachTest, queueOffline, holdingRecordReads } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

/** Queue a write while the device is offline (its own attempt, the scope's one in 10 s, fails): returns its entry as listed. */
/** A transport that holds the first request whose URL has `marker` at a gate until the test opens it. */
const gatedFetch = (marker: string) => {
	const held = gate();
	let at = false;
	const fetchAt = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
		throwIfOffline();
		if ((input as Request).url.includes(marker) && !at) {
			at = true;
			await held.wait;
		}

		return fetch(input, init);
	};
	return { fetch: fetchAt, open: held.open, reached: () => at };
};

describe('client.clear takes nothing or { identity: string }', () => {
	it.each([
		['a string', 'alice'], ['null', null], ['a number', 5], ['{ identity: 5 }', { identity: 5 }], ["{ identity: '' }", { identity: '' }],
		['{ who }', { who: 'x' }], ['{ identity: undefined }', { identity: undefined }], ['{}', {}], ['an array', ['alice']],
		['{ identity, more }', { identity: 'alice', all: true }],
	])('%s: InvalidRequestError, and nothing is removed', async (_name, given) => {
		let who = 'alice';
		const api = h.make({ identity: () => who, outbox: true });
		await queueOffline(win, api, async () => api.post('mutate?id=clear-arg-a'));
		who = 'bob';
		await queueOffline(win, api, async () => api.post('mutate?id=clear-arg-b'));
		await expect(api.clear(given as never)).rejects.toBeInstanceOf(InvalidRequestError); // before: resolved, both gone
		expect(await api.outbox.size()).toBe(2);
		await api.clear({ identity: 'alice' });
		expect((await api.outbox.list()).map(({ url }) => url)).toEqual([`${h.api.url}/mutate?id=clear-arg-b`]);
	});
});

describe('clear() and discard() resolve only when the store confirmed every removal', () => {
	const refusing = (what: 'delete' | 'keys' | 'get') => spyStore(h.store, {
		delete: async (_key, run) => (what === 'delete' ? Promise.reject(new Error('delete refused')) : run()),
		keys: async (run) => (what === 'keys' && refuse ? Promise.reject(new Error('keys refused')) : run()),
		get: async (_key, run) => (what === 'get' && refuse ? Promise.reject(new Error('get refused')) : run()),
	});
	let refuse = false;
	afterEach(() => {
		refuse = false;
	});

	it.each(['delete', 'keys'] as const)('a store that refuses %s: clear() rejects; the entry is still stored', async (what) => {
		const store = refusing(what);
		const api = h.make({ outbox: true, store: () => store });
		await queueOffline(win, api, async () => api.post('mutate?id=clear-refused'));
		refuse = true;
		await expect(api.clear()).rejects.toThrow(/refused/);
		expect((await h.store.keys()).filter((key) => key.startsWith('p|'))).toHaveLength(1);
	});

	it('clear({ identity }) rejects when it cannot read a record to tell whose it is', async () => {
		const store = refusing('get');
		const api = h.make({ identity: () => 'alice', outbox: true, store: () => store });
		await queueOffline(win, api, async () => api.post('mutate?id=clear-unread'));
		refuse = true;
		await expect(api.clear({ identity: 'alice' })).rejects.toThrow();
		refuse = false;
		expect(await api.outbox.size()).toBe(1);
	});

	it('a store that refuses the delete: discard(id) rejects', async () => {
		const store = refusing('delete');
		const api = h.make({ outbox: true, store: () => store });
		const entry = await queueOffline(win, api, async () => api.post('mutate?id=discard-refused'));
		await expect(api.outbox.discard(entry.id)).rejects.toThrow(/refused/); // before: resolved
		expect((await h.store.keys()).filter((key) => key.startsWith('p|'))).toHaveLength(1);
	});
});

describe.each([['with Web Locks', false], ['without Web Locks (as workerd)', true]] as const)('nothing removed comes back or is sent (%s)', (_name, noLocks) => {
	const run = async (task: () => Promise<void>) => (noLocks ? withoutLocks(task) : task());

	it('discard(id) during a replay in flight: its failure writes nothing back, and nothing is sent again', async () => run(async () => {
		const transport = gatedFetch('discard-flight');
		const api = h.make({ outbox: true, fetch: transport.fetch });
		const entry = await queueOffline(win, api, async () => api.post('mutate?id=discard-flight&fail=503'));
		const flushing = api.outbox.flush();
		await until(transport.reached);
		await api.outbox.discard(entry.id);
		transport.open(); // the replay meets a 503
		await flushing;
		expect(await api.outbox.list()).toEqual([]); // before: written back
		expect(await api.outbox.deadLetters()).toEqual([]);
		await api.outbox.flush();
		expect(h.state.hits.get('discard-flight mutate-attempts')).toBe(1); // before: 2, the cancelled write delivered
		expect(await h.store.keys()).toEqual([]);
	}));

	it.each([
		['extend()', (api: ReturnType<Harness['make']>) => api.extend({ headers: { 'x-request': '2' } })],
		['a second createClient of the name and store', () => h.make()],
	])('discard(id) or clear() through another client of the name (%s) during a replay in flight: its failure writes nothing back', async (_how, other) => run(async () => {
		type Api = ReturnType<Harness['make']>;
		// A clear through an `extend()`ed client ends the replay in flight, as one through the client itself does: it never reaches the origin.
		for (const [remove, ends] of [[async (api: Api, id: string) => other(api).outbox.discard(id), false], [async (api: Api) => other(api).clear(), _how === 'extend()']] as const) {
			const marker = `other-flight-${Math.random()}`;
			const transport = gatedFetch(marker);
			const api = h.make({ outbox: true, fetch: transport.fetch });
			const entry = await queueOffline(win, api, async () => api.post(`mutate?id=${marker}&fail=503`));
			const flushing = api.outbox.flush();
			await until(transport.reached);
			const removing = remove(api, entry.id);
			if (noLocks) {
				await removing; // With Web Locks a discard (or a second createClient's clear) waits for the drain's lock, which the replay holds.
			}

			transport.open(); // the replay meets a 503
			await flushing;
			await removing;
			expect(await api.outbox.list()).toEqual([]); // before (without Web Locks): written back
			await api.outbox.flush();
			expect(h.state.hits.get(`${marker} mutate-attempts`)).toBe(ends ? undefined : 1);
		}
	}));

	it('discard(id) while a replay waits for a bulkhead slot (below the outbox\'s check): the replay does not go out', async () => run(async () => {
		const transport = gatedFetch('bulkhead-busy');
		const api = h.make({ outbox: true, fetch: transport.fetch, bulkhead: bulkhead({ maxConcurrent: 1 }) });
		const entry = await queueOffline(win, api, async () => api.post('mutate?id=discard-bulkhead'));
		const busy = api.get('json?id=bulkhead-busy').catch(() => undefined); // holds the scope's one slot
		await until(transport.reached);
		const flushing = api.outbox.flush();
		await until(() => (api.stats()[h.api.url] as { bulkhead?: { queued: number } } | undefined)?.bulkhead?.queued === 1);
		await api.outbox.discard(entry.id);
		transport.open();
		await busy;
		expect(await flushing).toMatchObject({ sent: 0 });
		await api.outbox.flush();
		expect(h.state.hits.get('discard-bulkhead mutate-attempts')).toBeUndefined(); // before: the removed write went out once the slot was free
		expect(await api.outbox.list()).toEqual([]);
		expect(await api.outbox.deadLetters()).toEqual([]);
	}));

	it('discard(id) while the drain reads the record: the replay does not go out', async () => run(async () => {
		const { store, reading, resume, holdNextRead } = holdingRecordReads(h.store);
		const api = h.make({ outbox: true, store: () => store });
		const entry = await queueOffline(win, api, async () => api.post('mutate?id=discard-read'));
		holdNextRead();
		const flushing = api.outbox.flush();
		await reading.wait;
		await api.outbox.discard(entry.id);
		resume.open();
		expect(await flushing).toEqual({ sent: 0, failed: 0, dead: 0, remaining: 0 });
		expect(h.sentOf('discard-read')).toEqual([]); // before: sent after the discard resolved
		expect(await h.store.keys()).toEqual([]);
	}));

	it('discard(id) while onConflict decides: its rebase is not written, nothing is sent again', async () => run(async () => {
		const deciding = gate();
		const decide = gate();
		const api = h.make({
			outbox: { onConflict: async ({ response }) => {
				deciding.open();
				await decide.wait;
				return { body: 'rebased', headers: { 'if-match': response.headers.get('etag')! } };
			} },
		});
		const entry = await queueOffline(win, api, async () => api.put('doc?id=discard-rebase', { body: 'mine', headers: { 'If-Match': '"v0"' } }));
		const flushing = api.outbox.flush();
		await deciding.wait;
		await api.outbox.discard(entry.id);
		decide.open();
		await flushing;
		expect(await api.outbox.list()).toEqual([]);
		await api.outbox.flush();
		expect(h.sentOf('discard-rebase')).toHaveLength(1); // the replay that met the conflict, never the rebase
		expect(h.state.docs?.get('discard-rebase')?.writes).toEqual([]);
	}));

	it('clear() while migrate runs: it is not waited for, the migrated entry is not written back, nothing is sent', async () => run(async () => {
		const writer = h.make({ outbox: true });
		await queueOffline(win, writer, async () => writer.put('doc?id=clear-migrate', { body: 'v1' }));
		writer.close();
		const migrating = gate();
		const migrated = gate();
		win.setOnline(false, false); // no drain at start: the test starts it
		const api = h.make({
			outbox: { version: 2, migrate: async (entry) => {
				migrating.open();
				await migrated.wait;
				return entry;
			} },
		});
		win.setOnline(true, false);
		const flushing = api.outbox.flush();
		await migrating.wait;
		await api.clear(); // not waiting for migrate (before, with locks: waited for it)
		migrated.open();
		await flushing;
		expect(await api.outbox.list()).toEqual([]); // before, without locks: the migrated entry came back
		await api.outbox.flush();
		expect(h.sentOf('clear-migrate')).toEqual([]);
		expect(await h.store.keys()).toEqual([]);
	}));

	it('clear() while onConflict decides: it is not waited for, its rebase is not written, the entry is gone', async () => run(async () => {
		const deciding = gate();
		const decide = gate();
		let answered = false;
		const api = h.make({
			outbox: { onConflict: async ({ response }) => {
				deciding.open();
				await decide.wait;
				answered = true;
				return { body: 'rebased', headers: { 'if-match': response.headers.get('etag')! } };
			} },
		});
		await queueOffline(win, api, async () => api.put('doc?id=clear-rebase', { body: 'mine', headers: { 'If-Match': '"v0"' } }));
		const flushing = api.outbox.flush();
		await deciding.wait;
		await api.clear(); // before (with locks): waited for onConflict's 10 s limit
		await flushing;
		decide.open(); // onConflict answers after the clear
		await until(() => answered);
		expect(await api.outbox.list()).toEqual([]);
		await api.outbox.flush();
		expect(h.state.docs?.get('clear-rebase')?.writes).toEqual([]);
		expect(await h.store.keys()).toEqual([]);
	}));

	it('retry(id) racing discard(id): the dead letter is not revived', async () => run(async () => {
		const { store, reading, resume, holdNextRead } = holdingRecordReads(h.store, 'd|');
		const api = h.make({ outbox: true, store: () => store });
		const entry = await queueOffline(win, api, async () => api.post('status/400?id=retry-race'));
		await api.outbox.flush();
		expect(await api.outbox.deadLetters()).toHaveLength(1);
		holdNextRead();
		const retrying = api.outbox.retry(entry.id).catch((error: unknown) => error);
		await reading.wait;
		await api.outbox.discard(entry.id);
		resume.open();
		expect(await retrying).toMatchObject({ code: 'OUTBOX_NOT_FOUND' });
		expect(await api.outbox.list()).toEqual([]); // before: pending again, and sent
		expect(await api.outbox.deadLetters()).toEqual([]);
		await api.outbox.flush();
		expect(h.sentOf('retry-race')).toHaveLength(1);
	}));
});

describe('in a runtime that ends I/O with its request (workerd: no locks, a clear aborts nothing)', () => {
	it('clear() while a replay\'s hooks run: the attempt does not start, and the entry is gone', async () => withoutLocks(async () => {
		const hooking = gate();
		const hooked = gate();
		let hold = false;
		const api = h.make({
			outbox: true,
			hooks: { beforeRequest: [async () => {
				if (hold) {
					hold = false;
					hooking.open();
					await hooked.wait;
				}
			}] },
		});
		await queueOffline(win, api, async () => api.post('mutate?id=clear-hooks'));
		Object.defineProperty(navigator, 'userAgent', { value: 'Cloudflare-Workers', configurable: true });
		try {
			hold = true;
			const flushing = api.outbox.flush();
			await hooking.wait;
			await api.clear();
			hooked.open();
			await flushing;
			expect(h.sentOf('clear-hooks')).toEqual([]); // before: sent after the clear resolved
			expect(await h.store.keys()).toEqual([]);
		} finally {
			delete (navigator as { userAgent?: string }).userAgent;
		}
	}));
});
