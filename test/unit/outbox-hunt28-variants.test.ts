/**
 * Defect hunt, twenty-eighth round (outbox at scale): the store work of a dependent write (`outbox.ref()`) stays flat as
 * its parent gains dependents (API.md "Writes that depend on earlier writes"; the standard: a write's cost stays flat as
 * the outbox grows to 10,000), records of the previous format (a parent naming its dependents) still drain, and the
 * neighbours: a parent that becomes a dead letter or is discarded, `clear()` during a chain's replay.
 */
import { describe, expect, it } from 'vitest';
import { memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { gate, harnessEachTest, queued, spyStore, until } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

/** The size of a stored value as written: its JSON text, an ArrayBuffer's bytes (a body) counted by length. */
const sizeOf = (value: unknown): number => JSON.stringify(value, (_, item: unknown) => item instanceof ArrayBuffer ? item.byteLength : item)?.length ?? 0;

/** A memory store that counts what is written to it: characters (`sizeOf`) and writes. */
const countingStore = (): { store: KeyValueStore; written: { chars: number; sets: number } } => {
	const inner = memoryStore('hunt28');
	const written = { chars: 0, sets: 0 };
	const store: KeyValueStore = {
		get: async (key) => inner.get(key),
		set: async (key, value) => {
			written.chars += sizeOf(value);
			written.sets++;
			return inner.set(key, value);
		},
		delete: async (key) => inner.delete(key),
		clear: async () => inner.clear(),
		keys: async () => inner.keys(),
		span: async (prefix: string) => inner.span!(prefix),
	};
	return { store, written };
};

describe('dependents of one parent at scale (lead 1)', () => {
	it('the characters written per dependent write at the last fifth of 500 dependents of one parent are at most 1.5x the first fifth\'s; the parent\'s record does not grow', async () => {
		const count = 500;
		const { store, written } = countingStore();
		const api = h.make({ store: () => store, outbox: { maxEntries: 5000 } });
		win.setOnline(false);
		const parent = await queued(api.post('mutate?id=parent', { json: { n: 'parent' } }));
		const key = (await store.keys()).find((each) => each.includes(`|${parent}|`))!;
		const id = api.outbox.ref(parent, '/id');
		const marks: Array<{ chars: number; sets: number }> = [];
		for (let n = 0; n < count; n++) {
			if (n % (count / 5) === 0) {
				marks.push({ ...written });
			}

			await queued(api.patch(`mutate?id=child&of=${id}`, { json: { n } }));
		}

		marks.push({ ...written });
		const perWrite = (fifth: number) => (marks[fifth + 1]!.chars - marks[fifth]!.chars) / (count / 5);
		// Failing first: 18,701.5 characters per write at the last fifth against 3,106.8 at the first (the parent's record
		// written again with every dependent's id before it).
		expect(perWrite(4)).toBeLessThanOrEqual(1.5 * perWrite(0));
		expect(sizeOf(await store.get(key))).toBeLessThan(2_000);
		expect(await api.outbox.size()).toBe(count + 1);
	}, 60_000);
});

/** The links of dependents the store holds (`l|…`). */
const links = async (): Promise<string[]> => (await h.store.keys()).filter((key) => key.startsWith('l|'));

/** The store as the previous format left it: no link key. */
const dropLinks = async (): Promise<void> => {
	for (const key of await links()) {
		await h.store.delete(key);
	}
};

/** The record of pending entry `id` as stored. */
const recordOf = async (id: string): Promise<[string, Record<string, unknown>]> => {
	const key = (await h.store.keys()).find((each) => each.startsWith('p|') && each.split('|')[3] === id)!;
	return [key, await h.store.get(key) as Record<string, unknown>];
};

/**
 * A parent queued offline and a dependent of it (`of` its answer's `/key` in the JSON body), as this build stores them
 * (`format: 'links'`) or as the previous format did (`'legacy'`: the parent's record names its dependents, no link key),
 * then a client made anew on the store (a reload).
 */
const chain = async (format: 'links' | 'legacy', parentUrl = 'mutate?id=parent', childUrl = 'mutate?id=child') => {
	win.setOnline(false);
	const first = h.make();
	const parent = await queued(first.post(parentUrl, { json: { n: 'parent' } }));
	const child = await queued(first.patch(childUrl, { json: { of: first.outbox.ref(parent, '/key') } }));
	first.close();
	if (format === 'legacy') {
		await dropLinks();

		const [key, record] = await recordOf(parent);
		await h.store.set(key, { ...record, dependents: [child] });
	}

	expect(await links()).toHaveLength(format === 'links' ? 1 : 0);
	return { api: h.make(), parent, child };
};

describe('records of the previous format (a parent naming its dependents) and link keys drain alike (lead 1)', () => {
	for (const format of ['links', 'legacy'] as const) {
		it(`${format}: discard(parent) makes the dependent a 'parent' dead letter at once, never sent; no link left after a pass`, async () => {
			const { api, parent, child } = await chain(format);
			await api.outbox.discard(parent);
			expect((await api.outbox.deadLetters()).map(({ id, deadReason }) => [id, deadReason])).toEqual([[child, 'parent']]);
			win.setOnline(true, false);
			await api.outbox.flush();
			expect(h.sentOf('child')).toHaveLength(0);
			expect(await links()).toEqual([]);
		});

		it(`${format}: a parent that becomes a dead letter takes its dependent with it; retry(parent) brings both back and both are delivered, the value in place`, async () => {
			const { api, parent, child } = await chain(format, 'mutate?id=parent&fail=422&times=1');
			win.setOnline(true, false);
			expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 2 });
			expect((await api.outbox.deadLetters()).map(({ id, deadReason }) => [id, deadReason])).toEqual([[parent, 'rejected'], [child, 'parent']]);
			await api.outbox.retry(parent);
			expect((await api.outbox.list()).map(({ id }) => id)).toEqual([parent, child]);
			expect(await api.outbox.flush()).toMatchObject({ sent: 2, dead: 0 });
			const [delivered] = h.state.applied.get('parent')!;
			expect(JSON.parse(h.state.applied.get('child')![0]!.body)).toEqual({ of: delivered!.key });
		});

		it(`${format}: the kept values of a delivered parent stay past 24 h while its dependent is pending, then the dependent goes with the value`, async () => {
			const { api, parent, child } = await chain(format, 'mutate?id=parent', 'mutate?id=child&fail=503&times=2');
			win.setOnline(true, false);
			expect(await api.outbox.flush()).toMatchObject({ sent: 1, failed: 1 });
			if (format === 'legacy') {
				// As the previous format kept them: the dependents with the values, no link key.
				api.close();
				await dropLinks();

				const values = await h.store.get(`v|${parent}`) as Record<string, unknown>;
				await h.store.set(`v|${parent}`, { ...values, dependents: [child] });
			}

			const again = format === 'legacy' ? h.make() : api;
			h.clock.advance(25 * 3_600_000);
			expect(await again.outbox.flush()).toMatchObject({ sent: 0, failed: 1 });
			expect(await h.store.get(`v|${parent}`)).toBeDefined();
			expect(await again.outbox.flush()).toMatchObject({ sent: 1, dead: 0 });
			const [delivered] = h.state.applied.get('parent')!;
			expect(JSON.parse(h.state.applied.get('child')![0]!.body)).toEqual({ of: delivered!.key });
		});
	}
});

