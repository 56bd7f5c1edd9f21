/**
 * Defect hunt, forty-first round (bound): the neighbours of bound-hunt41.test.ts.
 *
 * - `dedupe()`: a call whose attempt the transport would refuse (`Call.unbound`: its identity changed or the client was
 *   cleared since it started) joins no request: its retry after a logout (its first attempt went out alone before it),
 *   a HEAD, and a call made before the logout that finds a request also made before it. A call of the same session still
 *   joins, and so does one made before a `cache.clear()` (no logout: nothing refuses it).
 * - outbox: a write sent again with the key of a pending entry, while the outbox looks the entry up: after a `clear()` or a
 *   `clear({ identity })` of its identity it is not stored (the caller is told it was not sent), never told "queued" as the
 *   removed entry; with nothing removed meanwhile it is told "queued" as that entry (one entry, as before).
 */
import { describe, expect, it } from 'vitest';
import { createClient, type CoreClientOptions } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { staleCache } from '../../src/entries/cache.js';
import { memoryStore } from '../../src/entries/index.js';
import { classify } from '../../src/entries/index.js';
import { scripted } from './counting-origin-kit.js';
import { OutboxQueuedError } from '../../src/entries/index.js';
import { fakeWindow, harnessEachTest, holdingRecordReads, queueOffline } from './outbox-helpers.js';

/** What a call ends in: its status, or its error's code. */
const outcome = async (promise: Promise<Response>): Promise<number | string> => promise.then((response) => response.status, (error: unknown) => classify(error).code);

/** A client over a transport the test answers by hand, in order (`attempts`), whose next call waits above every layer until `go()`. */
const heldAbove = (options: CoreClientOptions = {}) => {
	const { attempts, fetch } = scripted();
	let wait: Promise<void> | undefined;
	let go = (): void => undefined;
	let waiting = false;
	const api = createClient({
		fetch, retry: 0, timeout: false, dedupe: dedupe(), ...options,
		hooks: { beforeRequest: [async () => {
			const hold = wait;
			wait = undefined;
			waiting ||= hold !== undefined;
			await hold;
		}] },
	});
	const shared = (): number => (api.stats()['https://api.test'] as { dedupe?: { shared: number } } | undefined)?.dedupe?.shared ?? 0;
	return {
		api, attempts, shared, waiting: () => waiting, go: () => go(),
		holdNext() {
			wait = new Promise((resolve) => {
				go = resolve;
			});
		},
	};
};

/** `promise`, and whether it settled yet. */
const watched = <T>(promise: Promise<T>) => {
	const state = { settled: false, promise };
	void promise.finally(() => {
		state.settled = true;
	});
	return state;
};

