/**
 * dedupe (defect hunt, fifteenth round): a call that joined another's request gets the outcome of
 * its own call. The shared request goes out as its first caller's attempt, and is refused when that
 * caller's world says no further attempt of it may go (`ABORTED`: a logout since it started, or its
 * stale copy answered it and the client was cleared). A joiner whose own world lets its first attempt
 * go (a call made while nobody was signed in, somebody signing in since) is not told ABORTED for the first
 * caller: it sends its own. One whose own world refuses it too (an identity changed, an attempt of it went
 * out already, a clear() since it was made: auth-hunt27-variants.test.ts) is told ABORTED, as without dedupe.
 */
import { describe, expect, it, vi } from 'vitest';
import type { CoreClientOptions as ClientOptions } from '../../src/entries/core.js';
import { memoryStore } from '../../src/entries/index.js';
import { staleCache } from '../../src/entries/cache.js';
import { holdGate } from '../helpers/hold-gate.js';
import { code, oneSlotScope } from './dedupe-kit.js';

/**
 * A client whose scope takes one request at a time (dedupe-kit.ts `oneSlotScope`), its answers `max-age=0`: `/block`
 * holds the slot while `gate` is shut; `/a` answers `firstStatus` to its first request, then 200.
 */
const setup = (options: ClientOptions = {}, firstStatus = 503) => oneSlotScope(options, firstStatus, { 'cache-control': 'max-age=0' });

describe('dedupe: a joiner is not told ABORTED for the first caller\'s world', () => {
	it('made while nobody was signed in: a call that joined a retry refused after a sign-in sends its own (its first attempt)', async () => {
		const signIn = { who: undefined as string | undefined };
		const { api, sent, retrying, join, settle } = setup({ identity: () => signIn.who });
		const { calls: [first], blocker } = await retrying([async () => api.get('https://api.test/a')]);
		const [joiner] = await join();
		await settle(blocker, () => {
			signIn.who = 'bob';
		});
		// The first caller's retry is refused (its first attempt went out before the sign-in); the joiner's first attempt goes.
		expect(await first).toBe('ABORTED');
		// Before: 'ABORTED' — the first caller's refusal handed to the call that joined it.
		expect(await joiner).toBe(200);
		expect(sent).toEqual(['/a', '/block', '/a']);
		api.close();
	}, 20_000);

	it('the first caller aborted, then a sign-in: a joiner made while nobody was signed in sends its own', async () => {
		const signIn = { who: undefined as string | undefined };
		const { api, sent, retrying, join, settle } = setup({ identity: () => signIn.who });
		const controller = new AbortController();
		const { calls: [first], blocker } = await retrying([async () => api.get('https://api.test/a', { signal: controller.signal })]);
		const [joiner] = await join();
		controller.abort();
		expect(await first).toBe('ABORTED');
		await settle(blocker, () => {
			signIn.who = 'bob';
		});
		// Before: 'ABORTED' — the request went on for the joiner, then was refused for the first caller's world.
		expect(await joiner).toBe(200);
		expect(sent).toEqual(['/a', '/block', '/a']);
		api.close();
	}, 20_000);

	it('the first caller answered by its stale copy, then a sign-in: a joiner made while nobody was signed in sends its own', async () => {
		const signIn = { who: undefined as string | undefined };
		const { api, gate, sent, queued, join, settle } = setup({ identity: () => signIn.who, name: `d15-${Math.random()}`, store: memoryStore, staleCache: staleCache({ networkTimeoutMs: 40 }) }, 200);
		const stored = new Promise((resolve) => api.on('cache:stored', resolve));
		await api.get('https://api.test/a').text();
		await stored;
		gate.hold();
		const blocker = api.get('https://api.test/block');
		await vi.waitFor(() => expect(sent).toEqual(['/a', '/block']), { timeout: 5000 });
		// The first caller's copy answers it at its deadline, while its request waits for the slot.
		const made = api.get('https://api.test/a');
		await vi.waitFor(() => expect(queued()).toBe(1), { timeout: 5000 });
		expect(await (await made).text()).toBe('1');
		// The joiner's own deadline is far: what it gets is its request's answer.
		const [joiner] = await join({ staleCache: { networkTimeoutMs: 10_000 } });
		await settle(blocker, () => {
			signIn.who = 'bob';
		});
		// Before: 'ABORTED' — the stale-answered first caller's refusal (its request may not outlive a clear) handed to the joiner.
		expect(await joiner).toBe(200);
		expect(sent).toEqual(['/a', '/block', '/a']);
		api.close();
	}, 20_000);

	it('with an identity: after a logout the joiner of the same identity is told ABORTED (its own attempt is refused too)', async () => {
		let who = 'alice';
		const { api, sent, retrying, join, settle } = setup({ identity: () => who });
		const { calls: [first], blocker } = await retrying([async () => api.get('https://api.test/a')]);
		const [joiner] = await join();
		await settle(blocker, () => {
			who = 'bob';
		});
		expect([await first, await joiner]).toEqual(['ABORTED', 'ABORTED']);
		// Nothing of alice's went out after the switch.
		expect(sent).toEqual(['/a', '/block']);
		api.close();
	}, 20_000);

	it('without identity, a joiner whose first attempt went out (shared) has its retry refused after clear()', async () => {
		const { api, sent, shared, retrying, settle } = setup();
		// Two identical calls: the second joins the first's first attempt (503), then their retries share one request.
		const { calls, blocker } = await retrying([async () => api.get('https://api.test/a'), async () => api.get('https://api.test/a')]);
		await vi.waitFor(() => expect(shared()).toBe(2), { timeout: 5000 });
		await settle(blocker);
		expect(await Promise.all(calls)).toEqual(['ABORTED', 'ABORTED']);
		expect(sent).toEqual(['/a', '/block']);
		api.close();
	}, 20_000);
});

describe('dedupe: a call whose first attempt was shared has gone out', () => {
	it.each([['a 503', 503], ['a network failure', 0]])('without identity, its retry after clear() is refused, as without dedupe (the shared attempt got %s; the retry went alone)', async (_, status) => {
		const { api, first, sent, shared } = setup({}, status);
		const retry = holdGate();
		retry.hold();
		// The joiner's retry waits for `retry` (its own beforeRetry hook: no part of what tells calls apart).
		const joinerOptions = { hooks: { beforeRetry: [async () => retry.held()] } };
		first.hold();
		const calls = [code(api.get('https://api.test/a'))];
		await vi.waitFor(() => expect(sent).toEqual(['/a']), { timeout: 5000 });
		calls.push(code(api.get('https://api.test/a', joinerOptions)));
		await vi.waitFor(() => expect(shared()).toBe(1), { timeout: 5000 });
		first.release();
		// Both get the failure; the first caller's retry goes out and is answered (200) while the joiner's waits.
		expect(await calls[0]).toBe(200);
		await api.clear();
		retry.release();
		// Before: 200 — the joiner's retry went out after the clear(): its first attempt had gone out as the other's.
		expect(await calls[1]).toBe('ABORTED');
		expect(sent).toEqual(['/a', '/a']);
		api.close();
	}, 20_000);
});
