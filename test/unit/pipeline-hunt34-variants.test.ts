/**
 * Defect hunt, thirty-fourth round (the pipeline: identity and clears across the parts, one owner per call, bad input).
 * Each case failed on the sources before its fix.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { createClient as createPreset, memoryStore } from '../../src/entries/index.js';

const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

/** An object whose every trap throws: what an app's Proxy over options (a store's, a validation library's) may be. */
const hostile = (): object => new Proxy({}, Object.fromEntries(['get', 'has', 'ownKeys', 'getPrototypeOf', 'getOwnPropertyDescriptor'].map((trap) => [trap, () => {
	throw new Error(`${trap} trap`);
}])));

/** What making a client did: 'none', or the error's name (and the first words of its message). */
const thrown = (make: () => unknown): string => {
	try {
		make();
		return 'none';
	} catch (error) {
		return `${(error as Error).name}: ${(error as Error).message.split(':')[0]}`;
	}
};

describe('options that cannot be read (a Proxy whose traps throw) are a TypeError at createClient, extend() and create(), never the trap\'s error', () => {
	it('extend() given such headers, hooks, searchParams, retry or context, or such options whole; createClient given such options, context, or the preset\'s breaker, staleCache or retryBudget', async () => {
		const fetch = async (): Promise<Response> => new Response('ok');
		const api = createClient({ fetch });
		const preset = createPreset({ fetch, store: memoryStore, name: `hunt34-read-${Math.random()}` });
		const refused = 'TypeError: The client\'s options could not be read';
		// Before: the trap's own Error for each ('Error: get trap', 'Error: ownKeys trap', 'Error: has trap'), thrown by ky's
		// merge (extend), the preset's plain options read, the retry budget's, or ky's instance.
		expect([
			thrown(() => api.extend({ headers: hostile() as HeadersInit })),
			thrown(() => api.extend({ hooks: hostile() as never })),
			thrown(() => api.extend({ searchParams: hostile() as never })),
			thrown(() => api.extend({ retry: hostile() as never })),
			thrown(() => api.extend({ context: hostile() as never })),
			thrown(() => api.extend(hostile() as never)),
			thrown(() => api.extend(() => hostile() as never)),
			thrown(() => api.create(hostile() as never)),
			thrown(() => createClient(hostile() as never)),
			thrown(() => createClient({ fetch, context: hostile() as never })),
			thrown(() => createClient({ fetch, retryBudget: hostile() as never })),
			thrown(() => createPreset({ fetch, store: memoryStore, breaker: hostile() as never })),
			thrown(() => createPreset({ fetch, store: memoryStore, staleCache: hostile() as never })),
			thrown(() => preset.extend({ breaker: hostile() as never })),
		]).toEqual(Array.from({ length: 14 }, () => refused));
		// Options a Proxy passes through are read as any others; a policy's create() that throws is still its own error.
		const passing = createPreset({ fetch, store: memoryStore, breaker: new Proxy({ consecutiveFailures: 3 }, {}), staleCache: new Proxy({ maxStaleMs: 1_000 }, {}) });
		expect(thrown(() => api.extend({ headers: new Proxy({ 'x-a': '1' }, {}) }).close())).toBe('none');
		expect(thrown(() => createClient({ fetch, audit: { slot: 'audit', create: () => {
			throw new Error('mine');
		} } } as never))).toBe('Error: mine');
		expect(await code(passing.get('https://api.test/a'))).toBe('OK');
		passing.close();
		preset.close();
		api.close();
	});
});
