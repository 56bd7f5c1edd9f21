/**
 * Defect hunt, ninth round (D): offline writes for real apps — variants of `maxEntries` (README: "Most
 * pending entries; beyond it, a write that must be stored ... is refused with `OutboxFullError`"), of
 * dependent writes (`outbox.ref()`) on a store that fails a read (the Standards: storage failures never
 * fail a request), and of `clear()` while a drain waits for the outbox's lock (API.md: "no removed entry
 * is sent"). ManualClock, random 0.5, the real loopback API.
 */
import { describe, expect, it } from 'vitest';
import { OutboxFullError, OutboxQueuedError } from '../../src/entries/index.js';
import { harnessEachTest, spyStore } from './outbox-helpers.js';
import { noteHeard, waitingForLock } from '../helpers/other-tabs.js';

const { h, win } = harnessEachTest();

describe('maxEntries bounds the pending entries, whatever the order of the writes', () => {
	it('writes made at once while offline: as many are stored as maxEntries allows, the others get OutboxFullError (entries)', async () => {
		const api = h.make({ outbox: { maxEntries: 2 } });
		win.setOnline(false, false);
		const outcomes = await Promise.all([1, 2, 3, 4].map(async (n) => api.post(`mutate?id=at-once-${n}`, { json: { n } }).then(() => 'sent', (error: unknown) => error)));
		const names = outcomes.map((each) => each instanceof OutboxQueuedError ? 'queued' : each instanceof OutboxFullError ? `full ${each.reason}` : String(each));
		expect({ names, size: await api.outbox.size() }).toEqual({ names: ['queued', 'queued', 'full entries', 'full entries'], size: 2 });
	});

	it('writes answered 503 at once (online): the same bound, the others get OutboxFullError (entries); the stored ones are delivered', async () => {
		const api = h.make({ outbox: { maxEntries: 2 } });
		const outcomes = await Promise.all([1, 2, 3].map(async (n) => api.post(`mutate?id=failed-${n}&fail=503&times=1`, { json: { n } }).then(() => 'sent', (error: unknown) => error)));
		const names = outcomes.map((each) => each instanceof OutboxQueuedError ? 'queued' : each instanceof OutboxFullError ? `full ${each.reason}` : String(each));
		expect({ names, size: await api.outbox.size() }).toEqual({ names: ['queued', 'queued', 'full entries'], size: 2 });
		h.clock.advance(60_000);
		expect(await api.outbox.flush()).toMatchObject({ sent: 2, remaining: 0 });
	});

	it('writes told "queued" at networkTimeoutMs at once: as many as maxEntries allows; the other waits for its own attempt, then OutboxFullError', async () => {
		const api = h.make({ totalTimeout: 400, outbox: { maxEntries: 2, networkTimeoutMs: 50 } });
		const outcomes = await Promise.all([1, 2, 3].map(async (n) => api.post(`hang?id=early-${n}`, { json: { n } }).then(() => 'sent', (error: unknown) => error)));
		const names = outcomes.map((each) => each instanceof OutboxQueuedError ? 'queued' : each instanceof OutboxFullError ? `full ${each.reason}` : String(each));
		expect(names.sort()).toEqual(['full entries', 'queued', 'queued']);
		expect(await api.outbox.size()).toBe(2);
	});

	it('retry(id) of a dead letter while maxEntries are pending: OutboxFullError (entries), the dead letter stays; once there is room it is pending again', async () => {
		const api = h.make({ outbox: { maxEntries: 2 } });
		// Queued offline, then its replay answered 422: a dead letter.
		win.setOnline(false, false);
		const queued = await api.post('mutate?id=later&fail=422&times=2', { json: { n: 1 } }).then(() => ({ entryId: 'sent' }), (error: { entryId: string }) => error);
		win.setOnline(true, false);
		h.clock.advance(60_000);
		await api.outbox.flush();
		const [letter] = await api.outbox.deadLetters();
		expect(letter).toMatchObject({ id: queued.entryId, deadReason: 'rejected' });
		win.setOnline(false, false);
		for (const n of [2, 3]) {
			await expect(api.post(`mutate?id=fill-${n}`, { json: { n } })).rejects.toBeInstanceOf(OutboxQueuedError);
		}

		const refused = await api.outbox.retry(letter!.id).then(() => 'revived', (error: unknown) => error);
		expect({ refused: refused instanceof OutboxFullError ? refused.reason : refused, size: await api.outbox.size(), dead: (await api.outbox.deadLetters()).map((each) => each.id) })
			.toEqual({ refused: 'entries', size: 2, dead: [letter!.id] });
		win.setOnline(true, false);
		await api.outbox.flush();
		await api.outbox.retry(letter!.id);
		await expect.poll(async () => (await api.outbox.deadLetters()).length).toBe(0);
	});
});

