/**
 * Variants of API.md "Work that outlives its caller" and "Identity" (defect hunt, twelfth round).
 */
import { describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../../src/entries/index.js';
import { harnessEachTest, queueOffline, throwIfOffline, until, type FakeWindow, type Harness } from './outbox-helpers.js';

let h: Harness;
let win: FakeWindow;
harnessEachTest((started, fake) => {
	h = started;
	win = fake;
});

/** Another device edits the document: the server's version moves on (a replay with the old If-Match gets 412). */
const editElsewhere = async (id: string) => {
	const response = await fetch(`${h.api.url}/doc?id=${id}`, { method: 'PUT', body: 'theirs' });
	expect(response.status).toBe(200);
};

/** A transport whose answers to writes of `id` are held (arrived, not handed over) while `hold()` is in force. */
const heldAnswers = (id: string) => {
	let gate: Promise<void> | undefined;
	let open = (): void => {};
	let waiting = 0;
	const fetchHeld = (async (input: Request, init?: RequestInit) => {
		throwIfOffline();
		const response = await fetch(input, init);
		if (gate && input.url.includes(`id=${id}`) && input.method !== 'GET') {
			waiting++;
			await gate;
		}

		return response;
	}) as typeof globalThis.fetch;
	return {
		fetch: fetchHeld,
		holding: () => waiting > 0,
		hold() {
			gate = new Promise((resolve) => {
				open = resolve;
			});
		},
		release() {
			gate = undefined;
			open();
		},
	};
};

describe('a replay answered with a conflict (412) after its entry was discarded or cleared while it was in flight', () => {
	it.each(['discard', 'clear', 'clear of its identity', 'nothing (a clear of another identity)'] as const)('%s', async (how) => {
		const asked: OutboxEntry[] = [];
		const held = heldAnswers('c12');
		const api = h.make({ fetch: held.fetch, identity: () => 'alice', outbox: { onConflict: ({ entry }) => {
			asked.push(entry);
			return { json: { v: 'rebased' } };
		} } });
		const entry = await queueOffline(win, api, async () => api.put('doc?id=c12', { json: { v: 'mine' }, headers: { 'If-Match': '"v1"' } }));
		const events = h.record(api, 'outbox:conflict', 'outbox:dead', 'outbox:retry', 'outbox:discarded', 'outbox:queued', 'outbox:sent');
		await editElsewhere('c12');
		held.hold();
		const flushed = api.outbox.flush();
		await until(held.holding);
		// The discard or clear begins while the answer is on its way (a clear waits for the pass it stops).
		const removing = how === 'discard' ? api.outbox.discard(entry.id) : api.clear(how === 'clear' ? undefined : { identity: how === 'clear of its identity' ? 'alice' : 'bob' });
		held.release();
		await Promise.all([removing, flushed]);
		if (how.startsWith('nothing')) {
			// Still the app's: asked, told, and its rebased write replayed in its place.
			expect({ asked: asked.map(({ id }) => id), told: events.map(({ type }) => type) }).toEqual({ asked: [entry.id], told: ['outbox:conflict', 'outbox:sent'] });
			return;
		}

		// Not the app's any more: neither asked nor told, nothing written.
		// Before: `{ asked: [<the entry's id>], told: ['outbox:conflict'] }` — the app asked to resolve a write it had removed.
		expect({ asked: asked.map(({ id }) => id), told: events.map(({ type }) => type) }).toEqual({ asked: [], told: [] });
		expect(await api.outbox.list()).toEqual([]);
		expect(await api.outbox.deadLetters()).toEqual([]);
	});
});
