/**
 * Variants of API.md "Work that outlives its caller" and "Identity" (defect hunt, thirteenth round).
 */
import { describe, expect, it, vi } from 'vitest';
import { isStale, type CallOptions, type ClientOptions } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { collect, settle, useCacheKit } from './cache-kit.js';

const kit = useCacheKit();

const detail = (response: Response): string | undefined => response.headers.get('cache-status')?.split('detail=')[1];

/**
 * A transport over the real one that counts its attempts; `network: false` fails them as an offline device does;
 * `expired: true` answers a 200 that the app's `afterResponse` hook rejects (a session ended: `X-Session: expired`).
 */
const device = () => {
	const state = { attempts: 0, network: true, expired: false };
	const fetch = async (input: unknown, init?: RequestInit): Promise<Response> => {
		state.attempts++;
		if (!state.network) {
			throw new TypeError('Failed to fetch');
		}

		if (state.expired) {
			return Response.json({ error: 'session expired' }, { headers: { 'x-session': 'expired' } });
		}

		return globalThis.fetch(input as Request, init);
	};

	return { state, fetch: fetch as typeof globalThis.fetch };
};

/** The app's check of every answer: a 200 that says the session ended is an error, never data. */
const rejectExpired = ({ response }: { response: Response }): void => {
	if (response.headers.get('x-session') === 'expired') {
		throw new Error('session expired');
	}
};

describe('the offline read\'s background attempt answered with what the caller\'s afterResponse hooks reject', () => {
	it.each<[string, string, ClientOptions | 'extend', CallOptions]>([
		['the client\'s hook', 'h13/offline/1', { hooks: { afterResponse: [rejectExpired] } }, {}],
		['the call\'s hook', 'h13/offline/2', {}, { hooks: { afterResponse: [rejectExpired] } }],
		['a hook extend() added', 'h13/offline/3', 'extend', {}],
	])('%s: the answer is not stored, the copy stays as it was', async (_, path, clientOptions, callOptions) => {
		const { state, fetch } = device();
		const api = clientOptions === 'extend' ? kit.make({ fetch }).extend({ hooks: { afterResponse: [rejectExpired] } }) : kit.make({ fetch, ...clientOptions });
		const stored = collect(api, 'cache:stored');
		expect(await api.get(path, callOptions).json()).toMatchObject({ n: 1 });
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		// Online, such an answer is the hook's error and is never stored.
		kit.clock.advance(1_000);
		state.expired = true;
		await expect(api.get(path, callOptions)).rejects.toThrow('session expired');
		await settle();
		expect(stored).toHaveLength(1);
		// Offline: the copy answers at once, and the scope's attempt goes out behind it; it gets the answer the hook rejects.
		kit.clock.advance(1_000);
		vi.stubGlobal('navigator', { onLine: false });
		const first = await api.get(path, callOptions);
		expect([isStale(first), detail(first)]).toEqual([true, 'offline']);
		await vi.waitFor(() => expect(state.attempts).toBe(3));
		await vi.waitFor(() => expect(api.reachability(kit.url)).toBe('reachable')); // Its answer came back…
		await settle();
		// …and was not stored. Before: cache:stored a second time, and the copy served next was { error: 'session expired' }.
		expect(stored).toHaveLength(1);
		state.network = false;
		const served = await api.get(path, callOptions);
		expect([isStale(served), await served.json()]).toEqual([true, expect.objectContaining({ n: 1 })]);
		api.close();
	});
});

describe('the offline read\'s background attempt of a service worker\'s fetchHandler (whose own hook only watches the answers)', () => {
	it('still replaces the copy with its good answer, as without a hook', async () => {
		vi.stubGlobal('location', new URL(`${kit.url}/sw.js`));
		const { state, fetch } = device();
		const api = kit.make({ fetch, staleCache: { shared: false } });
		const handle = fetchHandler(api, { match: () => true });
		const read = async (): Promise<Response> => {
			let answered: Promise<Response> | undefined;
			handle({ request: new Request(`${kit.url}/h13/sw/1`), respondWith: (response: Response | Promise<Response>) => {
				answered = Promise.resolve(response);
			} } as never);
			return answered!;
		};

		const stored = collect(api, 'cache:stored');
		expect(await (await read()).json()).toMatchObject({ n: 1 });
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		kit.clock.advance(1_000);
		vi.stubGlobal('navigator', { onLine: false });
		const first = await read();
		expect([isStale(first), detail(first)]).toEqual([true, 'offline']);
		await vi.waitFor(() => expect(stored).toHaveLength(2)); // the background attempt's answer replaced the copy
		state.network = false;
		const served = await read();
		expect([isStale(served), await served.json()]).toEqual([true, expect.objectContaining({ n: 2 })]);
		api.close();
	});
});