describe('a dependent write (outbox.ref()) whose replay meets a store that fails once', () => {
	it('the read of its parent\'s kept value fails: it stays pending (storage:error) and is delivered with the value at the next pass, never a \'parent\' dead letter', async () => {
		let failing = false;
		const store = spyStore(h.store, {
			get: async (key, run) => {
				// Every read of it during the first flush (the parent's delivery reads it too, to count the dependent: round 17b).
				if (failing && key.startsWith('v|')) {
					throw new DOMException('The transaction was aborted', 'AbortError');
				}

				return run();
			},
		});
		const api = h.make({ store: () => store });
		const errors = h.record(api, 'storage:error');
		win.setOnline(false, false);
		const parent = await api.post('mutate?id=parent', { json: { n: 1 } }).then(() => 'sent', (error: { entryId: string }) => error.entryId);
		const child = await api.patch('mutate?id=child', { json: { parentKey: api.outbox.ref(parent, '/key') } }).then(() => 'sent', (error: { entryId: string }) => error.entryId);
		win.setOnline(true, false);
		failing = true;
		await api.outbox.flush();
		failing = false;
		expect({ dead: (await api.outbox.deadLetters()).map((each) => [each.id === child, each.deadReason]), pending: (await api.outbox.list()).map((each) => each.id === child), errors: errors.length > 0 })
			.toEqual({ dead: [], pending: [true], errors: true });
		h.clock.advance(60_000);
		await api.outbox.flush();
		const [sent] = h.sentOf('child');
		expect({ size: await api.outbox.size(), parentKey: JSON.parse(sent!.body).parentKey }).toEqual({ size: 0, parentKey: h.sentOf('parent')[0]!.headers['idempotency-key'] });
	});
});

describe('clear() while a drain of another client of the name waits for the outbox\'s lock', () => {
	for (const through of ['the client whose drain waits', 'a third client'] as const) {
		it(`sends none of the entries it clears (clear() through ${through})`, async () => {
			let hold: (() => void) | undefined;
			const held = new Promise<void>((resolve) => {
				hold = resolve;
			});
			const sent: string[] = [];
			const transport = async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
				const { url } = input as Request;
				if (!navigator.onLine) {
					throw new TypeError('Failed to fetch');
				}

				sent.push(url);
				if (sent.length === 1) {
					await held; // The first replay of the replaying client's pass: its lock held meanwhile.
				}

				return Response.json({ ok: true }, { status: 201 });
			};
			const replaying = h.make({ name: 'one-name', fetch: transport });
			const waiting = h.make({ name: 'one-name', fetch: transport });
			const third = h.make({ name: 'one-name', fetch: transport });
			win.setOnline(false, false);
			for (let n = 0; n < 10; n++) {
				await expect(replaying.post(`mutate?id=cleared-${n}`, { json: { n } })).rejects.toBeInstanceOf(OutboxQueuedError);
			}

			win.setOnline(true, false);
			const flushed = replaying.outbox.flush();
			await expect.poll(() => sent.length).toBe(1);
			// Another client (a tab just loaded, a flush) asks for a drain: it waits for the lock.
			const waited = waiting.outbox.flush();
			await expect.poll(async () => waitingForLock('one-name')).toBeGreaterThan(0);
			const before = await waitingForLock('one-name');
			const heard = noteHeard('one-name');
			const cleared = (through === 'a third client' ? third : waiting).clear();
			await heard; // The replaying client (another tab) hears of the clear: its pass ends after the replay in flight.
			await expect.poll(async () => waitingForLock('one-name')).toBe(before + 1); // The clear's removal waits behind the drains.
			hold!();
			await cleared;
			await Promise.all([flushed, waited]);
			// Before: the waiting drain got the lock before the clear, read the entries the clear was about to remove, and sent all nine.
			expect({ sent: sent.length, size: await replaying.outbox.size() }).toEqual({ sent: 1, size: 0 });
		});
	}
});

describe('a write holding a placeholder of a delivered entry while the store fails to read its kept value', () => {
	it('is queued (OutboxQueuedError), never refused as bad input, and goes out with the value once the store answers', async () => {
		let failing = false;
		const store = spyStore(h.store, {
			get: async (key, run) => {
				if (failing && key.startsWith('v|')) {
					throw new DOMException('The transaction was aborted', 'AbortError');
				}

				return run();
			},
		});
		const api = h.make({ store: () => store });
		win.setOnline(false, false);
		const parent = await api.post('mutate?id=made', { json: { n: 1 } }).then(() => 'sent', (error: { entryId: string }) => error.entryId);
		const placeholder = api.outbox.ref(parent, '/key');
		win.setOnline(true, false);
		await api.outbox.flush();
		expect(await api.outbox.size()).toBe(0); // Delivered: its value at /key kept.
		failing = true;
		const outcome = await api.patch('mutate?id=edit', { json: { of: placeholder } }).then(() => 'sent', (error: unknown) => error);
		// Before: InvalidRequestError ('… is unknown, discarded, a dead letter, or its value at /key is not kept'), the write lost.
		expect(outcome).toBeInstanceOf(OutboxQueuedError);
		failing = false;
		h.clock.advance(60_000);
		await api.outbox.flush();
		expect({ size: await api.outbox.size(), of: JSON.parse(h.sentOf('edit')[0]!.body).of }).toEqual({ size: 0, of: h.sentOf('made')[0]!.headers['idempotency-key'] });
	});
});

