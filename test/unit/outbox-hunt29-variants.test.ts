/**
 * Defect hunt, twenty-ninth round (the outbox at scale, with files and dependent writes): tabs of the previous record
 * format (a `dependents` list) sharing a store with this build's (link keys), a parent with more than 10,000 dependents,
 * a dependent's multipart body replayed byte for byte (API.md "Files", "Writes that depend on earlier writes"), and the
 * neighbours: `clear()`/`discard()` during a chain's replay, an identity change during a drain, a write's storage
 * operations with 10,000 entries queued.
 */
import { describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../../src/entries/index.js';
import { countingStore, gate, harnessEachTest, queued, throwIfOffline, until } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

const day = 86_400_000;

/** The ids of the entries `store` holds, pending or dead (`p|…|<id>|…`, `d|…`). */
const storedIds = async (store: KeyValueStore): Promise<Set<string>> => new Set((await store.keys()).flatMap((key) => /^[pd]\|/.test(key) ? [key.split('|')[3]!] : []));

/**
 * What a tab of the previous build does with kept values after its pass (its `prune`, as it was before link keys): the
 * values of a parent delivered 24 h ago or more go unless an entry its `dependents` list names is still stored.
 */
const olderTabPrunes = async (store: KeyValueStore, now: number): Promise<void> => {
	const stored = await storedIds(store);
	for (const key of (await store.keys()).filter((each) => each.startsWith('v|'))) {
		const kept = await store.get(key) as { at: number; dependents?: string[] };
		if (Math.abs(now - kept.at) >= day && !(kept.dependents ?? []).some((id) => stored.has(id))) {
			await store.delete(key);
		}
	}
};

describe('an older tab (a dependents list) and this build (link keys) share a store (lead 1)', () => {
	it('a parent delivered here, its dependent still failing 25 h later: an older tab\'s prune keeps the value, the dependent is delivered with it', async () => {
		win.setOnline(false);
		const api = h.make();
		const parent = await queued(api.post('mutate?id=parent', { json: { n: 'parent' } }));
		const child = await queued(api.patch('mutate?id=child&fail=503&times=1', { json: { of: api.outbox.ref(parent, '/key') } }));
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, failed: 1 });
		h.clock.advance(25 * 3_600_000);
		await olderTabPrunes(h.store, h.clock.now());
		// Failing first: the values were gone (the older tab read no dependent with them): flush() { sent: 0, dead: 1 }, the
		// dependent a 'parent' dead letter.
		expect(await h.store.get(`v|${parent}`)).toBeDefined();
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, dead: 0 });
		expect(await api.outbox.deadLetters()).toEqual([]);
		const [delivered] = h.state.applied.get('parent')!;
		expect(JSON.parse(h.state.applied.get('child')![0]!.body)).toEqual({ of: delivered!.key });
		expect(await storedIds(h.store)).not.toContain(child);
	});

	it('a parent an older tab delivered (its values name no dependent of this build): pruned there after 24 h, the dependent ends a visible \'parent\' dead letter, never sent with its placeholder', async () => {
		win.setOnline(false);
		const api = h.make();
		const parent = await queued(api.post('mutate?id=parent', { json: { n: 'parent' } }));
		const child = await queued(api.patch('mutate?id=child&fail=503&times=1', { json: { of: api.outbox.ref(parent, '/key') } }));
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, failed: 1 });
		// As the older tab's delivery wrote them: the dependents its record named (none: this build's dependent is a link key).
		const values = await h.store.get(`v|${parent}`) as Record<string, unknown>;
		await h.store.set(`v|${parent}`, { ...values, dependents: [] });
		h.clock.advance(25 * 3_600_000);
		await olderTabPrunes(h.store, h.clock.now());
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 1 });
		expect((await api.outbox.deadLetters()).map(({ id, deadReason }) => [id, deadReason])).toEqual([[child, 'parent']]);
		expect(h.sentOf('child')).toHaveLength(1); // Its first attempt only.
		expect(h.seen.filter((request) => `${request.url} ${request.body}`.includes('steadfetch-ref-'))).toEqual([]);
	});

	it('a dependent queued after its parent was delivered (stored with the value in place): an older tab\'s prune 25 h later does not make it a dead letter', async () => {
		win.setOnline(false);
		const api = h.make();
		const parent = await queued(api.post('mutate?id=parent', { json: { n: 'parent' } }));
		const ref = api.outbox.ref(parent, '/key');
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
		// Its attempt goes out with the value and fails: queued as it was sent.
		const child = await queued(api.patch('mutate?id=child&fail=503&times=1', { json: { of: ref } }));
		const [delivered] = h.state.applied.get('parent')!;
		expect(JSON.parse(h.sentOf('child')[0]!.body)).toEqual({ of: delivered!.key });
		h.clock.advance(25 * 3_600_000);
		await olderTabPrunes(h.store, h.clock.now());
		// Failing first: flush() { sent: 0, dead: 1 }, the dependent a 'parent' dead letter (its value already in its body).
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, dead: 0 });
		expect(JSON.parse(h.state.applied.get('child')![0]!.body)).toEqual({ of: delivered!.key });
		expect(await storedIds(h.store)).not.toContain(child);
	});
});

