/**
 * Variants of steadfetch/tanstack-query's claims, with the real @tanstack/query-core: several
 * `followReachability` at once (each unsubscribe takes only its own back), `shown` with results
 * TanStack gives that hold no fetched data (a placeholder); the helpers given what they cannot use (a
 * QueryClient that is not one, a missing client, a `send` that is not a function): a TypeError naming
 * the helper at the call, never a failure later inside an event listener or a query.
 */
import { onlineManager, QueryClient } from '@tanstack/query-core';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import type { Client } from '../../src/entries/index.js';
import { followReachability, mutationOptionsFor, queryOptionsFor, refetchWhenBack } from '../../src/entries/tanstack-query.js';

describe('tanstack-query helpers: bad arguments', () => {
	it('a TypeError naming the helper at the call (refetchWhenBack, followReachability, queryOptionsFor, mutationOptionsFor), not a throw from a listener later', () => {
		const api = createClient({ prefix: 'https://api.example.test/v1/' });
		const queryClient = new QueryClient();
		// `useQueryClient` itself instead of its result, an adapter's hook, nothing: none is a QueryClient.
		for (const wrong of [{}, undefined, () => queryClient]) {
			expect(() => refetchWhenBack(api, wrong as never)).toThrow(TypeError);
			expect(() => refetchWhenBack(api, wrong as never)).toThrow(/refetchWhenBack/);
		}

		expect(() => refetchWhenBack(undefined as never, queryClient)).toThrow(/refetchWhenBack/);
		expect(() => followReachability(api, undefined as never, 'https://api.example.test')).toThrow(/followReachability/);
		expect(() => followReachability({} as never, onlineManager, 'https://api.example.test')).toThrow(/followReachability/);
		expect(() => queryOptionsFor(undefined as never, 'users/1')).toThrow(/queryOptionsFor/);
		expect(() => mutationOptionsFor(5 as never)).toThrow(/mutationOptionsFor/);
		// What they take still works.
		refetchWhenBack(api, queryClient)();
		expect(typeof queryOptionsFor(api, 'users/1').queryFn).toBe('function');
		expect(typeof mutationOptionsFor(async () => new Response(null)).mutationFn).toBe('function');
		api.close();
	});
});

type Reachability = ReturnType<Client['reachability']>;

/** A stand-in client whose scope's reachability the test sets (`reach`), telling its listeners as the client does. */
const standIn = (state: Reachability) => {
	const listeners = new Set<() => void>();
	return {
		reachability: () => state,
		on: (_type: 'reachability', listener: () => void) => {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		reach(next: Reachability): void {
			state = next;
			for (const listener of listeners) {
				listener();
			}
		},
		listening: () => listeners.size,
	};
};

describe('followReachability, more than one at a time', () => {
	const stops: Array<() => void> = [];
	afterEach(() => {
		for (const stop of stops.splice(0)) {
			stop();
		}

		onlineManager.setOnline(true);
	});

	it('the unsubscribe of a follow another one replaced leaves that other one in place; the last one\'s gives the one before back, then navigator.onLine', () => {
		stops.push(onlineManager.subscribe(() => undefined));
		const first = standIn('reachable');
		const second = standIn('unreachable');
		const offFirst = followReachability(first as never, onlineManager, 'https://a.example');
		const offSecond = followReachability(second as never, onlineManager, 'https://b.example');
		expect(onlineManager.isOnline()).toBe(false); // the second is followed
		offFirst();
		expect([onlineManager.isOnline(), second.listening()]).toEqual([false, 1]); // before: [true, 0] (navigator.onLine)
		second.reach('reachable');
		expect(onlineManager.isOnline()).toBe(true);
		second.reach('offline');
		expect(onlineManager.isOnline()).toBe(false);
		offFirst(); // twice: nothing more
		expect(onlineManager.isOnline()).toBe(false);
		offSecond();
		expect([onlineManager.isOnline(), first.listening(), second.listening()]).toEqual([true, 0, 0]); // Node: no navigator.onLine, online

		// Two again: the last one's unsubscribe gives the one before back (still subscribed, still followed).
		const third = standIn('unreachable');
		const offThird = followReachability(third as never, onlineManager, 'https://c.example');
		const offFourth = followReachability(standIn('reachable') as never, onlineManager, 'https://d.example');
		expect(onlineManager.isOnline()).toBe(true);
		offFourth();
		expect([onlineManager.isOnline(), third.listening()]).toEqual([false, 1]);
		offThird();
		expect([onlineManager.isOnline(), third.listening()]).toEqual([true, 0]);
	});
});
