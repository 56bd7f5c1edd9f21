/**
 * Defect hunt, forty-second round (the open pipeline), variants: an app's slot is ours as a built-in's is (API.md "The
 * built-in policies are not special"). A client that `extend()` made with the slot turned off (`{ audit: false }`, as
 * `{ breaker: false }` turns a built-in off) knows the key as a slot: neither that `false` nor a call's `{ audit: false }`
 * is handed to ky as an unknown option, which ky forwards to `fetch` (a custom `fetch` saw `init.audit`) and its hooks.
 */
import { describe, expect, it } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { breaker } from '../../src/entries/breaker.js';
import type { Policy, PolicyParts } from '../../src/entries/policy.js';

/** A `fetch` that notes the keys of each `init` it is given, besides the core's own `steadfetch`. */
const noting = () => {
	const keys: string[] = [];
	const fetch = ((_request: Request, init?: Record<string, unknown>) => {
		keys.push(Object.keys(init ?? {}).filter((key) => key !== 'steadfetch').join(',') || '-');
		return Promise.resolve(new Response('ok'));
	}) as typeof globalThis.fetch;
	return { keys, fetch };
};

/** An app policy with a wrapper and a layer, each noting that it ran. */
const audit = (ran: string[]): Policy<'audit'> => ({
	slot: 'audit',
	create: (): PolicyParts => ({
		wrap: (_call, next) => {
			ran.push('wrap');
			return next();
		},
		layer: (next) => (request, init) => {
			ran.push('layer');
			return next(request, init);
		},
	}),
}) as Policy<'audit'>;

describe('extend({ [slot]: false }): the slot stays ours', () => {
	it('an app slot turned off by extend() reaches neither fetch nor ky, also per call and in a grandchild', async () => {
		const { keys, fetch } = noting();
		const ran: string[] = [];
		const api = createCore({ fetch, retry: 0, audit: audit(ran) });
		const child = api.extend({ audit: false } as never);
		await child.get('https://api.test/a');
		await child.get('https://api.test/b', { audit: false } as never);
		await child.extend({}).get('https://api.test/c');
		// Before: ["audit","audit","audit"] (each call's `fetch` was given `audit: false`).
		expect(JSON.stringify({ keys, ran })).toBe(JSON.stringify({ keys: ['-', '-', '-'], ran: [] }));
		api.close();
	});

	it('as a built-in slot turned off so (core: `breaker: false`) never did', async () => {
		const { keys, fetch } = noting();
		const api = createCore({ fetch, retry: 0, breaker: breaker() });
		const child = api.extend({ breaker: false });
		await child.get('https://api.test/a');
		await child.get('https://api.test/b', { breaker: false });
		expect(keys).toEqual(['-', '-']);
		api.close();
	});

	it('an unknown option of the app\'s is still handed to fetch, as ky hands it (a fetch extension)', async () => {
		const { keys, fetch } = noting();
		const api = createCore({ fetch, retry: 0, audit: audit([]) });
		const child = api.extend({ audit: false } as never);
		await child.get('https://api.test/a', { decompress: false } as never);
		expect(keys).toEqual(['decompress']);
		api.close();
	});
});
