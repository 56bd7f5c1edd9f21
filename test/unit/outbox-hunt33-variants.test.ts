/**
 * Defect hunt, thirty-third round (the outbox): what a call holding a placeholder (`outbox.ref()`) of an entry that is
 * no longer pending is told (API.md "Offline writes for real apps": an entry unknown — never queued, discarded, its value
 * no longer kept — or already a dead letter makes the call an `InvalidRequestError` before any I/O); a stale answer's
 * `pending-writes` with more than 10,000 writes pending (API.md "Read your own writes").
 */
import { describe, expect, it } from 'vitest';
import { createClient, InvalidRequestError, memoryStore, outbox } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { harnessEachTest, queued, spyStore } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

/** The failure of a PATCH holding a placeholder of `parent`'s `/key`, made through `api` (offline: no I/O either way). */
const useOf = async (api: ReturnType<typeof h.make>, placeholder: string): Promise<unknown> =>
	api.patch(`mutate?id=child&of=${placeholder}`, { json: { of: placeholder } }).then(() => 'sent', (error: unknown) => error);

describe('a placeholder of an entry another tab removed: the error says what became of it, never "delivered"', () => {
	it.each([
		['discard(id)', async (other: ReturnType<typeof h.make>, parent: string) => other.outbox.discard(parent)],
		['outbox.clear()', async (other: ReturnType<typeof h.make>) => other.outbox.clear()],
		['client.clear()', async (other: ReturnType<typeof h.make>) => other.clear()],
	])('%s in another tab: InvalidRequestError naming a discarded or cleared entry, nothing stored or sent', async (_, remove) => {
		const mine = h.make();
		const other = h.make();
		win.setOnline(false, false);
		const parent = await queued(mine.post('mutate?id=parent', { json: { n: 1 } }));
		const placeholder = mine.outbox.ref(parent, '/key');
		await remove(other, parent);
		const caught = await useOf(mine, placeholder);
		expect(caught).toBeInstanceOf(InvalidRequestError);
		// Before: 'outbox.ref(): entry <id> was delivered before this write was queued, and its value at /key is not kept'.
		expect((caught as Error).message).not.toMatch(/delivered/);
		expect((caught as Error).message).toMatch(/discarded or cleared/);
		expect(await mine.outbox.size()).toBe(0);
		expect(h.sentOf('child')).toEqual([]);
	});

	it('discard(id) in another tab of its own (its own store object, as a tab of another page): the same message', async () => {
		const mine = h.make();
		const tab = spyStore(h.store, {});
		const other = h.make({ store: () => tab });
		win.setOnline(false, false);
		const parent = await queued(mine.post('mutate?id=parent', { json: { n: 1 } }));
		const placeholder = mine.outbox.ref(parent, '/key');
		await other.outbox.discard(parent);
		const caught = await useOf(mine, placeholder);
		expect(caught).toBeInstanceOf(InvalidRequestError);
		expect((caught as Error).message).toMatch(/discarded or cleared/);
		expect(await mine.outbox.size()).toBe(0);
	});

	it('a dead letter in another tab (its replay answered 422): InvalidRequestError saying it is a dead letter', async () => {
		const mine = h.make();
		const other = h.make();
		win.setOnline(false, false);
		const parent = await queued(mine.post('mutate?id=parent&fail=422', { json: { n: 1 } }));
		const placeholder = mine.outbox.ref(parent, '/key');
		win.setOnline(true, false);
		expect(await other.outbox.flush()).toMatchObject({ dead: 1 });
		win.setOnline(false, false);
		const caught = await useOf(mine, placeholder);
		expect(caught).toBeInstanceOf(InvalidRequestError);
		// Before: '… was delivered before this write was queued …' (a 422 is no delivery).
		expect((caught as Error).message).toMatch(/is a dead letter/);
		expect(await mine.outbox.size()).toBe(0);
		expect(h.sentOf('child')).toEqual([]);
	});

	it('a dead letter in this tab: the same message', async () => {
		const mine = h.make();
		win.setOnline(false, false);
		const parent = await queued(mine.post('mutate?id=parent&fail=422', { json: { n: 1 } }));
		const placeholder = mine.outbox.ref(parent, '/key');
		win.setOnline(true, false);
		expect(await mine.outbox.flush()).toMatchObject({ dead: 1 });
		const caught = await useOf(mine, placeholder);
		expect(caught).toBeInstanceOf(InvalidRequestError);
		expect((caught as Error).message).toMatch(/is a dead letter/);
	});

	it('a parent delivered whose answer holds no value at the pointer: told it was delivered, the value not kept', async () => {
		const mine = h.make();
		win.setOnline(false, false);
		const parent = await queued(mine.post('mutate?id=parent', { json: { n: 1 } }));
		mine.outbox.ref(parent, '/key');
		win.setOnline(true, false);
		expect(await mine.outbox.flush()).toMatchObject({ sent: 1 });
		const caught = await useOf(mine, mine.outbox.ref(parent, '/nothing/here'));
		expect(caught).toBeInstanceOf(InvalidRequestError);
		expect((caught as Error).message).toMatch(/was delivered; its value at \/nothing\/here is not kept/);
	});
});

describe('pending-writes at any queue length the outbox allows (maxEntries above 10,000)', () => {
	it('10,001 writes pending (maxEntries 20,000): the oldest one\'s URL still says pending-writes=1 after a reload counted them', async () => {
		const name = 'h33-pending-10001';
		const store = memoryStore(name);
		const state = { down: false };
		const fetch = (async (request: Request) => {
			if (state.down) {
				throw new TypeError('fetch failed');
			}

			return new Response('{"id":7}', { status: request.method === 'GET' ? 200 : 201, headers: { 'content-type': 'application/json', 'cache-control': 'max-age=0' } });
		}) as typeof globalThis.fetch;
		const clock = new ManualClock();
		const make = () => createClient({ fetch, clock, random: () => 0.5, prefix: 'https://a.example/', retry: 0, breaker: false, store: () => store, name, outbox: outbox({ maxEntries: 20_000, resumeJitterMs: 0 }) });
		const status = async (client: ReturnType<typeof make>, path: string): Promise<string> => (await client.get(path)).headers.get('cache-status') ?? '';
		const page = make();
		await (await page.get('todos/1')).text();
		await (await page.get('todos/2')).text();
		state.down = true;
		await queued(page.patch('todos/1', { json: { done: true } }));
		expect(await status(page, 'todos/1')).toMatch(/; pending-writes=1$/);
		// 10,000 more writes to todos/2 queued after it (planted as this build stores them), then a reload counts them all.
		const [key] = (await store.keys()).filter((each) => each.startsWith('p|'));
		const record = (await store.get<Record<string, unknown>>(key!))!;
		const [, at, , , scope] = key!.split('|');
		for (let n = 1; n <= 10_000; n++) {
			const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
			await store.set(`p|${String(Number(at) + 1).padStart(15, '0')}|${String(n).padStart(6, '0')}|${id}|${scope}`, { ...record, id, url: 'https://a.example/todos/2', idempotencyKey: `planted-${n}` });
		}

		page.close();
		const reloaded = make();
		await waitFor(async () => (await status(reloaded, 'todos/2')).endsWith('; pending-writes=10000'), 'the reload counted the writes to todos/2', 60_000);
		// Before: 'steadfetch; hit; ttl=0; detail=network' (no pending-writes: the oldest write forgotten past 10,000 known).
		expect(await status(reloaded, 'todos/1')).toMatch(/; pending-writes=1$/);
		expect(await reloaded.outbox.size()).toBe(10_001);
		reloaded.close();
	}, 120_000);
});
