/**
 * steadfetch/tanstack-query's helpers given what they cannot use (a QueryClient that is not one, a
 * missing client, a `send` that is not a function): a TypeError naming the helper at the call, as
 * `syncInvalidation` gives, never a failure later inside an event listener or a query.
 */
import { onlineManager, QueryClient } from '@tanstack/query-core';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
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