/** The harness's store, failing the `failNth`-th read of a kept value (`v|` keys) from when it is set (a storage failure, not "nothing kept"). */
const failingValueRead = (): { store: ReturnType<typeof spyStore>; failNth: number } => {
	const values = {
		failNth: 0,
		store: spyStore(h.store, {
			get: async (key, run) => {
				if (values.failNth > 0 && key.startsWith('v|') && --values.failNth === 0) {
					throw new DOMException('The transaction was aborted', 'AbortError');
				}

				return run();
			},
		}),
	};
	return values;
};

describe('the kept value of a delivered entry while its dependent is still pending', () => {
	it('a pass whose read of it fails (storage:error) keeps it: the dependent goes out with the value, never a \'parent\' dead letter', async () => {
		const values = failingValueRead();
		const api = h.make({ store: () => values.store });
		win.setOnline(false, false);
		const parent = await api.post('mutate?id=p-kept', { json: { n: 1 } }).then(() => 'sent', (error: { entryId: string }) => error.entryId);
		const child = await api.patch('mutate?id=d-kept&fail=503&times=2', { json: { of: api.outbox.ref(parent, '/key') } }).then(() => 'sent', (error: { entryId: string }) => error.entryId);
		win.setOnline(true, false);
		await api.outbox.flush(); // The parent delivered (its value kept), the dependent answered 503.
		h.clock.advance(60_000);
		values.failNth = 2; // This pass: the dependent's own read of the value answers, the pass's check of what it still keeps fails.
		await api.outbox.flush(); // 503 again.
		h.clock.advance(120_000);
		await api.outbox.flush();
		const sent = h.sentOf('d-kept');
		expect({ dead: (await api.outbox.deadLetters()).map((each) => [each.id === child, each.deadReason]), sent: sent.length, of: sent.map((each) => JSON.parse(each.body).of) })
			.toEqual({ dead: [], sent: 3, of: Array(3).fill(h.sentOf('p-kept')[0]!.headers['idempotency-key']) });
	});
});

describe('a write holding a placeholder of a delivered entry whose value the store fails to read as its attempt starts', () => {
	it('is queued (OutboxQueuedError), never refused as bad input, and goes out with the value at the next pass', async () => {
		const values = failingValueRead();
		const api = h.make({ store: () => values.store });
		win.setOnline(false, false);
		const parent = await api.post('mutate?id=made-2', { json: { n: 1 } }).then(() => 'sent', (error: { entryId: string }) => error.entryId);
		const placeholder = api.outbox.ref(parent, '/key');
		win.setOnline(true, false);
		await api.outbox.flush();
		values.failNth = 2; // The call's check of its placeholders reads the value; the read as its attempt starts fails.
		const outcome = await api.patch('mutate?id=edit-2', { json: { of: placeholder } }).then(() => 'sent', (error: unknown) => error);
		// Before: InvalidRequestError ('Not sent: …'), the write lost.
		expect(outcome).toBeInstanceOf(OutboxQueuedError);
		h.clock.advance(60_000);
		await api.outbox.flush();
		expect({ size: await api.outbox.size(), of: JSON.parse(h.sentOf('edit-2')[0]!.body).of }).toEqual({ size: 0, of: h.sentOf('made-2')[0]!.headers['idempotency-key'] });
	});
});

/** A write's outcome by name: queued, refused full (with its reason), or what it was. */
const nameOfOutcome = (outcome: unknown): string => outcome instanceof OutboxQueuedError ? 'queued' : outcome instanceof OutboxFullError ? `full ${outcome.reason}` : String(outcome);

describe('maxEntries bounds the one outbox a client and its extend()ed clients share (second pass, J)', () => {
	it('the parent and a client extend() made (same name and store) writing at once while offline: as many stored as maxEntries allows, in all', async () => {
		const api = h.make({ outbox: { maxEntries: 2 } });
		const feature = api.extend({ headers: { 'x-feature': 'cart' } });
		win.setOnline(false, false);
		const outcomes = await Promise.all([api, feature, api, feature].map(async (client, n) => client.post(`mutate?id=realm-${n}`, { json: { n } }).then(() => 'sent', (error: unknown) => error)));
		expect({ names: outcomes.map(nameOfOutcome).sort(), parent: await api.outbox.size(), child: await feature.outbox.size(), listed: (await api.outbox.list()).length })
			.toEqual({ names: ['full entries', 'full entries', 'queued', 'queued'], parent: 2, child: 2, listed: 2 });
	});
});
