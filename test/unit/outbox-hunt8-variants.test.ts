/**
 * Eighth round's variants of work bound to who started it, and offline writes for real apps (API.md
 * "Identity", "Work that outlives its caller", "Offline writes for real apps").
 */
import { describe, expect, it } from 'vitest';
import { harnessEachTest, queued as queuedId } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

describe('a parent the app drops (onConflict \'discard\', migrate\'s null)', () => {
	it('onConflict \'discard\': its dependent behind a write that failed again is a \'parent\' dead letter after that flush, not listed pending', async () => {
		const api = h.make({ outbox: { onConflict: async () => 'discard' as const } });
		win.setOnline(false, false);
		const parent = await queuedId(api.post('status/412?id=drop-conflict', { json: {} }));
		await queuedId(api.post('status/503?id=drop-between', { json: {} }));
		const child = await queuedId(api.patch(`mutate?id=drop-blocked&of=${api.outbox.ref(parent, '/key')}`, { json: {} }));
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ failed: 1 });
		expect((await api.outbox.deadLetters()).map(({ id, deadReason }) => [id, deadReason])).toEqual([[child, 'parent']]);
		expect((await api.outbox.list()).map(({ url }) => url)).toEqual([`${h.api.url}/status/503?id=drop-between`]);
	});

	it('migrate\'s null: its dependent behind a write that failed again is a \'parent\' dead letter after that flush, not listed pending', async () => {
		const old = h.make({ name: 'drop-migrate' });
		win.setOnline(false, false);
		const parent = await queuedId(old.post('mutate?id=drop-migrated', { json: {} }));
		await queuedId(old.post('status/503?id=drop-migrate-between', { json: {} }));
		const child = await queuedId(old.patch(`mutate?id=drop-migrate-blocked&of=${old.outbox.ref(parent, '/key')}`, { json: {} }));
		old.close();
		const api = h.make({ name: 'drop-migrate', outbox: { version: 2, migrate: (entry) => entry.id === parent ? null : entry } });
		win.setOnline(true, false);
		await api.outbox.flush();
		expect((await api.outbox.deadLetters()).map(({ id, deadReason }) => [id, deadReason])).toEqual([[child, 'parent']]);
		expect((await api.outbox.list()).map(({ url }) => url)).toEqual([`${h.api.url}/status/503?id=drop-migrate-between`]);
	});
});