describe('a FormData dependent: its text fields take the value, its files go byte-identical (lead 2, API.md "Files")', () => {
	it('a file part holding the same placeholder as a text field is sent as it was given; the text field gets the value', async () => {
		win.setOnline(false);
		const api = h.make();
		const parent = await queued(api.post('mutate?id=parent', { json: { n: 'parent' } }));
		const ref = api.outbox.ref(parent, '/key');
		const file = `a file that mentions ${ref} in its bytes\n`;
		const form = new FormData();
		form.append('note', `see ${ref}`);
		form.append('upload', new File([file], 'notes.txt', { type: 'text/plain' }));
		await queued(api.post('mutate?id=upload', { body: form }));
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 2, dead: 0 });
		const [delivered] = h.state.applied.get('parent')!;
		const [sent] = h.state.applied.get('upload')!;
		const received = await new Response(sent!.body, { headers: { 'content-type': sent!.type! } }).formData();
		expect(received.get('note')).toBe(`see ${delivered!.key}`);
		// Failing first: the file's text had the value in place of the placeholder (`a file that mentions <key> in its bytes`).
		expect(await (received.get('upload') as File).text()).toBe(file);
	});
});

describe('a readable stored record with fields this build does not know (lead 3, distrust of storage)', () => {
	it('a 5,000,000-character unknown field is not written back with each attempt; small unknown fields are kept', async () => {
		win.setOnline(false);
		const first = h.make();
		const id = await queued(first.post('mutate?id=junk&fail=503', { json: { n: 1 } }));
		first.close();
		const [key, record] = await recordOf(id);
		await h.store.set(key, { ...record, junk: 'x'.repeat(5_000_000), later: { a: 1 } });
		let largest = 0;
		const api = h.make({ store: () => spyStore(h.store, {
			set: async (at, value, run) => {
				largest = Math.max(largest, at.startsWith('p|') || at.startsWith('d|') ? sizeOf(value) : 0);
				return run();
			},
		}) });
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ failed: 1 });
		// Failing first: 5,000,483 characters written back by the attempt's update.
		expect(largest).toBeGreaterThan(0);
		expect(largest).toBeLessThan(10_000);
		const [, stored] = await recordOf(id);
		expect([stored['junk'], stored['later'], stored['attempts']]).toEqual([undefined, { a: 1 }, (record['attempts'] as number) + 1]);
	});
});

