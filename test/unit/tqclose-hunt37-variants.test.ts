/**
 * steadfetch/tanstack-query and the client's close() (defect hunt, thirty-seventh round).
 *
 * - `followReachability` after `api.close()`: the client no longer told its reachability (its listeners dropped), yet
 *   `reachability()` still said `unreachable`, so the helper's 10 s probe found TanStack offline again each time and
 *   `onlineManager` stayed offline for good. Now `unknown` once no client of its `extend()` family is open (one still
 *   open follows the shared state, which the closed one still reads: recovery-hunt17).
 */
import { onlineManager } from '@tanstack/query-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { followReachability } from '../../src/entries/tanstack-query.js';

const origin = 'https://tq-close.example';

afterEach(() => {
	vi.useRealTimers();
	onlineManager.setOnline(true);
});

const unreachableClient = async () => {
	const api = createClient({
		prefix: origin,
		retry: 0,
		store: memoryStore,
		fetch: async () => {
			throw new TypeError('fetch failed');
		},
	});
	for (let i = 0; i < 2; i++) {
		await api.get('a').catch(() => undefined);
	}

	return api;
};

describe('followReachability after the client closed', () => {
	it('TanStack is online again within the 10 s probe once the followed client closed (it tells nothing more)', async () => {
		const api = await unreachableClient();
		expect(api.reachability(origin)).toBe('unreachable');
		vi.useFakeTimers();
		const off = followReachability(api, onlineManager, origin);
		try {
			expect(onlineManager.isOnline()).toBe(false);
			api.close();
			vi.advanceTimersByTime(10_001);
			expect(onlineManager.isOnline()).toBe(true); // before: false (still `unreachable`, the probe paused it again)
			// And no probe timer is left running.
			expect(vi.getTimerCount()).toBe(0);
		} finally {
			off();
		}
	});

	it('a closed client\'s reachability() is `unknown` once no client of its extend() family is open, a bad scope still an InvalidRequestError', async () => {
		const api = await unreachableClient();
		const child = api.extend({ headers: { 'x-child': '1' } });
		api.close();
		// The child still follows the shared state: the closed parent reads it.
		expect(api.reachability(origin)).toBe('unreachable');
		child.close();
		expect(api.reachability(origin)).toBe('unknown'); // before: 'unreachable', for good
		expect(child.reachability(origin)).toBe('unknown');
		expect(() => api.reachability(42 as never)).toThrow(expect.objectContaining({ name: 'InvalidRequestError' }));
	});
});
