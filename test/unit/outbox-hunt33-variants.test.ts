/**
 * Defect hunt, thirty-third round (the outbox): what a call holding a placeholder (`outbox.ref()`) of an entry that is
 * no longer pending is told (API.md "Offline writes for real apps": an entry unknown — never queued, discarded, its value
 * no longer kept — or already a dead letter makes the call an `InvalidRequestError` before any I/O).
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/entries/index.js';
import { harnessEachTest, queued } from './outbox-helpers.js';

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
