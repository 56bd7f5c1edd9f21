/**
 * steadfetch/tanstack-query (defect hunt, thirty-fifth round).
 *
 * - `followReachability`: while the followed scope was unreachable, every `reachability` event (of any scope) planned
 *   the 10 s probe anew, so another origin that changed more often than every 10 s kept TanStack paused for ever.
 */
import { onlineManager } from '@tanstack/query-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { followReachability } from '../../src/entries/tanstack-query.js';

afterEach(() => {
	vi.useRealTimers();
	onlineManager.setOnline(true);
});

describe('followReachability: another scope\'s reachability events never hold back the followed scope\'s probe', () => {
	it('while a.example is unreachable and b.example changes every 4 s, TanStack is still told online for a moment once every 10 s', () => {
		vi.useFakeTimers();
		const states = new Map<string, string>([['https://a.example', 'unreachable'], ['https://b.example', 'reachable']]);
		const listeners = new Set<() => void>();
		const api = {
			reachability: (scope: string) => states.get(scope) ?? 'unknown',
			on: (_type: 'reachability', listener: () => void) => (listeners.add(listener), () => listeners.delete(listener)),
		};
		const probes: boolean[] = [];
		const unsubscribe = onlineManager.subscribe((online) => online && probes.push(online));
		const off = followReachability(api as never, onlineManager, 'https://a.example');
		try {
			expect(onlineManager.isOnline()).toBe(false);
			for (let second = 4; second <= 44; second += 4) {
				vi.advanceTimersByTime(4_000);
				states.set('https://b.example', states.get('https://b.example') === 'reachable' ? 'unreachable' : 'reachable');
				for (const listener of listeners) {
					listener();
				}
			}

			// 44 s of a.example unreachable: a probe (online for a moment) at about 10, 20, 30 and 40 s.
			expect(probes.length).toBe(4); // before: 0 (each event of b.example planned the probe 10 s later again)
		} finally {
			off();
			unsubscribe();
		}
	});
});