/** The key and record of the entry `id` as stored (pending or dead). */
const recordOf = async (id: string): Promise<[string, Record<string, unknown>]> => {
	const key = (await h.store.keys()).find((each) => /^[pd]\|/.test(each) && each.split('|')[3] === id)!;
	return [key, await h.store.get(key) as Record<string, unknown>];
};

/** A text backwards (the ids of a link key, `l|<parent>|<dependent>`). */
const turned = (text: string): string => [...text].reverse().join('');

/**
 * `count` more copies of pending entry `id` planted in the store as this build writes them (each a new id, Idempotency-Key
 * and place in the scope's order; with `parent`, its link key too): an outbox at scale in milliseconds.
 */
const plant = async (id: string, count: number, parent?: string): Promise<string[]> => {
	const [key, record] = await recordOf(id);
	const parts = key.split('|');
	const ids: string[] = [];
	for (let n = 1; n <= count; n++) {
		const copy = `${id.slice(0, -8)}${n.toString(16).padStart(8, '0')}`;
		ids.push(copy);
		await h.store.set([parts[0], parts[1], String(Number(parts[2]) + n).padStart(6, '0'), copy, parts[4]].join('|'), { ...record, id: copy, idempotencyKey: `${record['idempotencyKey'] as string}-${n}` });
		await (parent && h.store.set(`l|${turned(parent)}|${turned(copy)}`, 1));
	}

	return ids;
};

describe('a parent with more than 10,000 dependents (lead 2)', () => {
	it('discard(parent) with 10,001 dependents: every one a \'parent\' dead letter at once, none sent, the store listed a few times, not per dependent', async () => {
		win.setOnline(false);
		const first = h.make({ outbox: { maxEntries: 20_000 } });
		const parent = await queued(first.post('mutate?id=parent', { json: { n: 'parent' } }));
		const child = await queued(first.post('mutate?id=child', { json: { of: first.outbox.ref(parent, '/key') } }));
		first.close();
		await plant(child, 10_000, parent);
		const { store, ops } = countingStore(h.store);
		const api = h.make({ store: () => store, outbox: { maxEntries: 20_000 } });
		expect(await api.outbox.size()).toBe(10_002);
		const listed = ops.keys;
		await api.outbox.discard(parent);
		// Failing first: 10,000 dead letters; the 10,001st (past `maxListed` of the parent's links) stayed pending.
		const dead = await api.outbox.deadLetters();
		expect([dead.length, dead.filter((entry) => entry.deadReason === 'parent').length, await api.outbox.size()]).toEqual([10_001, 10_001, 0]);
		expect(ops.keys - listed).toBeLessThanOrEqual(4);
		win.setOnline(true, false);
		await api.outbox.flush();
		expect(h.sentOf('child')).toEqual([]);
	}, 120_000);
});

