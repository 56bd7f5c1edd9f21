/** Every replay outcome class, at exact times (ManualClock, random 0.5), against the real loopback API. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxQueuedError, createClient, memoryStore, type Client, outbox, type OutboxPolicy } from '../../src/entries/index.js';
import { refusedUrl } from '../helpers/node-server.js';
import { startHarness, type Harness } from './outbox-helpers.js';

let h: Harness;
beforeEach(async () => {
	h = await startHarness();
});
afterEach(async () => h.close());

const t0 = 1_700_000_000_000;

/** Queue one POST to `path` (its first attempt fails with a scripted 503), then point the entry at `replayPath`. */
const queueThenRetarget = async (api: Client<{ outbox: OutboxPolicy }>, replayPath: string) => {
	const error = await api.post('mutate?id=o&fail=503', { json: { n: 1 } }).catch((error_: unknown) => error_);
	expect(error).toBeInstanceOf(OutboxQueuedError);
	// The entry is due in 500 ms (injected clock): nothing replays it before the test moves the clock.
	const [key] = (await h.store.keys()).filter((k) => k.startsWith('p|'));
	const record = await h.store.get<Record<string, unknown>>(key!);
	await h.store.set(key!, { ...record, url: `${h.api.url}/${replayPath}` });
	return (error as OutboxQueuedError).entryId;
};

