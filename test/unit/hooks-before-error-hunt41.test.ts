/**
 * Defect hunt, forty-first round (one owner per call): a ky `beforeError` hook that makes an error of the app's own of
 * the call's failure (`return new ApiError(…)`, ky's documented way) shapes what the caller gets, as in ky; the policies
 * still decide on the failure itself. The stale cache answered no 503 or network failure with its copy, the outbox queued
 * no write, `stats()` counted `UNKNOWN`: each classified the app's error (`UNKNOWN`, not transient), not the failure.
 */
import { replaceOption } from 'ky';
import { describe, expect, it } from 'vitest';
import { classify, createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { ApiError, copiedOrigin, staleOrError, toApiError } from '../helpers/api-error.js';

const clientWith = (fetch: typeof globalThis.fetch, extra: Record<string, unknown>) =>
	createClient({ fetch, retry: 0, store: memoryStore, name: `h41-before-error-${crypto.randomUUID()}`, outbox: outbox(), ...extra });

describe('a client\'s beforeError hook mapping the failure: the policies decide on the failure, the caller gets the hook\'s error', () => {
	it('a read with a stored copy is answered stale on a 503 and on a dropped connection', async () => {
		const { state, fetch } = copiedOrigin();
		const api = clientWith(fetch, { hooks: { beforeError: [toApiError] } });
		await api.get('https://api.test/items').json();
		state.status = 503;
		const on503 = await staleOrError(api.get('https://api.test/items'));
		state.status = 0;
		// Before: ['ApiError UNKNOWN', 'ApiError UNKNOWN'].
		expect([on503, await staleOrError(api.get('https://api.test/items'))]).toEqual(['200 stale', '200 stale']);
		api.close();
	});

	it('a write that fails on a 503 is queued in the outbox', async () => {
		const { state, fetch } = copiedOrigin();
		state.status = 503;
		const api = clientWith(fetch, { hooks: { beforeError: [toApiError] } });
		// Before: 'ApiError UNKNOWN' and nothing queued.
		expect(await staleOrError(api.post('https://api.test/notes', { json: { a: 1 } }))).toBe('OutboxQueuedError QUEUED');
		expect((await api.outbox.list()).length).toBe(1);
		api.close();
	});

	it('what no policy answers rejects with the hook\'s error, as ky\'s would; stats() counts the failure by its own code', async () => {
		const { state, fetch } = copiedOrigin();
		state.status = 503;
		const api = clientWith(fetch, { hooks: { beforeError: [toApiError] } });
		const error = await api.get('https://api.test/none').catch((thrown: unknown) => thrown as Error);
		expect([error instanceof ApiError, classify((error as Error).cause).code]).toEqual([true, 'HTTP_5XX']);
		// Before: { UNKNOWN: 1 }.
		expect(api.stats()['https://api.test']?.failures).toEqual({ HTTP_5XX: 1 });
		api.close();
	});

	it('the same, with the hook given per call, and with a call whose hooks replace the client\'s (`replaceOption`)', async () => {
		const { state, fetch } = copiedOrigin();
		const seen: string[] = [];
		const clients = [clientWith(fetch, {}), clientWith(fetch, { hooks: { beforeError: [() => void seen.push('client hook')] } })];
		for (const api of clients) {
			await api.get('https://api.test/items').json();
		}

		state.status = 503;
		const [plain, hooked] = clients as [ReturnType<typeof clientWith>, ReturnType<typeof clientWith>];
		expect(await staleOrError(plain.get('https://api.test/items', { hooks: { beforeError: [toApiError] } }))).toBe('200 stale');
		expect(await staleOrError(hooked.get('https://api.test/items', { hooks: replaceOption({ beforeError: [toApiError] }) }))).toBe('200 stale');
		expect(await staleOrError(hooked.get('https://api.test/none', { hooks: replaceOption({ beforeError: [toApiError] }) }))).toBe('ApiError UNKNOWN');
		// The client's own hook was replaced for those calls: never run.
		expect(seen).toEqual([]);
		for (const api of clients) {
			api.close();
		}
	});

	it('a hook that changes the error in place (its message) is as before: the caller gets it, the copy answers', async () => {
		const { state, fetch } = copiedOrigin();
		const api = clientWith(fetch, { hooks: { beforeError: [({ error }: { error: Error }) => Object.assign(error, { message: `changed: ${error.message}` })] } });
		await api.get('https://api.test/items').json();
		state.status = 503;
		expect(await staleOrError(api.get('https://api.test/items'))).toBe('200 stale');
		const error = await api.get('https://api.test/none').catch((thrown: unknown) => thrown as Error);
		expect([classify(error).code, (error as Error).message.startsWith('changed: ')]).toEqual(['HTTP_5XX', true]);
		api.close();
	});
});
