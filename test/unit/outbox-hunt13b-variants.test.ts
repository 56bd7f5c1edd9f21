/**
 * Defect hunt, thirteenth round, second pass (Y): the outbox's stored write and the app's hooks —
 * what `list()` shows of the pending records (API.md "Outbox": `list()` "pending, oldest first", as
 * many as `size()` counts), what an `init` hook that throws does to a replay. ManualClock, random 0.5,
 * the real loopback API.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, OutboxQueuedError, outbox } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { harnessEachTest, type Harness } from './outbox-helpers.js';

let h: Harness;
harnessEachTest((started) => {
	h = started;
});

/** The store key of a pending record of `scope` queued at `createdAt` (record.ts `makeKey`). */
const pendingKey = (createdAt: number, id: string, scope: string): string => `p|${String(createdAt).padStart(15, '0')}|000000|${id}|${encodeURIComponent(scope)}`;

describe('list() shows every pending entry size() counts', () => {
	it('a pending record the outbox cannot read is listed as its dead letter will be (no method, no URL, lastError Unreadable), before a pass reaches it', async () => {
		const api = h.make({ outbox: { baseBackoffMs: 600_000 } });
		// The scope's head waits for its backoff: no pass reads the records behind it.
		await expect(api.post('mutate?id=head&fail=503&times=1', { json: { n: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		const scope = new URL(h.api.url).origin;
		const [head] = await api.outbox.list();
		await h.store.set(pendingKey(head!.createdAt + 1, 'damaged', scope), { v: 1, garbage: true });
		await h.store.set(pendingKey(head!.createdAt + 2, 'junk', scope), 'junk');
		await h.store.set(pendingKey(head!.createdAt + 3, 'secret', scope), { ...(await h.store.get<Record<string, unknown>>((await h.store.keys()).find((key) => key.startsWith('p|'))!)), id: 'secret', headers: { authorization: 'Bearer stolen' } });
		const listed = await api.outbox.list();
		// Before: size() 4, list() [head]: the three unreadable records counted by one and not shown by the other.
		expect([await api.outbox.size(), listed.map((entry) => entry.id)]).toEqual([4, [head!.id, 'damaged', 'junk', 'secret']]);
		for (const entry of listed.slice(1)) {
			expect(entry).toMatchObject({ method: '', url: '', headers: {}, idempotencyKey: entry.id, attempts: 0, bodyBytes: 0, version: 1, lastError: { code: 'INVALID_REQUEST', message: 'Unreadable' } });
			expect(JSON.stringify(entry)).not.toContain('stolen');
		}

		// Once a pass reached them: dead letters shown the same way (`'rejected'`), none pending.
		await api.outbox.flush();
		const dead = await api.outbox.deadLetters();
		expect([await api.outbox.list(), dead.map((entry) => [entry.id, entry.method, entry.url, entry.lastError?.message, entry.deadReason])]).toEqual([[], [
			['damaged', '', '', 'Unreadable', 'rejected'], ['junk', '', '', 'Unreadable', 'rejected'], ['secret', '', '', 'Unreadable', 'rejected'],
		]]);
	});
});

describe('a replay that an `init` hook fails is no attempt, as one a `beforeRequest` hook fails (API.md "Outbox": attempts count only attempts that reached the network)', () => {
	/** A client whose ky `init` hook throws `message` while `failing` says so, a POST queued by a network failure, then `passes` replays while it throws. */
	const scenario = async (message: string, passes: number) => {
		const state = { down: true, failing: false, sends: 0 };
		const fetch = (async () => {
			state.sends++;
			if (state.down) {
				throw new TypeError('fetch failed');
			}

			return new Response('{}');
		}) as typeof globalThis.fetch;
		const hook = () => {
			if (state.failing) {
				throw new Error(message);
			}
		};
		const clock = new ManualClock();
		const api = createClient({ fetch, clock, prefix: 'https://api.example.com/', retry: 0, hooks: { init: [hook] }, breaker: false, store: memoryStore, name: `t13b-init-${passes}`, outbox: outbox({ maxAttempts: 3 }) });
		await expect(api.post('todos', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		state.down = false;
		state.failing = true;
		for (let pass = 0; pass < passes; pass++) {
			clock.advance(600_000); // past any backoff: the entry is due
			expect((await api.outbox.flush()).sent).toBe(0);
		}

		return { api, clock, state };
	};

	it('its entry stays pending with its attempts past `maxAttempts` replays, its lastError the hook\'s error, and goes out once the hook lets it', async () => {
		const { api, clock, state } = await scenario('the tenant service is down', 3);
		// Before: no entry pending, a dead letter at the first replay ('rejected', INVALID_REQUEST, attempts 1).
		expect([(await api.outbox.list()).map((entry) => [entry.attempts, entry.lastError?.message]), (await api.outbox.deadLetters()).map((entry) => entry.deadReason), state.sends])
			.toEqual([[[1, 'Error: the tenant service is down']], [], 1]);
		state.failing = false;
		clock.advance(600_000);
		expect((await api.outbox.flush()).sent).toBe(1);
		expect(state.sends).toBe(2);
		api.close();
	});

	it('its lastError is redacted as every lastError (a sensitive query parameter in the hook\'s message)', async () => {
		const { api } = await scenario('no tenant for https://api.example.com/todos?access_token=s3cret', 1);
		const [entry] = await api.outbox.list();
		expect(entry?.lastError?.message).toContain('no tenant for');
		expect(JSON.stringify(await api.outbox.list())).not.toContain('s3cret');
		api.close();
	});
});
