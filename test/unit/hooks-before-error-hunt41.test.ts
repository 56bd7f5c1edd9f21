/**
 * Defect hunt, forty-first round (one owner per call): a ky `beforeError` hook that makes an error of the app's own of
 * the call's failure (`return new ApiError(…)`, ky's documented way) shapes what the caller gets, as in ky; the policies
 * still decide on the failure itself. The stale cache answered no 503 or network failure with its copy, the outbox queued
 * no write, `stats()` counted `UNKNOWN`: each classified the app's error (`UNKNOWN`, not transient), not the failure.
 */
import { replaceOption } from 'ky';
import { describe, expect, it } from 'vitest';
import { classify, createClient, isStale, memoryStore, outbox } from '../../src/entries/index.js';

class ApiError extends Error {
	override name = 'ApiError';
}

const toApiError = ({ error }: { error: Error }): Error => new ApiError(`api: ${error.message}`, { cause: error });

const outcomeOf = (call: Promise<Response>): Promise<string> =>
	call.then((response) => `${response.status}${isStale(response) ? ' stale' : ''}`, (error: Error) => `${error.name} ${classify(error).code}`);

/** An origin that answers JSON a copy is kept of while `state.status` is 200, else that status (0: a dropped connection). */
const origin = () => {
	const state = { status: 200 };
	const fetch = (async () => {
		if (state.status === 0) {
			throw new TypeError('fetch failed');
		}

		return Response.json({ n: 1 }, { status: state.status, headers: { 'cache-control': 'max-age=0' } });
	}) as typeof globalThis.fetch;
	return { state, fetch };
};

const clientWith = (fetch: typeof globalThis.fetch, extra: Record<string, unknown>) =>
	createClient({ fetch, retry: 0, store: memoryStore, name: `h41-before-error-${crypto.randomUUID()}`, outbox: outbox(), ...extra });

describe('a client\'s beforeError hook mapping the failure: the policies decide on the failure, the caller gets the hook\'s error', () => {
	it('a read with a stored copy is answered stale on a 503 and on a dropped connection', async () => {
		const { state, fetch } = origin();
		const api = clientWith(fetch, { hooks: { beforeError: [toApiError] } });
		await api.get('https://api.test/items').json();
		state.status = 503;
		const on503 = await outcomeOf(api.get('https://api.test/items'));
		state.status = 0;
		// Before: ['ApiError UNKNOWN', 'ApiError UNKNOWN'].
		expect([on503, await outcomeOf(api.get('https://api.test/items'))]).toEqual(['200 stale', '200 stale']);
		api.close();
	});

	it('a write that fails on a 503 is queued in the outbox', async () => {
		const { state, fetch } = origin();
		state.status = 503;
		const api = clientWith(fetch, { hooks: { beforeError: [toApiError] } });
		// Before: 'ApiError UNKNOWN' and nothing queued.
		expect(await outcomeOf(api.post('https://api.test/notes', { json: { a: 1 } }))).toBe('OutboxQueuedError QUEUED');
		expect((await api.outbox.list()).length).toBe(1);
		api.close();
	});

	it('what no policy answers rejects with the hook\'s error, as ky\'s would; stats() counts the failure by its own code', async () => {
		const { state, fetch } = origin();
		state.status = 503;
		const api = clientWith(fetch, { hooks: { beforeError: [toApiError] } });
		const error = await api.get('https://api.test/none').catch((thrown: unknown) => thrown as Error);
		expect([error instanceof ApiError, classify((error as Error).cause).code]).toEqual([true, 'HTTP_5XX']);
		// Before: { UNKNOWN: 1 }.
		expect(api.stats()['https://api.test']?.failures).toEqual({ HTTP_5XX: 1 });
		api.close();
	});

	it('the same, with the hook given per call, and with a call whose hooks replace the client\'s (`replaceOption`)', async () => {
		const { state, fetch } = origin();
		const seen: string[] = [];
		const clients = [clientWith(fetch, {}), clientWith(fetch, { hooks: { beforeError: [() => void seen.push('client hook')] } })];
		for (const api of clients) {
			await api.get('https://api.test/items').json();
		}

		state.status = 503;
		const [plain, hooked] = clients as [ReturnType<typeof clientWith>, ReturnType<typeof clientWith>];
		expect(await outcomeOf(plain.get('https://api.test/items', { hooks: { beforeError: [toApiError] } }))).toBe('200 stale');
		expect(await outcomeOf(hooked.get('https://api.test/items', { hooks: replaceOption({ beforeError: [toApiError] }) }))).toBe('200 stale');
		expect(await outcomeOf(hooked.get('https://api.test/none', { hooks: replaceOption({ beforeError: [toApiError] }) }))).toBe('ApiError UNKNOWN');
		// The client's own hook was replaced for those calls: never run.
		expect(seen).toEqual([]);
		for (const api of clients) {
			api.close();
		}
	});

	it('a hook that changes the error in place (its message) is as before: the caller gets it, the copy answers', async () => {
		const { state, fetch } = origin();
		const api = clientWith(fetch, { hooks: { beforeError: [({ error }: { error: Error }) => Object.assign(error, { message: `changed: ${error.message}` })] } });
		await api.get('https://api.test/items').json();
		state.status = 503;
		expect(await outcomeOf(api.get('https://api.test/items'))).toBe('200 stale');
		const error = await api.get('https://api.test/none').catch((thrown: unknown) => thrown as Error);
		expect([classify(error).code, (error as Error).message.startsWith('changed: ')]).toEqual(['HTTP_5XX', true]);
		api.close();
	});
});