/** What left a client made with `capturing()`: each write's URL, Content-Type, Idempotency-Key and body bytes. */
const capturing = (): { sent: Array<{ url: string; type: string; key: string; bytes: Uint8Array<ArrayBuffer> }>; fetch: typeof fetch } => {
	const sent: Array<{ url: string; type: string; key: string; bytes: Uint8Array<ArrayBuffer> }> = [];
	return {
		sent,
		fetch: async (input, init) => {
			throwIfOffline();
			const request = input as Request;
			sent.push({ url: request.url, type: request.headers.get('content-type') ?? '', key: request.headers.get('idempotency-key') ?? '', bytes: new Uint8Array(await request.clone().arrayBuffer()) });
			return fetch(request, init);
		},
	};
};

/** Bytes no UTF-8 decoder gives back as they are (a JPEG's start, a lone continuation byte, CR LF). */
const photo = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x80, 0x00, 0x0d, 0x0a, 0xc3]);
/** Bytes read a byte a character. */
const latin1 = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

describe('a dependent\'s multipart body, byte for byte (lead 3, API.md "Files")', () => {
	it('its replay is byte-identical to its first attempt, boundary included, with the same Idempotency-Key: the stored bytes with only the text field\'s placeholder replaced', async () => {
		const wire = capturing();
		win.setOnline(false);
		const api = h.make({ fetch: wire.fetch });
		const parent = await queued(api.post('mutate?id=parent', { json: { n: 'parent' } }));
		const ref = api.outbox.ref(parent, '/key');
		const form = new FormData();
		form.append('note', `see ${ref}`);
		form.append('upload', new File([photo, ` and ${ref} in a file\r\n\r\n`, photo], 'p.jpg', { type: 'image/jpeg' }));
		const child = await queued(api.post('mutate?id=upload&fail=503&times=1', { body: form }));
		const [, record] = await recordOf(child);
		const stored = latin1(new Uint8Array(record['body'] as ArrayBuffer));
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, failed: 1 });
		h.clock.advance(60_000);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
		const attempts = wire.sent.filter((each) => each.url.includes('id=upload'));
		expect(attempts).toHaveLength(2);
		const [first, replay] = attempts as [typeof attempts[0], typeof attempts[0]];
		expect([replay.type, replay.key]).toEqual([first.type, first.key]);
		expect(replay.bytes).toEqual(first.bytes);
		const [delivered] = h.state.applied.get('parent')!;
		// Exactly the stored bytes, the text field's placeholder (and only it) replaced: the file part's bytes as they were given.
		expect(latin1(first.bytes)).toBe(stored.replace(`see ${ref}`, `see ${delivered!.key}`));
		expect(first.type).toBe((record['headers'] as Record<string, string>)['content-type']);
		expect(latin1(first.bytes).split(ref)).toHaveLength(2); // The file's own mention stays.
	});

	it('a text field whose name holds "; filename=" is a text field: its placeholder is replaced, never sent as written', async () => {
		const wire = capturing();
		win.setOnline(false);
		const api = h.make({ fetch: wire.fetch });
		const parent = await queued(api.post('mutate?id=parent', { json: { n: 'parent' } }));
		const ref = api.outbox.ref(parent, '/key');
		const form = new FormData();
		form.append('caption; filename=x.txt', `see ${ref}`);
		form.append('upload', new File([photo], 'p.jpg', { type: 'image/jpeg' }));
		await queued(api.post('mutate?id=upload', { body: form }));
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 2, dead: 0 });
		const [delivered] = h.state.applied.get('parent')!;
		const [sent] = wire.sent.filter((each) => each.url.includes('id=upload'));
		const received = await new Response(sent!.bytes, { headers: { 'content-type': sent!.type } }).formData();
		// Failing first: the field was sent as written ('see steadfetch-ref-…'): its head read as a file part's.
		expect(received.get('caption; filename=x.txt')).toBe(`see ${delivered!.key}`);
		expect(new Uint8Array(await (received.get('upload') as File).arrayBuffer())).toEqual(photo);
	});
});