describe('dedupe(): a call the transport would refuse joins no request', () => {
	it('with an identity: the retry of alice\'s call, after clear({ identity: "alice" }), is refused, not handed her next session\'s answer', async () => {
		const kit = heldAbove({ identity: () => 'alice', retry: { limit: 1, jitter: false, delay: () => 0 } });
		const before = watched(outcome(kit.api.get('https://api.test/me')));
		await expect.poll(() => kit.attempts.length).toBe(1);
		await kit.api.clear({ identity: 'alice' });
		const after = outcome(kit.api.get('https://api.test/me'));
		await expect.poll(() => kit.attempts.length).toBe(2);
		kit.attempts[0]!.answer(503); // alice's first attempt (of before the clear) fails: its retry reaches the layer now
		await expect.poll(() => before.settled || kit.shared() > 0).toBe(true);
		kit.attempts[1]!.answer(200);
		// Before: [200, 200] — the retry joined the request made after the clear.
		expect([await before.promise, await after, kit.attempts.length, kit.shared()]).toEqual(['ABORTED', 200, 2, 0]);
	});

	it('a HEAD made before client.clear() (a cookie app) reaching the layer after it: refused, as without dedupe()', async () => {
		const kit = heldAbove();
		kit.holdNext();
		const before = watched(outcome(kit.api.head('https://api.test/me')));
		await expect.poll(kit.waiting).toBe(true);
		await kit.api.clear();
		const after = outcome(kit.api.head('https://api.test/me'));
		await expect.poll(() => kit.attempts.length).toBe(1);
		kit.go();
		await expect.poll(() => before.settled || kit.shared() > 0).toBe(true);
		kit.attempts[0]!.answer(200);
		expect([await before.promise, await after, kit.attempts.length]).toEqual(['ABORTED', 200, 1]);
	});

	it('a call made before client.clear() that finds a request also made before it: refused (it would go out after the logout)', async () => {
		const kit = heldAbove();
		const first = outcome(kit.api.get('https://api.test/me'));
		await expect.poll(() => kit.attempts.length).toBe(1);
		kit.holdNext();
		const second = watched(outcome(kit.api.get('https://api.test/me')));
		await expect.poll(kit.waiting).toBe(true);
		await kit.api.clear();
		kit.go();
		await expect.poll(() => second.settled || kit.shared() > 0).toBe(true);
		kit.attempts[0]!.answer(200);
		// The first call's request went out before the logout: its caller has its answer. The second's attempt would go after.
		expect([await first, await second.promise, kit.attempts.length]).toEqual([200, 'ABORTED', 1]);
	});

	it('in a page: alice signed out and back in while her call waited above the layer: refused, never joins her new session\'s request', async () => {
		// A page (`document`): each identity another read saw is another world (src/core/context.ts `identities`).
		const win = fakeWindow();
		try {
			let who = 'alice';
			const kit = heldAbove({ identity: () => who });
			kit.holdNext();
			const before = watched(outcome(kit.api.get('https://api.test/me')));
			await expect.poll(kit.waiting).toBe(true);
			who = 'bob';
			const bobs = outcome(kit.api.get('https://api.test/bob'));
			await expect.poll(() => kit.attempts.length).toBe(1);
			kit.attempts[0]!.answer(200);
			expect(await bobs).toBe(200);
			who = 'alice';
			const after = outcome(kit.api.get('https://api.test/me'));
			await expect.poll(() => kit.attempts.length).toBe(2);
			kit.go();
			await expect.poll(() => before.settled || kit.shared() > 0).toBe(true);
			kit.attempts[1]!.answer(200);
			// Before: [200, 200, 1] — her call of the session that ended joined the new session's request.
			expect([await before.promise, await after, kit.shared()]).toEqual(['ABORTED', 200, 0]);
			kit.api.close();
		} finally {
			win.restore();
		}
	});

	it('guards: calls of one session share one request; so does a call made before cache.clear() (no logout) with one made after', async () => {
		const kit = heldAbove({ name: `bound41-${Math.random()}`, store: memoryStore, staleCache: staleCache() });
		const one = outcome(kit.api.get('https://api.test/me'));
		await expect.poll(() => kit.attempts.length).toBe(1);
		const two = outcome(kit.api.get('https://api.test/me'));
		await expect.poll(kit.shared).toBe(1);
		kit.attempts[0]!.answer(200);
		expect([await one, await two]).toEqual([200, 200]);
		kit.holdNext();
		const before = outcome(kit.api.get('https://api.test/me'));
		await expect.poll(kit.waiting).toBe(true);
		await (kit.api as unknown as { cache: { clear(): Promise<void> } }).cache.clear();
		const after = outcome(kit.api.get('https://api.test/me'));
		await expect.poll(() => kit.attempts.length).toBe(2);
		kit.go();
		await expect.poll(kit.shared).toBe(2);
		kit.attempts[1]!.answer(200);
		expect([await before, await after, kit.attempts.length]).toEqual([200, 200, 2]);
	});
});

describe('outbox: a write sent again with the key of a pending entry, while the outbox looks the entry up', () => {
	const { h, win } = harnessEachTest();

	/** The entry the first write is, and what the same write sent again (offline) is told when `meanwhile` runs during the look-up. */
	const sendAgain = async (meanwhile: (api: ReturnType<typeof h.make>, id: string) => Promise<unknown>, identity?: () => string) => {
		const { store, reading, resume, holdNextRead } = holdingRecordReads(h.store);
		const api = h.make({ outbox: true, store: () => store, ...identity && { identity } });
		const write = async () => api.post('mutate?id=again41', { json: { n: 1 }, idempotencyKey: 'k-again-41' });
		const entry = await queueOffline(win, api, write);
		win.setOnline(false, false);
		holdNextRead();
		const again = write().then(() => 'sent', (error: unknown) => error instanceof OutboxQueuedError ? error.entryId === entry.id ? 'queued as the entry' : 'queued on its own' : classify(error).code);
		await reading.wait;
		const done = meanwhile(api, entry.id);
		resume.open();
		await done;
		return { told: await again, listed: (await api.outbox.list()).map(({ id }) => id === entry.id ? 'the entry' : 'another'), sent: h.sentOf('again41').length };
	};

	it('client.clear(): not stored, not told "queued" as the entry it removed', async () => {
		// Before: { told: 'queued as the entry', listed: [] }.
		expect(await sendAgain(async (api) => api.clear())).toEqual({ told: 'ABORTED', listed: [], sent: 0 });
	});

	it('clear({ identity }) of its identity: the same', async () => {
		expect(await sendAgain(async (api) => api.clear({ identity: 'alice' }), () => 'alice')).toEqual({ told: 'ABORTED', listed: [], sent: 0 });
	});

	it('guard: nothing removed meanwhile, it is told "queued" as that entry, never stored twice', async () => {
		expect(await sendAgain(async () => undefined)).toEqual({ told: 'queued as the entry', listed: ['the entry'], sent: 0 });
	});
});
