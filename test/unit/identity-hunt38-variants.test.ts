/**
 * Defect hunt, thirty-eighth round (identity): work bound to who started it (API.md "Identity: persisted state belongs
 * to someone", "Work that outlives its caller").
 */
import { describe, expect, it } from 'vitest';
import { outbox } from '../../src/entries/outbox.js';
import { useCacheKit } from './cache-kit.js';

const kit = useCacheKit();

type Outboxed = ReturnType<typeof kit.make> & {
	outbox: { flush(): Promise<{ sent: number; failed: number; remaining: number }>; list(): Promise<unknown[]>; clear(options?: { identity?: string }): Promise<void> };
};

/**
 * Bob's write to `path` (one of its own per test: the origin counts hits per path) queued while the origin refused, then
 * replayed by `flush()` against an origin that holds its answer (`kit.gate`) until `open()`.
 */
const replayHeld = async (replayer: Outboxed, path: string): Promise<{ flushed: Promise<unknown>; open: () => void }> => {
	kit.mode = 'refuse';
	await replayer.post(`${path.slice(1)}?status=503`, { json: { bob: 1 } }).catch(() => undefined);
	kit.mode = 'up';
	let open!: () => void;
	kit.gate = new Promise<void>((resolve) => {
		open = resolve;
	});
	const flushed = replayer.outbox.flush();
	await expect.poll(() => kit.hits(path)).toBe(1);
	return { flushed, open };
};

describe('clear({ identity }) of the user who signed out while his replay is in flight', () => {
	it.each([['nobody is signed in', undefined], ['alice signed in', 'alice']])('ends that replay and resolves at once (%s), never waiting for the origin\'s answer', async (_how, next) => {
		let who: string | undefined = 'bob';
		// A client `timeout` far past the test's: the clear must not wait for the replay to time out.
		const api = kit.make({ name: `h38-${crypto.randomUUID()}`, identity: () => who, outbox: outbox(), timeout: 60_000 } as never) as Outboxed;
		const path = `/held-${crypto.randomUUID()}`;
		const { flushed, open } = await replayHeld(api, path);
		// The usual logout: bob signs out (or alice signs in), then the app clears what bob left.
		who = next;
		let cleared = false;
		const clearing = api.clear({ identity: 'bob' }).then(() => {
			cleared = true;
		});
		// Before: still pending (it waited for the drain's lock, held by bob's replay until the origin answered or it timed out).
		await expect.poll(() => cleared, { timeout: 3_000 }).toBe(true);
		open();
		await clearing;
		await flushed;
		// Nothing of bob's left, nor sent again.
		expect([await api.outbox.list(), kit.hits(path)]).toEqual([[], 1]);
		api.close();
	});
});

describe('a clear through one client of an extend() family while another\'s replay is in flight', () => {
	it.each([
		['clear()', undefined],
		['clear({ identity: \'bob\' })', { identity: 'bob' }],
	])('the parent\'s %s ends its child\'s replay of bob\'s write and resolves at once, never waiting for the origin\'s answer', async (_how, options) => {
		const parent = kit.make({ name: `h38-${crypto.randomUUID()}`, identity: () => 'alice', outbox: outbox(), timeout: 60_000 } as never) as Outboxed;
		const child = parent.extend({ identity: () => 'bob' }) as Outboxed;
		const path = `/held-${crypto.randomUUID()}`;
		const { flushed, open } = await replayHeld(child, path);
		let cleared = false;
		const clearing = parent.clear(options).then(() => {
			cleared = true;
		});
		// Before: still pending (it waited for the drain's lock, held by the child's pass until the origin answered or it timed out).
		await expect.poll(() => cleared, { timeout: 3_000 }).toBe(true);
		open();
		await clearing;
		await flushed;
		expect([await child.outbox.list(), kit.hits(path)]).toEqual([[], 1]);
		parent.close();
		child.close();
	});
});
