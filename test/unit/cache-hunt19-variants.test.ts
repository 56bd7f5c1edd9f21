/**
 * Defect hunt, nineteenth round: the stale cache at its edges (API.md "Responses served from the stale cache",
 * "Boundaries", "Your own policies"). Each test names the claim it holds the code to.
 */
import { replaceOption } from 'ky';
import { describe, expect, it } from 'vitest';
import { createClient, isFallback, isStale, memoryStore, SteadfetchError, type ClientOptions } from '../../src/entries/index.js';
import type { Policy } from '../../src/entries/policy.js';
import { shown, StaleAnswerError } from '../../src/entries/tanstack-query.js';
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

describe('the public helpers of stale answers take what they are given without a crash or a NaN (API.md "Option values": a wrong type is a TypeError naming it; `isStale` "is true exactly for those responses")', () => {
	const result = { data: { v: 1 }, dataUpdatedAt: 1_000, failureReason: new StaleAnswerError({ v: 0 }, 500, 'network', undefined) };

	it('`shown(result, now)` with a `now` that is no finite number (nor a valid Date) is a TypeError naming `now`; a number, a Date or none is read as before', () => {
		const said = (now: unknown): string => {
			try {
				return `ageMs ${shown(result, now as number).ageMs}`;
			} catch (error) {
				return `${(error as Error).name}: ${(error as Error).message}`;
			}
		};
		// Before: ['ageMs NaN', 'ageMs NaN', 'ageMs 0', 'ageMs NaN'] (a string, NaN, null read as 0, an object).
		expect(['3000', Number.NaN, null, {}].map(said)).toEqual(Array(4).fill('TypeError: `shown` needs `now` in epoch ms (a finite number) or nothing; got ' ).map((text, index) => text + ['"3000"', 'NaN', 'null', 'object'][index]));
		expect(said(Number.POSITIVE_INFINITY)).toMatch(/^TypeError/);
		// A Date was read as its time by `-`: it still is (and an invalid one is a TypeError).
		expect(said(new Date(3_000))).toBe('ageMs 2000');
		expect(said(new Date(Number.NaN))).toMatch(/^TypeError/);

		expect(said(3_000)).toBe('ageMs 2000');
		expect(shown(result).ageMs).toBeGreaterThan(0);
	});

	it('`isStale` and `isFallback` of what a stopped call resolves with (`undefined`), or of a promise not awaited, are false, not a TypeError', () => {
		const said = (check: (response: Response) => boolean, value: unknown): string => {
			try {
				return String(check(value as Response));
			} catch (error) {
				return (error as Error).name;
			}
		};
		// Before: 'TypeError' for each (reading `headers` of undefined).
		for (const check of [isStale, isFallback]) {
			expect([said(check, undefined), said(check, null), said(check, Promise.resolve())]).toEqual(['false', 'false', 'false']);
		}
	});
});

/** An app's refusal of a call before any attempt (a kill switch, a maintenance window): transient, of its own code. */
class MaintenanceError extends SteadfetchError {
	constructor() {
		super('the app is in maintenance', 'MAINTENANCE', true);
	}
}

declare module 'steadfetch/core' {
	interface ErrorCodes {
		MAINTENANCE: true;
	}
}

/** An app policy whose wrapper (inside the stale cache's: no band) fails the call before its first attempt while `state.down` is set, with what `refusal` gives. */
const gate = (state: { down: boolean }, refusal: () => Promise<Response> = async () => Promise.reject(new MaintenanceError())): Policy<'gate'> => ({
	slot: 'gate',
	create: () => ({ wrap: async (_call, next) => state.down ? refusal() : next() }),
});

declare module 'steadfetch/core' {
	interface Slots {
		gate: Policy<'gate'>;
	}
}