describe('neighbours: clear() during a chain\'s replay, a dead parent with many dependents', () => {
	it('clear() while the parent\'s replay is in flight: its answer keeps no value, the dependent is never sent, no key of the chain is left', async () => {
		const held = gate();
		const out = { parent: false };
		const api = h.make({ fetch: async (input: Parameters<typeof fetch>[0]) => {
			const request = input as Request;
			if (!navigator.onLine) {
				throw new TypeError('Failed to fetch');
			}

			if (request.url.includes('id=parent')) {
				out.parent = true;
				await held.wait;
			}

			return fetch(request);
		} });
		win.setOnline(false);
		const parent = await queued(api.post(`${h.api.url}/mutate?id=parent`, { json: { n: 'parent' } }));
		await queued(api.patch(`${h.api.url}/mutate?id=child`, { json: { of: api.outbox.ref(parent, '/key') } }));
		expect(await links()).toHaveLength(1);
		win.setOnline(true, false);
		const flushed = api.outbox.flush();
		await until(() => out.parent);
		await api.clear();
		held.open();
		await flushed;
		await api.outbox.flush();
		expect([await api.outbox.size(), (await api.outbox.deadLetters()).length, h.state.applied.get('child')]).toEqual([0, 0, undefined]);
		expect((await h.store.keys()).filter((key) => /^[pdvl]\|/.test(key))).toEqual([]);
	});

	it('a store without span(): discard(parent) in another client than the one that queued the dependent still finds it (a listing)', async () => {
		const { parent, child } = await chain('links');
		const api = h.make({ store: () => spyStore(h.store, {}) });
		await api.outbox.discard(parent);
		expect((await api.outbox.deadLetters()).map(({ id, deadReason }) => [id, deadReason])).toEqual([[child, 'parent']]);
	});

	it('a chain delivered, 24 h later: its kept values and its link keys are gone from the store', async () => {
		const { api, parent } = await chain('links');
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 2 });
		expect([await h.store.get(`v|${parent}`) !== undefined, (await links()).length]).toEqual([true, 1]);
		h.clock.advance(25 * 3_600_000);
		await api.post('mutate?id=later', { json: {} }).catch(() => undefined);
		await api.outbox.flush();
		expect((await h.store.keys()).filter((key) => /^[pdvl]\|/.test(key))).toEqual([]);
	});

	it('a parent with 300 dependents becomes a dead letter: every dependent is a \'parent\' dead letter at once, none sent', async () => {
		win.setOnline(false);
		const api = h.make({ outbox: { maxEntries: 1000 } });
		const parent = await queued(api.post('mutate?id=parent&fail=422', { json: { n: 'parent' } }));
		const ref = api.outbox.ref(parent, '/key');
		for (let n = 0; n < 300; n++) {
			await queued(api.post(`mutate?id=child&n=${n}`, { json: { of: ref } }));
		}

		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 301, remaining: 0 });
		const dead = await api.outbox.deadLetters();
		expect([dead.length, dead.filter((entry) => entry.deadReason === 'parent').length, h.state.applied.get('child')]).toEqual([301, 300, undefined]);
	}, 60_000);
});
