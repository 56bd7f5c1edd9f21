/** The deadlines of store operations (src/core/deadlines.ts; the edge build's deadlines-edge.ts). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Deadlines } from '../../src/core/deadlines.js';
import { Deadlines as EdgeDeadlines } from '../../src/core/deadlines-edge.js';
import { StorageTimeoutError } from '../../src/errors/StorageTimeoutError.js';

const never = new Promise<never>(() => undefined);
/** When `promise` settled, in ms after `from` (performance.now()), and how. */
const settled = async (promise: Promise<unknown>, from: number) => promise.then((value) => ({ value, after: performance.now() - from }), (error: unknown) => ({ error, after: performance.now() - from }));

afterEach(() => {
	vi.restoreAllMocks();
	vi.useRealTimers();
});

describe('Deadlines (browser and Node builds): one timer for the operations under way', () => {
	it('operations that answer share one timer, unref\'d (it never keeps a process alive); each answers with its own value or error', async () => {
		const timers = vi.spyOn(globalThis, 'setTimeout');
		const deadlines = new Deadlines(1_000);
		const answers = await Promise.all(Array.from({ length: 50 }, async (_, index) => deadlines.bound(index === 7 ? Promise.reject(new Error('quota')) : Promise.resolve(index), `set(${index})`).catch((error: Error) => error.message)));
		expect(answers[3]).toBe(3);
		expect(answers[7]).toBe('quota');
		expect(timers).toHaveBeenCalledTimes(1);
		expect((timers.mock.results[0]!.value as { hasRef(): boolean }).hasRef()).toBe(false);
	});

	it('an operation that stalls fails after its own deadline, not the oldest\'s: started later than one that answered, it is given the whole of `ms`', async () => {
		const deadlines = new Deadlines(80);
		await deadlines.bound(Promise.resolve(1), 'set(a)'); // arms the timer, for a's deadline
		await new Promise((resolve) => setTimeout(resolve, 40));
		const start = performance.now();
		const outcome = await settled(deadlines.bound(never, 'set(b)'), start);
		expect(outcome).toMatchObject({ error: expect.any(StorageTimeoutError) });
		expect((outcome as { error: Error }).error.message).toBe('The store did not answer set(b) within 80 ms (storageTimeoutMs)');
		expect(outcome.after).toBeGreaterThanOrEqual(78); // timers may fire a millisecond early
		expect(outcome.after).toBeLessThan(2_000);
	});

	it('several stalled operations each fail at their own deadline, in order; one answering meanwhile is untouched; then no timer is armed again', async () => {
		const deadlines = new Deadlines(60);
		const start = performance.now();
		const first = settled(deadlines.bound(never, 'get(1)'), start);
		let answer!: (value: string) => void;
		const answered = settled(deadlines.bound(new Promise<string>((resolve) => {
			answer = resolve;
		}), 'get(2)'), start);
		await new Promise((resolve) => setTimeout(resolve, 30));
		const laterStart = performance.now();
		const later = settled(deadlines.bound(never, 'get(3)'), laterStart);
		answer('kept');
		expect(await answered).toMatchObject({ value: 'kept' });
		const [one, three] = await Promise.all([first, later]);
		expect(one).toMatchObject({ error: expect.any(StorageTimeoutError) });
		expect(three).toMatchObject({ error: expect.any(StorageTimeoutError) });
		expect(one.after).toBeGreaterThanOrEqual(58);
		expect(three.after).toBeGreaterThanOrEqual(58); // 60 ms after its own start, not the first one's
		const timers = vi.spyOn(globalThis, 'setTimeout');
		await new Promise((resolve) => setTimeout(resolve, 150));
		expect(timers).toHaveBeenCalledTimes(1); // the wait's own: nothing re-armed once none was under way
	});

	it('a deadline of its own (a large file\'s write is given longer): kept by the same timer, whichever comes first', async () => {
		const deadlines = new Deadlines(60);
		const start = performance.now();
		const file = settled(deadlines.bound(never, 'set(file)', 2_000), start);
		const small = settled(deadlines.bound(never, 'set(small)'), start);
		const shorter = settled(deadlines.bound(never, 'set(shorter)', 30), start); // armed anew: earlier than the timer's
		const [big, other, short] = await Promise.all([file, small, shorter]);
		expect((big as { error: Error }).error.message).toBe('The store did not answer set(file) within 2000 ms (storageTimeoutMs)');
		expect(short.after).toBeGreaterThanOrEqual(28);
		expect(short.after).toBeLessThan(1_500); // not held until the file's deadline, the one the timer was armed for
		expect(other.after).toBeGreaterThanOrEqual(58);
		expect(big.after).toBeGreaterThanOrEqual(1_998);
	});

	it.each([
		['timers and clocks', undefined],
		['timers only (the clock is real: the timer armed for an operation measured its time)', ['setTimeout', 'clearTimeout'] as const],
	])('kept by fake timers too (a test that advances time to a storage timeout): %s', async (_, toFake) => {
		vi.useFakeTimers(toFake ? { toFake: [...toFake] } : undefined);
		const deadlines = new Deadlines(500);
		const stalled = deadlines.bound(never, 'set(a)').catch((error: unknown) => error);
		await vi.advanceTimersByTimeAsync(600);
		expect(await stalled).toBeInstanceOf(StorageTimeoutError);
	});
});

describe('Deadlines (edge build): a timer per operation, cleared when it settles', () => {
	it('none is left pending once the operations answered (Deno\'s sanitizer; no timer of one Worker request settles another\'s promise)', async () => {
		const armed = vi.spyOn(globalThis, 'setTimeout');
		const cleared = vi.spyOn(globalThis, 'clearTimeout');
		const deadlines = new EdgeDeadlines(1_000);
		expect(await Promise.all([deadlines.bound(Promise.resolve(1), 'get(a)'), deadlines.bound(Promise.resolve(2), 'get(b)')])).toEqual([1, 2]);
		expect(armed).toHaveBeenCalledTimes(2);
		expect(cleared).toHaveBeenCalledTimes(2);
		const start = performance.now();
		const outcome = await settled(deadlines.bound(never, 'get(c)', 40), start);
		expect(outcome).toMatchObject({ error: expect.any(StorageTimeoutError) });
		expect(outcome.after).toBeGreaterThanOrEqual(38);
	});
});
