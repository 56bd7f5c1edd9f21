/**
 * Defect hunt, nineteenth round: the stale cache at its edges (API.md "Responses served from the stale cache",
 * "Boundaries", "Your own policies"). Each test names the claim it holds the code to.
 */
import { describe, expect, it } from 'vitest';
import { createClient, isStale, memoryStore, type ClientOptions } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { next } from './cache-kit.js';

/** A client whose origin answers `{ credentials }` (the mode the request went with), or, while `refuse` is set, fails as a dropped connection. */
const origin = (name: string, options: ClientOptions = {}) => {
	const state = { refuse: false };
	const api = createClient({
		name, clock: new ManualClock(), store: () => memoryStore(name), retry: 0, breaker: false, ...options,
		fetch: async (input: Parameters<typeof fetch>[0]) => {
			if (state.refuse) {
				throw new TypeError('fetch failed');
			}

			return Response.json({ credentials: (input as Request).credentials });
		},
	});
	return { api, state };
};

type Api = ReturnType<typeof origin>['api'];

/** `api`'s GET of `url` with these options, read whole, and its copy stored. */
const primed = async (api: Api, url: string, options: Record<string, unknown> = {}): Promise<void> => {
	const stored = next(api, 'cache:stored');
	await api.get(url, options).text();
	await stored;
};

/** What a GET of `url` got while the origin refuses: the copy's `credentials`, or the error's name. */
const whileDown = async ({ api, state }: ReturnType<typeof origin>, url: string, options: Record<string, unknown> = {}): Promise<string> => {
	state.refuse = true;
	try {
		const response = await api.get(url, options);
		return isStale(response) ? `stale ${(await response.json() as { credentials: string }).credentials}` : 'fresh';
	} catch (error) {
		return (error as Error).name;
	} finally {
		state.refuse = false;
	}
};

describe('a copy answers only the request it is of: the `credentials` mode is part of it (API.md "Boundaries": "Two users, tenants or credential modes never share a response")', () => {
	it('a copy of a `credentials: \'include\'` call (cookies sent) never answers a `credentials: \'omit\'` one, nor the reverse; each answers its own mode', async () => {
		const client = origin('modes');
		await primed(client.api, 'https://a.test/me', { credentials: 'include' });
		// Before: 'stale include' (the cookie-authenticated answer, to a call made without cookies).
		expect(await whileDown(client, 'https://a.test/me', { credentials: 'omit' })).toBe('NetworkError');
		expect(await whileDown(client, 'https://a.test/me', { credentials: 'include' })).toBe('stale include');

		await primed(client.api, 'https://a.test/public', { credentials: 'omit' });
		// Before: 'stale omit'.
		expect(await whileDown(client, 'https://a.test/public', { credentials: 'include' })).toBe('NetworkError');
		expect(await whileDown(client, 'https://a.test/public')).toBe('NetworkError');
		expect(await whileDown(client, 'https://a.test/public', { credentials: 'omit' })).toBe('stale omit');
	});

	it('fetch\'s default mode is one request, said or not (copies stored before this change are still found); the client\'s own `credentials` counts as the call\'s', async () => {
		const client = origin('default-mode');
		await primed(client.api, 'https://a.test/item');
		expect(await whileDown(client, 'https://a.test/item', { credentials: 'same-origin' })).toBe('stale same-origin');
		expect(await whileDown(client, 'https://a.test/item')).toBe('stale same-origin');

		const including = origin('client-mode', { credentials: 'include' });
		await primed(including.api, 'https://a.test/item');
		expect(await whileDown(including, 'https://a.test/item')).toBe('stale include');
		expect(await whileDown(including, 'https://a.test/item', { credentials: 'omit' })).toBe('NetworkError');
	});

	it('`cache.delete(url)`, `clear({ identity })` and `cache.list()` see the copies of every mode', async () => {
		const client = origin('modes-members', { identity: () => 'ann' });
		await primed(client.api, 'https://a.test/a', { credentials: 'include' });
		await primed(client.api, 'https://a.test/b', { credentials: 'omit' });
		expect((await client.api.cache.list()).map(({ url }) => url).sort()).toEqual(['https://a.test/a', 'https://a.test/b']);
		await client.api.cache.delete('https://a.test/a');
		expect(await whileDown(client, 'https://a.test/a', { credentials: 'include' })).toBe('NetworkError');
		await client.api.clear({ identity: 'ann' });
		expect(await whileDown(client, 'https://a.test/b', { credentials: 'omit' })).toBe('NetworkError');
		expect(await client.api.cache.list()).toEqual([]);
	});
});