describe('neighbours: a write\'s storage operations with 10,000 entries queued', () => {
	it('a write queued behind 10,000 entries (another tab\'s, found by one listing) costs the storage operations of one behind 100', async () => {
		const perWrite = async (queuedBefore: number): Promise<Array<Record<string, number>>> => {
			win.setOnline(false);
			const first = h.make({ outbox: { maxEntries: 20_000 } });
			const seed = await queued(first.post('mutate?id=seed', { json: { n: 0 } }));
			first.close();
			await plant(seed, queuedBefore - 1);
			const { store, ops } = countingStore(h.store);
			const api = h.make({ store: () => store, outbox: { maxEntries: 20_000 } });
			expect(await api.outbox.size()).toBe(queuedBefore);
			// Its start's drain (a page's: a reload's, which replays the head, queued before it) done first: not a write's cost.
			await api.outbox.flush();
			// This client's first writes (the first reads what it waits behind), each counted on its own.
			const spent: Array<Record<string, number>> = [];
			for (let n = 1; n <= 5; n++) {
				const before = { ...ops };
				await queued(api.post(`mutate?id=w${n}`, { json: { n } }));
				spent.push(Object.fromEntries(Object.entries(ops).map(([kind, count]) => [kind, count - before[kind as keyof typeof ops]])));
			}

			api.close();
			await h.store.clear();
			return spent;
		};

		const small = await perWrite(100);
		const large = await perWrite(10_000);
		expect(large).toEqual(small);
		expect(large.every((write) => write['keys'] === 0 && write['get']! <= 1)).toBe(true); // No listing, at most a read (the span aside).
	}, 120_000);
});

describe('neighbours: a chain whose parent is discarded or dead', () => {
	it('discard(parent) while its replay is in flight: its answer keeps no value, the dependent is a \'parent\' dead letter, never sent', async () => {
		const held = gate();
		const out = { parent: false };
		const api = h.make({ fetch: async (input: Parameters<typeof fetch>[0]) => {
			throwIfOffline();
			const request = input as Request;
			if (request.url.includes('id=parent')) {
				out.parent = true;
				await held.wait;
			}

			return fetch(request);
		} });
		win.setOnline(false);
		const parent = await queued(api.post(`${h.api.url}/mutate?id=parent`, { json: { n: 'parent' } }));
		const child = await queued(api.patch(`${h.api.url}/mutate?id=child`, { json: { of: api.outbox.ref(parent, '/key') } }));
		win.setOnline(true, false);
		const flushed = api.outbox.flush();
		await until(() => out.parent);
		await api.outbox.discard(parent);
		held.open();
		await flushed;
		await api.outbox.flush();
		expect((await api.outbox.deadLetters()).map(({ id, deadReason }) => [id, deadReason])).toEqual([[child, 'parent']]);
		expect([await api.outbox.size(), h.state.applied.get('child'), await h.store.get(`v|${parent}`)]).toEqual([0, undefined, undefined]);
	});

	it('retry(dependent) alone while its parent is a dead letter: never sent with its placeholder, a \'parent\' dead letter again', async () => {
		win.setOnline(false);
		const api = h.make();
		const parent = await queued(api.post('mutate?id=parent&fail=422', { json: { n: 'parent' } }));
		const child = await queued(api.patch('mutate?id=child', { json: { of: api.outbox.ref(parent, '/key') } }));
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 2 });
		await api.outbox.retry(child).catch(() => undefined);
		await api.outbox.flush();
		expect((await api.outbox.deadLetters()).map(({ id, deadReason }) => [id, deadReason])).toEqual([[parent, 'rejected'], [child, 'parent']]);
		expect([await api.outbox.size(), h.sentOf('child')]).toEqual([0, []]);
	});
});

