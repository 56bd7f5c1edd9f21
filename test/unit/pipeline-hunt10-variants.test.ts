/**
 * Defect hunt, tenth round (area C, an open pipeline with one owner per call): API.md "Your own
 * policies": "A policy's faults stay its own: a band that is not a finite number … is a TypeError
 * naming the slot at createClient; a create() that throws makes createClient throw it (parts already
 * made are closed)", and README "a part that should be a function and is not (`layer`, `wrap`, …) is
 * a TypeError naming the slot".
 */
import { describe, expect, it } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import type { Policy } from '../../src/entries/policy.js';

const ok = (async () => new Response('ok')) as typeof fetch;

describe('a layer that makes no per-attempt function, or throws as the client composes it', () => {
	const made = (slot: string, closed: string[]): Policy => ({ slot, create: () => ({ close: () => closed.push(slot) }) });

	it('a layer(next) that gives back no function (a number, undefined, an object) is a TypeError naming the slot at createClient, the parts made closed; not a client whose every call fails with "(intermediate value) is not a function"', async () => {
		for (const returned of [5, undefined, {}]) {
			const closed: string[] = [];
			const make = () => createCore({ prefix: 'https://api.example.com/', fetch: ok, first: made('first', closed), broken: { slot: 'broken', create: () => ({ layer: () => returned }) } } as never);
			let error: unknown;
			try {
				const api = make();
				error = await api.get('x').then(() => 'resolved', (failure: unknown) => `call failed: ${(failure as Error).message}`); // before: 'call failed: (intermediate value)(intermediate value)(intermediate value) is not a function'
				api.close();
			} catch (caught) {
				error = caught;
			}

			expect([returned, error instanceof TypeError && (error as Error).message]).toEqual([returned, expect.stringMatching(/`broken` policy's `layer`/)]);
			expect(closed).toEqual(['first']);
		}
	});

	it('a layer(next) that throws makes createClient throw it with every part made closed, as a create() that throws does', () => {
		const closed: string[] = [];
		const fault = new Error('cannot compose');
		const make = () => createCore({ fetch: ok, first: made('first', closed), broken: { slot: 'broken', create: () => ({ layer: () => { throw fault; }, close: () => closed.push('broken') }) }, last: made('last', closed) } as never);
		expect(make).toThrow(fault);
		expect(closed.sort()).toEqual(['broken', 'first', 'last']); // before: []
	});

	it('an option ky refuses as the client is made (a `context` that is no object) throws ky\'s TypeError with every part made closed', () => {
		for (const context of [5, [], 'ctx']) {
			const closed: string[] = [];
			expect(() => createCore({ fetch: ok, context, first: made('first', closed), last: made('last', closed) } as never)).toThrow(TypeError);
			expect([context, closed.sort()]).toEqual([context, ['first', 'last']]); // before: []
		}
	});
});