describe('outbox replay outcomes', () => {
	it('a transient failure of the call queues it: attempts 1, backoff random × base, lastError', async () => {
		const api = h.make({ outbox: true });
		const error = await api.post('mutate?id=q&fail=503', { json: { a: 1 } }).catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(OutboxQueuedError);
		const [entry] = await api.outbox.list();
		expect(entry).toMatchObject({ id: (error as OutboxQueuedError).entryId, method: 'POST', attempts: 1, createdAt: t0, nextAttemptAt: t0 + 500 });
		expect(entry!.lastError).toMatchObject({ code: 'HTTP_5XX', status: 503 });
	});

	it.each([200, 201, 202, 302])('%i: sent and removed, outbox:sent with the status', async (status) => {
		const api = h.make({ outbox: true });
		const events = h.record(api, 'outbox:sent');
		const id = await queueThenRetarget(api, `status/${status}?id=s${status}`);
		h.clock.advance(500);
		expect(await api.outbox.flush()).toEqual({ sent: 1, failed: 0, dead: 0, remaining: 0 });
		expect(events).toMatchObject([{ type: 'outbox:sent', entryId: id, status, attempts: 1, time: t0 + 500 }]);
		expect(await api.outbox.size()).toBe(0);
	});

	it.each([408, 409, 425, 429, 500, 502, 503, 504])('%i: stays, attempts + 1, next attempt by backoff', async (status) => {
		const api = h.make({ outbox: true });
		const events = h.record(api, 'outbox:retry');
		await queueThenRetarget(api, `status/${status}?id=r${status}`);
		h.clock.advance(500);
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 1, dead: 0, remaining: 1 });
		const [entry] = await api.outbox.list();
		// attempts 2: 0.5 × min(300 000, 1000 × 2^1) = 1000 ms after the replay.
		expect(entry).toMatchObject({ attempts: 2, nextAttemptAt: t0 + 500 + 1000 });
		expect(entry!.lastError).toMatchObject({ status });
		expect(events).toMatchObject([{ type: 'outbox:retry', attempts: 2, nextAttemptAt: t0 + 1500, time: t0 + 500 }]);
	});

	it("Retry-After (seconds) sets the next attempt instead of the backoff, and holds the entry against flush()", async () => {
		const api = h.make({ outbox: true });
		await queueThenRetarget(api, 'status/503?id=ra&retryAfter=7');
		h.clock.advance(500);
		await api.outbox.flush();
		expect((await api.outbox.list())[0]).toMatchObject({ attempts: 2, nextAttemptAt: t0 + 500 + 7000 });
		const hits = h.seen.length;
		h.clock.advance(6999);
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 0, remaining: 1 }); // the server said 7 s
		expect(h.seen).toHaveLength(hits);
		h.clock.advance(1);
		expect(await api.outbox.flush()).toMatchObject({ failed: 1 });
	});

	// As the breaker, the rate limiter and ky read it: Retry-After says when to come back on a 429 or a 503 only (RFC 9110 §10.2.3, RFC 6585).
	it.each([500, 502, 504, 408, 409, 425])('a Retry-After on a %i is no server\'s word: the normal backoff, not pinned (flush() replays it)', async (status) => {
		const api = h.make({ outbox: true });
		await queueThenRetarget(api, `status/${status}?id=ra${status}&retryAfter=3600`);
		h.clock.advance(500);
		await api.outbox.flush();
		expect((await api.outbox.list())[0]).toMatchObject({ attempts: 2, nextAttemptAt: t0 + 500 + 1000 });
		expect(await api.outbox.flush()).toMatchObject({ failed: 1 });
	});

	it('flush() replays an entry before its backoff is over (an explicit "try now")', async () => {
		const api = h.make({ outbox: true });
		await queueThenRetarget(api, 'status/201?id=early');
		expect((await api.outbox.list())[0]!.nextAttemptAt).toBe(t0 + 500);
		expect(await api.outbox.flush()).toEqual({ sent: 1, failed: 0, dead: 0, remaining: 0 });
	});

	it('the backoff doubles per attempt and is capped by maxBackoffMs', async () => {
		const api = h.make({ outbox: { maxBackoffMs: 3000, maxAttempts: 50 } });
		await queueThenRetarget(api, 'status/503?id=cap');
		const next: number[] = [];
		for (let index = 0; index < 4; index++) {
			h.clock.set((await api.outbox.list())[0]!.nextAttemptAt);
			await api.outbox.flush();
			const entry = (await api.outbox.list())[0]!;
			next.push(entry.nextAttemptAt - h.clock.now());
		}

		expect(next).toEqual([1000, 1500, 1500, 1500]); // 0.5 × min(3000, 1000 × 2^(n−1)) for n = 2..5
	});

	it('a network error and a timeout stay (NETWORK, TIMEOUT)', async () => {
		const api = h.make({ outbox: true, timeout: 50 });
		const refused = await refusedUrl();
		await api.post(`${refused}/mutate?id=net`).catch(() => undefined);
		await api.post('hang?id=to').catch(() => undefined);
		const entries = await api.outbox.list();
		expect(entries.map((entry) => entry.lastError?.code).sort()).toEqual(['NETWORK', 'TIMEOUT']);
		h.clock.advance(500);
		const result = await api.outbox.flush();
		expect(result).toEqual({ sent: 0, failed: 2, dead: 0, remaining: 2 });
		expect((await api.outbox.list()).every((entry) => entry.attempts === 2)).toBe(true);
	});

	it('401/403 pause the scope (entry stays, entries behind wait) until the next trigger', async () => {
		const api = h.make({ outbox: true });
		const events = h.record(api, 'outbox:retry', 'outbox:sent');
		await queueThenRetarget(api, 'plan/401,403,201?id=auth');
		await api.post('mutate?id=behind', { json: { b: 1 } }).catch(() => undefined); // queued behind (same scope)
		h.clock.advance(500);
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, failed: 1, remaining: 2 });
		// One vocabulary: classify()'s code, with the status.
		expect((await api.outbox.list())[0]).toMatchObject({ attempts: 2, nextAttemptAt: t0 + 500, lastError: { code: 'HTTP_4XX', status: 401 } });
		expect(h.state.applied.get('behind')).toBeUndefined();
		// A drain that is not a new trigger (here the one a write queued behind starts) leaves the paused scope alone.
		const queued = h.record(api, 'outbox:queued');
		await api.post('mutate?id=behind', { json: { b: 2 } }).catch(() => undefined);
		expect(queued).toMatchObject([{ code: 'BEHIND' }]);
		await new Promise((resolve) => setTimeout(resolve, 30));
		expect(h.state.hits.get('auth /plan/401,403,201')).toBe(1);
		// flush() is a trigger: 403 pauses again; the next flush delivers both, in order.
		expect(await api.outbox.flush()).toMatchObject({ sent: 0 });
		expect(h.state.hits.get('auth /plan/401,403,201')).toBe(2);
		const result = await api.outbox.flush();
		expect(result.sent).toBe(3);
		expect(events.filter((event) => event.type === 'outbox:retry').map((event) => [(event as { code: string }).code, (event as { attempts: number }).attempts])).toEqual([['HTTP_4XX', 2], ['HTTP_4XX', 3]]);
		expect(h.state.applied.get('behind')!.map((entry) => JSON.parse(entry.body).b)).toEqual([1, 2]);
	});

	it.each([400, 404, 410, 422])('%i: dead letter `rejected`, outbox:dead, and the entry behind it goes on', async (status) => {
		const api = h.make({ outbox: true });
		const events = h.record(api, 'outbox:dead');
		const id = await queueThenRetarget(api, `status/${status}?id=d${status}`);
		await api.post(`mutate?id=next${status}`).catch(() => undefined);
		h.clock.advance(500);
		expect(await api.outbox.flush()).toEqual({ sent: 1, failed: 0, dead: 1, remaining: 0 });
		expect(events).toMatchObject([{ type: 'outbox:dead', entryId: id, deadReason: 'rejected', code: 'HTTP_4XX' }]);
		const [dead] = await api.outbox.deadLetters();
		expect(dead).toMatchObject({ id, deadReason: 'rejected', attempts: 2, lastError: { status } });
		expect(h.state.applied.get(`next${status}`)).toHaveLength(1);
	});

	it('past retentionMs: dead letter `expired`, without a request', async () => {
		const api = h.make({ outbox: { retentionMs: 10_000 } });
		const events = h.record(api, 'outbox:dead');
		await queueThenRetarget(api, 'status/503?id=exp');
		h.clock.advance(10_000);
		expect(await api.outbox.flush()).toMatchObject({ failed: 1, dead: 0 }); // exactly retentionMs old: still replayed
		h.clock.advance(1);
		const hits = h.seen.length;
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 1, remaining: 0 });
		expect(h.seen.length).toBe(hits);
		expect(events).toMatchObject([{ deadReason: 'expired' }]);
	});

	it('maxAttempts reached: dead letter `max-attempts`; retry(id) revives it, discard(id) removes it', async () => {
		const api = h.make({ outbox: { maxAttempts: 3 } });
		const id = await queueThenRetarget(api, 'plan/503,503,201?id=max');
		h.clock.advance(500);
		await api.outbox.flush(); // attempt 2
		h.clock.advance(1000);
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 1, remaining: 0 }); // attempt 3
		expect(await api.outbox.deadLetters()).toMatchObject([{ id, attempts: 3, deadReason: 'max-attempts' }]);
		await api.outbox.retry(id);
		expect(await api.outbox.deadLetters()).toEqual([]);
		await expect.poll(async () => api.outbox.size()).toBe(0); // retry() triggers a drain: plan's third answer is 201
		await expect(api.outbox.retry('nope')).rejects.toMatchObject({ code: 'OUTBOX_NOT_FOUND' });
		const other = await queueThenRetarget(api, 'status/400?id=disc');
		h.clock.advance(500);
		await api.outbox.flush();
		await api.outbox.discard(other);
		expect(await api.outbox.deadLetters()).toEqual([]);
	});

	it('an open circuit stays (CIRCUIT_OPEN) until the breaker lets a probe through', async () => {
		const api = h.make({ outbox: true, breaker: { consecutiveFailures: 1, openMs: 30_000 } });
		await api.post('mutate?id=cb&fail=503').catch(() => undefined); // opens the breaker and is queued
		const [entry] = await api.outbox.list();
		expect(api.breaker(h.api.url).state).toBe('open');
		await h.store.set((await h.store.keys()).find((k) => k.startsWith('p|'))!, { ...(await h.store.get<object>((await h.store.keys()).find((k) => k.startsWith('p|'))!)), url: `${h.api.url}/mutate?id=cb` });
		h.clock.advance(500);
		const hits = h.seen.length;
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, failed: 1 });
		expect(h.seen.length).toBe(hits); // no I/O
		const after = (await api.outbox.list())[0]!;
		// A replay the open breaker refused made no I/O: not an attempt (API.md "Outbox").
		expect(after).toMatchObject({ id: entry!.id, attempts: 1, lastError: { code: 'CIRCUIT_OPEN' } });
		expect(after.nextAttemptAt).toBe(api.breaker(h.api.url).reopensAt);
		h.clock.set(after.nextAttemptAt);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(h.state.applied.get('cb')).toHaveLength(1);
	});

	it('a caller abort and a permanent failure are thrown as is, never queued', async () => {
		const api = h.make({ outbox: true });
		await expect(api.post('status/404?id=p')).rejects.toMatchObject({ name: 'HTTPError' });
		await expect(api.post('status/409?id=p')).rejects.toMatchObject({ name: 'HTTPError' });
		const controller = new AbortController();
		const reason = new Error('left');
		const promise = api.post('hang?id=ab', { signal: controller.signal });
		setTimeout(() => controller.abort(reason), 20);
		await expect(promise).rejects.toBe(reason);
		expect(await api.outbox.size()).toBe(0);
	});

	it('outbox: false on a call and methods outside outbox.methods are never queued; outbox: true makes a write eligible, never a read', async () => {
		const api = h.make({ outbox: { methods: ['POST'] } });
		await expect(api.post('mutate?id=f&fail=503', { outbox: false })).rejects.toMatchObject({ name: 'HTTPError' });
		await expect(api.get('status/503?id=g')).rejects.toMatchObject({ name: 'HTTPError' });
		await expect(api.get('status/503?id=g2', { outbox: true })).rejects.toMatchObject({ name: 'HTTPError' });
		await expect(api.put('status/503?id=g3')).rejects.toMatchObject({ name: 'HTTPError' });
		await expect(api.put('status/503?id=g4', { outbox: true })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect((await api.outbox.list()).map((entry) => entry.method)).toEqual(['PUT']);
	});

	it('validates its options with a RangeError naming option and value; client.outbox throws when off', () => {
		expect(() => createClient({ store: memoryStore, outbox: outbox({ maxEntries: 0 }) })).toThrow(/outbox\.maxEntries.*0/);
		expect(() => createClient({ store: memoryStore, outbox: outbox({ queuedResponse: 'x' as never }) })).toThrow(RangeError);
		expect(() => (createClient({ store: memoryStore }) as unknown as { outbox: unknown }).outbox).toThrow(/outbox/);
	});
});
