/**
 * Defect hunt, forty-first round (bound): work stays bound to who started it (API.md "Work that outlives its caller",
 * "Identity", "Boundaries").
 *
 * - `dedupe()`: a call made before a logout (`client.clear()` of a cookie app, `clear({ identity })`) whose first attempt
 *   reached the dedupe layer only after it (held above it: an async `beforeRequest` hook, an async `token()`) joined the
 *   request of a call made after the logout and resolved with the next session's answer ('200' with its body), where
 *   without `dedupe()` the core refuses that attempt (`ABORTED`, no I/O: `Call.unbound`). A call whose attempt the
 *   transport would refuse now never joins: it goes down and is refused as it would be alone.
 * - outbox: a write sent again with the `Idempotency-Key` of a pending entry (a caller's retry of its own write) is told
 *   "queued" as that entry (`Queue.holding`). One whose entry was discarded while the outbox looked for it was told
 *   `OutboxQueuedError` with the discarded entry's id (`entryId` E, `list()` empty: an id `ref()` and `discard()` never
 *   find), as if the discard had not happened. The entry is now asked of the call's world after the look-up: discarded or
 *   cleared meanwhile, the write is what it is without that entry (stored as its own entry; after a clear, not stored).
 */
import { describe, expect, it } from 'vitest';
import { createClient, type CoreClientOptions } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { classify } from '../../src/entries/index.js';
import { held } from './counting-origin-kit.js';
import { OutboxQueuedError } from '../../src/entries/index.js';
import { harnessEachTest, holdingRecordReads, queueOffline } from './outbox-helpers.js';

/** What a call ends in: its body, or its error's code. */
const outcome = async (promise: Promise<Response>): Promise<string> => promise.then(async (response) => response.text(), (error: unknown) => classify(error).code);

/**
 * A client over a transport the test answers by hand (`pending`), whose next call waits above every layer (an async
 * `beforeRequest` hook, as a hook that reads a session would) until `go()`.
 */
const heldAbove = (options: CoreClientOptions = {}) => {
	const { pending, fetch } = held();
	let wait: Promise<void> | undefined;
	let go = (): void => undefined;
	let waiting = false;
	const api = createClient({
		fetch, retry: 0, timeout: false, ...options,
		hooks: { beforeRequest: [async () => {
			const hold = wait;
			wait = undefined;
			waiting = hold !== undefined;
			await hold;
		}] },
	});
	/** The next call waits in its hook until `go()`. */
	const holdNext = (): void => {
		wait = new Promise((resolve) => {
			go = resolve;
		});
	};
	return { api, pending, holdNext, go: () => go(), waiting: () => waiting };
};

describe('dedupe(): a call made before a logout never joins a request made after it', () => {
	const logout = async (clear: (api: ReturnType<typeof heldAbove>['api']) => Promise<void>, options: CoreClientOptions) => {
		const kit = heldAbove(options);
		kit.holdNext();
		const before = outcome(kit.api.get('https://api.test/me'));
		await expect.poll(kit.waiting).toBe(true);
		await clear(kit.api);
		const after = outcome(kit.api.get('https://api.test/me'));
		await expect.poll(() => kit.pending.length).toBe(1);
		let settled = false;
		void before.finally(() => {
			settled = true;
		});
		kit.go();
		// Its hook done, it reaches the dedupe layer while the next session's request is in flight: refused there, or joined.
		const shared = (): number => (kit.api.stats()['https://api.test'] as { dedupe?: { shared: number } } | undefined)?.dedupe?.shared ?? 0;
		await expect.poll(() => settled || shared() > 0).toBe(true);
		for (const { release } of kit.pending) {
			release(new Response('the next session\'s /me'));
		}

		return { before: await before, after: await after, sent: kit.pending.length };
	};

	it('client.clear() (a cookie app\'s logout): refused ABORTED, as without dedupe(); the next session\'s call gets its answer', async () => {
		const control = await logout(async (api) => api.clear(), {});
		expect(control).toEqual({ before: 'ABORTED', after: 'the next session\'s /me', sent: 1 });
		// Before the fix: { before: 'the next session\'s /me', … }.
		expect(await logout(async (api) => api.clear(), { dedupe: dedupe() })).toEqual(control);
	});

	it('clear({ identity }) of the identity signed in: refused ABORTED, as without dedupe()', async () => {
		const control = await logout(async (api) => api.clear({ identity: 'alice' }), { identity: () => 'alice' });
		expect(control).toEqual({ before: 'ABORTED', after: 'the next session\'s /me', sent: 1 });
		expect(await logout(async (api) => api.clear({ identity: 'alice' }), { identity: () => 'alice', dedupe: dedupe() })).toEqual(control);
	});
});

describe('outbox: a write sent again with the key of a pending entry that is discarded meanwhile', () => {
	const { h, win } = harnessEachTest();

	it('discard(id) while the outbox looked the entry up: the write is not told "queued" as the discarded entry', async () => {
		const { store, reading, resume, holdNextRead } = holdingRecordReads(h.store);
		const api = h.make({ outbox: true, store: () => store });
		const write = async () => api.post('mutate?id=held41', { json: { n: 1 }, idempotencyKey: 'k-held-41' });
		const entry = await queueOffline(win, api, write);
		win.setOnline(false, false);
		holdNextRead();
		const again = write().then(() => 'sent', (error: unknown) => error instanceof OutboxQueuedError ? error.entryId : classify(error).code);
		await reading.wait; // the outbox reads the pending entry the write is
		const discarding = api.outbox.discard(entry.id);
		resume.open();
		await discarding;
		const told = await again;
		const listed = (await api.outbox.list()).map(({ id, idempotencyKey }) => ({ id, idempotencyKey }));
		// Before: told entry.id, and list() [] — told "queued" as an entry that was gone.
		expect(told).not.toBe(entry.id);
		expect(listed).toEqual([{ id: told, idempotencyKey: 'k-held-41' }]);
		expect(h.sentOf('held41')).toEqual([]);
	});
});
