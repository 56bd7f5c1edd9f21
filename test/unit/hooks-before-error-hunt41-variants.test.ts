/**
 * Neighbours of hooks-before-error-hunt41: the client's `beforeError` hooks as an `extend()` child inherits them (both
 * forms), cleared per call (`beforeError: undefined`, as ky reads it), and the app's own layer's error mapped by them.
 */
import { describe, expect, it } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { createClient, memoryStore, SteadfetchError } from '../../src/entries/index.js';
import type { Policy } from '../../src/entries/policy.js';
import { copiedOrigin, staleOrError, toApiError } from '../helpers/api-error.js';

describe('beforeError hooks mapping the failure: neighbours', () => {
	for (const form of ['object', 'function'] as const) {
		it(`an extend() child (${form} form) inherits the hook: its copy answers, what none answers is the hook's error`, async () => {
			const { state, fetch } = copiedOrigin();
			const parent = createClient({ fetch, retry: 0, store: memoryStore, name: `h41-be-${crypto.randomUUID()}`, hooks: { beforeError: [toApiError] } });
			const child = form === 'object' ? parent.extend({ headers: { 'x-child': '1' } }) : parent.extend((options) => ({ ...options, headers: { 'x-child': '1' } }));
			await child.get('https://api.test/items').json();
			state.status = 503;
			expect([await staleOrError(child.get('https://api.test/items')), await staleOrError(child.get('https://api.test/none'))]).toEqual(['200 stale', 'ApiError UNKNOWN']);
			child.close();
			parent.close();
		});
	}

	it('a call that clears the client\'s hooks (`hooks: { beforeError: undefined }`) gets ky\'s own error, as with ky', async () => {
		const { state, fetch } = copiedOrigin();
		state.status = 503;
		const api = createClient({ fetch, retry: 0, store: memoryStore, hooks: { beforeError: [toApiError] } });
		expect(await staleOrError(api.get('https://api.test/none', { hooks: { beforeError: undefined } as never }))).toBe('HTTPError HTTP_5XX');
		expect(await staleOrError(api.get('https://api.test/none'))).toBe('ApiError UNKNOWN');
		api.close();
	});

	it('a call with no policy to answer it (the core, nothing filled): the caller gets the hook\'s error, stats() counts the failure', async () => {
		const { state, fetch } = copiedOrigin();
		state.status = 503;
		const api = createCore({ fetch, retry: 0, hooks: { beforeError: [toApiError] } });
		expect(await staleOrError(api.get('https://api.test/none'))).toBe('ApiError UNKNOWN');
		expect(api.stats()['https://api.test']?.failures).toEqual({ HTTP_5XX: 1 });
		api.close();
	});

	it('an app policy\'s transient error from its layer, mapped by the hook: the copy answers it, as without the hook', async () => {
		const { fetch } = copiedOrigin();
		let refuse = false;
		const gate: Policy<'gate'> = {
			slot: 'gate',
			create: () => ({ layer: (next) => (request, init) => (refuse ? Promise.reject(new SteadfetchError('gate closed', 'GATE_CLOSED' as never, true)) : next(request, init)) }),
		} as Policy<'gate'>;
		const api = createClient({ fetch, retry: 0, store: memoryStore, name: `h41-be-${crypto.randomUUID()}`, hooks: { beforeError: [toApiError] }, gate } as never);
		await api.get('https://api.test/items').json();
		refuse = true;
		expect(await staleOrError(api.get('https://api.test/items'))).toBe('200 stale');
		api.close();
	});
});