describe('neighbours: an identity change during a drain', () => {
	it('alice\'s chain: bob signs in while its parent\'s replay is in flight — the dependent is never sent with bob\'s token, and goes with alice\'s once she is back', async () => {
		const who = { name: 'alice' };
		const held = gate();
		const out = { parent: false };
		const api = h.make({
			identity: () => who.name,
			hooks: { beforeRequest: [({ request }) => request.headers.set('x-user', who.name)] },
			fetch: async (input: Parameters<typeof fetch>[0]) => {
				throwIfOffline();
				const request = input as Request;
				h.seen.push({ method: request.method, url: request.url, headers: { 'x-user': request.headers.get('x-user') ?? '' }, body: '' });
				if (request.url.includes('id=parent') && !out.parent) {
					out.parent = true;
					await held.wait;
				}

				return fetch(request);
			},
		});
		win.setOnline(false);
		const parent = await queued(api.post(`${h.api.url}/mutate?id=parent`, { json: { n: 'parent' } }));
		await queued(api.patch(`${h.api.url}/mutate?id=child`, { json: { of: api.outbox.ref(parent, '/key') } }));
		win.setOnline(true, false);
		const flushed = api.outbox.flush();
		await until(() => out.parent);
		who.name = 'bob';
		held.open();
		await flushed;
		await api.outbox.flush();
		expect(h.sentOf('child').map((request) => request.headers['x-user'])).toEqual([]);
		who.name = 'alice';
		await api.outbox.flush();
		expect(h.sentOf('child').map((request) => request.headers['x-user'])).toEqual(['alice']);
		expect(h.seen.filter((request) => request.headers['x-user'] === 'bob')).toEqual([]);
		const [delivered] = h.state.applied.get('parent')!;
		expect(JSON.parse(h.state.applied.get('child')![0]!.body)).toEqual({ of: delivered!.key });
	});
});

describe('neighbours: clear() and discard() while a dependent\'s own replay is in flight', () => {
	const chainHeldAtChild = () => {
		const held = gate();
		const out = { child: 0 };
		const api = h.make({ fetch: async (input: Parameters<typeof fetch>[0]) => {
			throwIfOffline();
			const request = input as Request;
			if (request.url.includes('id=child') && ++out.child === 1) {
				// Held as a slow network holds it: ended by the request's signal, as fetch is.
				await Promise.race([held.wait, new Promise((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason as Error)))]);
			}

			return fetch(request);
		} });
		return { api, held, out };
	};

	for (const removal of ['clear', 'discard'] as const) {
		it(`${removal}() while the dependent's replay is in flight (its parent delivered): nothing of it is written back or sent again, and 24 h on no key of the chain is left`, async () => {
			const { api, held, out } = chainHeldAtChild();
			win.setOnline(false);
			const parent = await queued(api.post(`${h.api.url}/mutate?id=parent`, { json: { n: 'parent' } }));
			const child = await queued(api.patch(`${h.api.url}/mutate?id=child&fail=503`, { json: { of: api.outbox.ref(parent, '/key') } }));
			win.setOnline(true, false);
			const flushed = api.outbox.flush();
			await until(() => out.child === 1);
			await (removal === 'clear' ? api.clear() : api.outbox.discard(child));
			held.open();
			await flushed;
			h.clock.advance(60_000);
			await api.outbox.flush();
			expect([await api.outbox.size(), (await api.outbox.deadLetters()).length]).toEqual([0, 0]);
			expect(out.child).toBe(1);
			// A clear takes the values and links too; a discard leaves them to the values' 24 h.
			expect((await h.store.keys()).filter((key) => /^[pd]\|/.test(key) || (removal === 'clear' && /^[vl]\|/.test(key)))).toEqual([]);
			h.clock.advance(25 * 3_600_000);
			await api.outbox.flush();
			expect((await h.store.keys()).filter((key) => /^[pdvl]\|/.test(key))).toEqual([]);
		});
	}
});
