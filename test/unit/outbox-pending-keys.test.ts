import { describe, expect, it } from 'vitest';
import { PendingKeys } from '../../src/outbox/pending.js';
import { makeKey, type RecordKey } from '../../src/outbox/record.js';

/** A pending entry's key as the queue lists it; `reads` counts how often its id was looked at. */
const entryOf = (at: number, id: string, scope = 'https://api.example', reads?: { count: number }): RecordKey => {
	const key = makeKey('p', at, 0, id, scope);
	return reads
		? { key, dead: false, scope, get id() { reads.count++; return id; } }
		: { key, dead: false, id, scope };
};

describe('outbox PendingKeys: an entry found by its id', () => {
	it('costs the same at 10,000 pending entries as at one: no entry is looked at to find another (a write, a ref(), a dependent, the count after a reload)', () => {
		const reads = { count: 0 };
		const keys = new PendingKeys();
		keys.reset(Array.from({ length: 10_000 }, (_, index) => entryOf(index + 1, `id-${index}`, undefined, reads)));
		reads.count = 0;

		expect(keys.find('id-9999')?.key).toBe(makeKey('p', 10_000, 0, 'id-9999', 'https://api.example'));
		expect(keys.find('nope')).toBeUndefined();
		// A scan read each entry's id up to the one it looked for: 10,000 + 10,000 before.
		expect(reads.count).toBe(0);
	});

	it('finds what was added, not what was deleted, and the oldest key of an id that has two (a crash between a rewrite\'s writes) until both are gone', () => {
		const keys = new PendingKeys();
		const older = entryOf(1, 'twin');
		const newer = entryOf(5, 'twin');
		const other = entryOf(3, 'other');
		keys.reset([older, other, newer]);
		expect(keys.find('twin')).toBe(older);

		keys.delete(older);
		expect(keys.find('twin')).toBe(newer);
		keys.delete(newer);
		expect(keys.find('twin')).toBeUndefined();
		expect(keys.find('other')).toBe(other);

		// Added in either order: the oldest is found; deleting the newer keeps it.
		keys.add(newer);
		keys.add(older);
		expect(keys.find('twin')).toBe(older);
		keys.delete(newer);
		expect(keys.find('twin')).toBe(older);
		keys.delete(older);
		expect(keys.find('twin')).toBeUndefined();

		expect(keys.add(other)).toBe(false); // There already.
		keys.delete(other);
		keys.delete(other); // Not there: nothing changes.
		expect([keys.size, keys.find('other')]).toEqual([0, undefined]);
	});
});
