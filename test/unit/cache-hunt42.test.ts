/**
 * The forty-second round on the stale cache: neighbours of what earlier hunts fixed.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/index.js';
import { SteadfetchError } from '../../src/errors/SteadfetchError.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { mapStore } from '../helpers/test-stores.js';
import { waitFor } from '../helpers/wait-for.js';

const integrity = 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

/** A client whose app policy `gate` refuses every call with a transient error of its own while `gated.down` (before any attempt). */
const gatedClient = (name: string, options: Record<string, unknown> = {}) => {
	const gated = { down: false };
	const gate = {
		slot: 'gate',
		create: () => ({ wrap: async (_call: unknown, run: () => Promise<Response>) => gated.down ? Promise.reject(new SteadfetchError('in maintenance', 'MAINTENANCE' as never, true)) : run() }),
	};
	const stored: string[] = [];
	const api = createClient({
		baseUrl: 'https://api.example/', name, clock: new ManualClock(), store: mapStore(new Map()), retry: 0, breaker: false, gate,
		fetch: (async () => new Response('fresh', { headers: { 'content-type': 'text/plain', 'cache-control': 'max-age=0' } })) as typeof fetch,
		...options,
	} as never) as ReturnType<typeof createClient>;
	api.on('cache:stored', ({ url }) => stored.push(url));
	return { api, gated, stored };
};

const outcomeOf = async (promise: Promise<Response>): Promise<string> => promise.then(async (response) => `${await response.text()} ${response.headers.get('cache-status') ?? ''}`.trim(), (error: { code?: string }) => String(error.code ?? error));

describe('a call with `integrity` refused before any attempt (an app wrapper\'s transient error) gets no stale copy', () => {
	it('the call\'s own `integrity`: the refusal, as for a failure after an attempt', async () => {
		const { api, gated, stored } = gatedClient('integrity-before-attempt');
		await api.get('doc').text();
		await waitFor(() => stored.length === 1, 'the copy stored');
		gated.down = true;
		expect(await outcomeOf(api.get('doc', { integrity }))).toBe('MAINTENANCE');
		// The same call without integrity: the copy.
		expect(await outcomeOf(api.get('doc'))).toMatch(/^fresh steadfetch; hit; .*detail=maintenance$/);
		api.close();
	});

	it('given by the client (extend()) or on a Request as input: the refusal too', async () => {
		const { api, gated, stored } = gatedClient('integrity-before-attempt-client');
		await api.get('doc').text();
		await waitFor(() => stored.length === 1, 'the copy stored');
		gated.down = true;
		expect(await outcomeOf(api.extend({ integrity } as never).get('doc'))).toBe('MAINTENANCE');
		expect(await outcomeOf(api.get(new Request('https://api.example/doc', { integrity })))).toBe('MAINTENANCE');
		api.close();
	});
});

describe('a Request given as input with `searchParams` (the call\'s or the client\'s), refused before any attempt: the copy of the URL ky would send', () => {
	/** A gated client whose origin answers its request's URL. */
	const echoing = (name: string, options: Record<string, unknown> = {}) => gatedClient(name, {
		fetch: (async (request: Request) => new Response(request.url, { headers: { 'content-type': 'text/plain', 'cache-control': 'max-age=0' } })) as typeof fetch,
		...options,
	});

	it('the call\'s searchParams: the copy of ?page=2, not that of the Request\'s own URL', async () => {
		const { api, gated, stored } = echoing('request-input-search');
		expect(await api.get(new Request('https://api.example/items')).text()).toBe('https://api.example/items');
		expect(await api.get(new Request('https://api.example/items'), { searchParams: { page: 2 } }).text()).toBe('https://api.example/items?page=2');
		await waitFor(() => stored.length === 2, 'both copies stored');
		gated.down = true;
		expect(await outcomeOf(api.get(new Request('https://api.example/items'), { searchParams: { page: 2 } }))).toMatch(/^https:\/\/api\.example\/items\?page=2 steadfetch; hit; /);
		// Neighbour: without searchParams, the Request's own URL's copy.
		expect(await outcomeOf(api.get(new Request('https://api.example/items')))).toMatch(/^https:\/\/api\.example\/items steadfetch; hit; /);
		api.close();
	});

	it('the client\'s searchParams: the copy of the URL with them', async () => {
		const { api, gated, stored } = echoing('request-input-client-search', { searchParams: { lang: 'en' } });
		expect(await api.get(new Request('https://api.example/items')).text()).toBe('https://api.example/items?lang=en');
		await waitFor(() => stored.length === 1, 'the copy stored');
		gated.down = true;
		expect(await outcomeOf(api.get(new Request('https://api.example/items')))).toMatch(/^https:\/\/api\.example\/items\?lang=en steadfetch; hit; /);
		api.close();
	});
});
