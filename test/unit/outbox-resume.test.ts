/**
 * No herd on recovery (API.md "Reachability and recovery"): a drain of the outbox that starts because
 * a scope came back — `online`, a breaker's probe that got through, a good answer to one of the app's
 * calls — waits a random 0–`resumeJitterMs` first, drawn from the client's `random`. Timers are faked;
 * the API is a real loopback server.
 */
import { describe, expect, it, vi } from 'vitest';
import { fakeWindow, type Harness, harnessEachTest, type FakeWindow } from './outbox-helpers.js';

let h: Harness;
let win: FakeWindow;
harnessEachTest((started, fake) => {
	h = started;
	win = fake;
});

const applied = (id: string) => h.state.applied.get(id)?.length ?? 0;

/** Let the loopback I/O and the client's promises run, with timers faked. */
const io = async (): Promise<void> => {
	for (let index = 0; index < 20; index++) {
		await new Promise<void>((resolve) => {
			setImmediate(resolve);
		});
	}
};

/** A client whose `random` is `draw`, with one write queued by a 503 (due in minutes: only a trigger replays it now). */
const queued = async (id: string, draw: number, extra: Record<string, unknown> = {}) => {
	const api = h.make({ random: () => draw, outbox: { baseBackoffMs: 600_000, resumeJitterMs: 2_000 }, ...extra });
	await api.post(`mutate?id=${id}&fail=503&times=1`).catch(() => undefined);
	expect(await api.outbox.list()).toHaveLength(1);
	return api;
};

describe('outbox: resumeJitterMs', () => {
	it('`online` drains after random() × resumeJitterMs (here 0.25 × 2 000 ms), not at once; close() during the wait starts none', async () => {
		const api = await queued('online', 0.25);
		await io();
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		win.setOnline(true);
		await vi.advanceTimersByTimeAsync(499);
		await io();
		expect(applied('online')).toBe(0); // before: replayed at once
		await vi.advanceTimersByTimeAsync(1);
		await vi.waitFor(async () => {
			await io();
			expect(applied('online')).toBe(1);
		});

		await api.post('mutate?id=online-closed&fail=503&times=1').catch(() => undefined);
		win.setOnline(false, false);
		win.setOnline(true);
		await io();
		api.close();
		await vi.advanceTimersByTimeAsync(2_000);
		await io();
		expect(applied('online-closed')).toBe(0);
		expect(h.seen.filter(({ url }) => url.includes('online-closed'))).toHaveLength(1); // its own attempt only
	});

	it('a good answer from the scope (the call got through) drains after the jitter too; flush() at once', async () => {
		const api = await queued('answer', 0.75);
		await io();
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		expect((await api.get('json?id=answer')).status).toBe(200);
		await vi.advanceTimersByTimeAsync(1_499);
		await io();
		expect(applied('answer')).toBe(0);
		await vi.advanceTimersByTimeAsync(1);
		await vi.waitFor(async () => {
			await io();
			expect(applied('answer')).toBe(1);
		});
		await api.post('mutate?id=flush&fail=503&times=1').catch(() => undefined);
		// No wait: no timer advanced. (The drain of `answer` may still be under way on a busy machine: the
		// server applied it before the client removed it, and the new write then waits behind it, for the
		// drain that flush() joins; its result counts both. What flush() owes: nothing left, `flush` delivered.)
		expect(await api.outbox.flush()).toMatchObject({ remaining: 0 });
		expect(applied('flush')).toBe(1);
		expect(await api.outbox.list()).toHaveLength(0);
		api.close();
	});

	it('a breaker that closes (its probe got through) drains after the jitter', async () => {
		const api = await queued('closed', 0.5, { breaker: { consecutiveFailures: 1, openMs: 1_000, share: false } });
		expect(api.breaker(h.api.url).state).toBe('open');
		h.clock.advance(1_000);
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		// The probe: an app's GET (not an outbox write), which closes the breaker.
		expect((await api.get('json?id=probe')).status).toBe(200);
		expect(api.breaker(h.api.url).state).toBe('closed');
		await vi.advanceTimersByTimeAsync(999);
		await io();
		expect(applied('closed')).toBe(0);
		await vi.advanceTimersByTimeAsync(1);
		await vi.waitFor(async () => {
			await io();
			expect(applied('closed')).toBe(1);
		});
		api.close();
	});

	it('defaults to 2 000 ms where there is a document, 0 elsewhere; anything but a non-negative finite number is a RangeError naming it', async () => {
		const seen: number[] = [];
		const probe = (options = {}) => {
			const client = h.make({ random: () => 1 - Number.EPSILON, outbox: options });
			client.close();
		};

		expect(() => probe({ resumeJitterMs: -1 })).toThrow(/outbox\.resumeJitterMs/);
		expect(() => probe({ resumeJitterMs: Number.POSITIVE_INFINITY })).toThrow(RangeError);
		expect(() => probe({ resumeJitterMs: '5' })).toThrow(RangeError);
		const { resolveOutboxOptions } = await import('../../src/outbox/options.js');
		seen.push(resolveOutboxOptions({}).resumeJitterMs); // fakeWindow() made a document
		win.restore();
		seen.push(resolveOutboxOptions({}).resumeJitterMs);
		expect(seen).toEqual([2_000, 0]);
		win = fakeWindow();
	});
});