describe('a transient failure before any attempt went out is answered by the copy as one of an attempt is (API.md "Your own policies": "a transient one lets a read with a stored copy be answered stale")', () => {
	/** What a GET got while the gate is down: `stale <detail>` and the events told, or the error's code. */
	const whileShut = async (api: Api, gated: { down: boolean }, url: string, options: Record<string, unknown> = {}): Promise<string> => {
		gated.down = true;
		const told: string[] = [];
		const off = api.on('cache:stale', ({ scope, reason, url: at }) => told.push(`${reason} ${scope} ${at}`));
		try {
			const response = await api.get(url, options);
			return `${isStale(response) ? 'stale' : 'fresh'} ${response.headers.get('cache-status')?.replace(/^.*detail=/, '')} [${told.join()}]`;
		} catch (error) {
			return (error as SteadfetchError).code ?? (error as Error).name;
		} finally {
			gated.down = false;
			off();
		}
	};

	it('an app policy\'s wrapper that refuses a read with a transient error of its own: the copy answers (`detail=maintenance`, `cache:stale` of the URL\'s scope)', async () => {
		const gated = { down: false };
		const { api } = origin('gate-wrap', { gate: gate(gated) });
		await primed(api, 'https://a.test/item');
		// Before: 'MAINTENANCE' (the call rejected, although the same error in a layer gets the copy).
		expect(await whileShut(api, gated, 'https://a.test/item')).toBe('stale maintenance [maintenance https://a.test https://a.test/item]');
		// No copy of another URL: the failure as it was.
		expect(await whileShut(api, gated, 'https://a.test/other')).toBe('MAINTENANCE');
	});

	it('the copy is the one the call would have asked for: its prefix, the client\'s and the call\'s searchParams and headers, and credentials mode; another token\'s or mode\'s copy never', async () => {
		const gated = { down: false };
		const { api } = origin('gate-resolved', { gate: gate(gated), prefix: 'https://a.test/v1/', searchParams: { lang: 'en' }, headers: { authorization: 'Bearer ann' }, staleCache: { shared: false } });
		await primed(api, 'items/1', { searchParams: { expand: 'tags' } });
		// Before: 'MAINTENANCE'.
		expect(await whileShut(api, gated, 'items/1', { searchParams: { expand: 'tags' } })).toBe('stale maintenance [maintenance https://a.test https://a.test/v1/items/1?lang=en&expand=tags]');
		expect(await whileShut(api, gated, 'items/1')).toBe('MAINTENANCE');
		expect(await whileShut(api, gated, 'items/1', { searchParams: { expand: 'tags' }, headers: { authorization: 'Bearer bob' } })).toBe('MAINTENANCE');
		expect(await whileShut(api, gated, 'items/1', { searchParams: { expand: 'tags' }, credentials: 'omit' })).toBe('MAINTENANCE');
		// ky's `replaceOption()`: the call's values alone (its request carries no `lang`).
		await primed(api, 'items/2', { searchParams: replaceOption({ page: 2 }) });
		expect(await whileShut(api, gated, 'items/2', { searchParams: replaceOption({ page: 2 }) })).toBe('stale maintenance [maintenance https://a.test https://a.test/v1/items/2?page=2]');
		// A call whose URL does not resolve fails as it was, with no copy looked for.
		expect(await whileShut(api, gated, 'http://[bad')).toBe('MAINTENANCE');
		api.close();
	});

	it('a wrapper\'s own 5xx answer (`throwHttpErrors: false`) is answered by the copy too; an error that is not transient is not', async () => {
		const gated = { down: false };
		const { api } = origin('gate-503', { gate: gate(gated, async () => new Response('busy', { status: 503 })), throwHttpErrors: false });
		await primed(api, 'https://a.test/item');
		// Before: 'fresh undefined []' (the wrapper's 503 as it was).
		expect(await whileShut(api, gated, 'https://a.test/item')).toBe('stale http-5xx [http-5xx https://a.test https://a.test/item]');
		api.close();

		const unknown = { down: false };
		const other = origin('gate-unknown', { gate: gate(unknown, async () => Promise.reject(new Error('the app\'s bug'))) });
		await primed(other.api, 'https://a.test/item');
		expect(await whileShut(other.api, unknown, 'https://a.test/item')).toBe('Error');
		other.api.close();
	});
});
