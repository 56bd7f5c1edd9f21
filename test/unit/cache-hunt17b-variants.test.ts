/**
 * The seventeenth round's second pass on the stale cache (area H). API.md: "`cache: 'no-store'`, in the options or on a
 * `Request` passed as input, also skips the stale cache for that call"; `CacheOptions`: "Per call, `staleCache: false`
 * (or fetch's `cache: 'no-store'` …) skips storing and serving".
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';

/** A client over a store of its own whose origin answers `answers` in turn, then 503; the URLs it was sent and stored. */
const setup = (name: string, options: Record<string, unknown> = {}) => {
	const store: KeyValueStore = memoryStore(name);
	const clock = new ManualClock();
	const answers: Array<(input: Request) => Response | Promise<Response>> = [];
	const sent: Array<[string, RequestCache]> = [];
	const api = createClient({
		baseUrl: 'https://api.example/', name, store: () => store, clock, retry: 0, breaker: false,
		staleCache: { shared: false, networkTimeoutMs: false },
		fetch: async (input: Request) => {
			sent.push([input.url, input.cache]);
			return (answers.shift() ?? (() => new Response('down', { status: 503 })))(input);
		},
		...options,
	} as never);
	const stored: string[] = [];
	api.on('cache:stored', ({ url }) => stored.push(url));
	const ok = (body = 'fresh') => () => new Response(body, { status: 200, headers: { 'content-type': 'text/plain', 'cache-control': 'max-age=0' } });
	return { store, clock, api, answers, sent, stored, ok };
};

/** A `beforeRequest` hook that remakes the call's Request with fetch's `cache: 'no-store'`. */
const noStore = { hooks: { beforeRequest: [({ request }: { request: Request }) => new Request(request, { cache: 'no-store' })] } };

describe('a Request a `beforeRequest` hook remade with `cache: \'no-store\'`: the stale cache is skipped for that call, as for the option', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	/** A client whose `doc` was stored ('fresh') by a plain call, then whose origin fails. */
	const storedDoc = async (name: string, options: Record<string, unknown> = {}) => {
		const made = setup(name, options);
		made.answers.push(made.ok('fresh'));
		await made.api.get('doc').text();
		await waitFor(() => made.stored.length === 1, 'the copy stored');
		return made;
	};

	it('a 503, a network failure, a 503 with throwHttpErrors: false, a HEAD: the failure; the same call without the hook: the copy', async () => {
		const { api, answers, sent } = await storedDoc('hook-no-store-failures');
		// Before: 'fresh' with `Cache-Status: steadfetch; hit; ttl=0; detail=http-5xx` each time.
		await expect(api.get('doc', noStore)).rejects.toMatchObject({ name: 'HTTPError' });
		expect(sent.at(-1)).toEqual(['https://api.example/doc', 'no-store']);
		answers.push(() => {
			throw new TypeError('fetch failed');
		});
		await expect(api.get('doc', noStore)).rejects.toMatchObject({ name: 'NetworkError' });
		expect((await api.get('doc', { ...noStore, throwHttpErrors: false })).status).toBe(503);
		await expect(api.head('doc', noStore)).rejects.toMatchObject({ name: 'HTTPError' });
		// A client whose own hook does it: the same.
		await expect(api.extend(noStore).get('doc')).rejects.toMatchObject({ name: 'HTTPError' });
		expect(await api.get('doc').text()).toBe('fresh');
		api.close();
	});

	it('a ky `init` hook that sets `cache: \'no-store\'` on the options: the failure too, and its good answer is not stored', async () => {
		const init = { hooks: { init: [(options: { cache?: RequestCache }) => {
			options.cache = 'no-store';
		}] } };
		const { api, answers, sent, stored, ok } = await storedDoc('init-no-store');
		await expect(api.get('doc', init)).rejects.toMatchObject({ name: 'HTTPError' });
		answers.push(ok('other'));
		expect(await api.get('other', init).text()).toBe('other');
		expect(sent.slice(1)).toEqual([['https://api.example/doc', 'no-store'], ['https://api.example/other', 'no-store']]);
		// A plain call's copy is stored after it: told after the first, for that call only (the hooked answer was never written).
		answers.push(ok('third'));
		expect(await api.get('third').text()).toBe('third');
		await waitFor(() => stored.length > 1, 'the plain call\'s copy stored');
		expect(stored).toEqual(['https://api.example/doc', 'https://api.example/third']);
		await expect(api.get('other')).rejects.toMatchObject({ name: 'HTTPError' });
		api.close();
	});

	it('its good answer is not stored (a later failure of a plain call finds no copy of it)', async () => {
		const { api, answers, stored, ok } = setup('hook-no-store-stored');
		answers.push(ok('secret'));
		expect(await api.get('doc', noStore).text()).toBe('secret');
		// A plain call's copy is stored after it: told once, for that call only (the hook's answer was never written).
		answers.push(ok('plain'));
		expect(await api.get('other').text()).toBe('plain');
		await waitFor(() => stored.length > 0, 'the plain call\'s copy stored');
		// Before: ['https://api.example/doc', 'https://api.example/other'], and a failed plain read of doc got 'secret'.
		expect(stored).toEqual(['https://api.example/other']);
		await expect(api.get('doc')).rejects.toMatchObject({ name: 'HTTPError' });
		api.close();
	});

	it('offline: the call goes out (no copy answers it at once)', async () => {
		const { api, answers, sent, clock } = await storedDoc('hook-no-store-offline');
		vi.stubGlobal('navigator', { onLine: false });
		clock.advance(1); // No answer since the runtime went offline.
		expect(api.reachability('https://api.example')).toBe('offline');
		answers.push(() => new Response('network', { status: 200 }));
		// Before: the copy at once, `detail=offline`, its request never sent.
		const response = await api.get('doc', noStore);
		expect([await response.text(), response.headers.get('cache-status')]).toEqual(['network', null]);
		expect(sent.map(([url]) => url)).toEqual(['https://api.example/doc', 'https://api.example/doc']);
		api.close();
	});

	it('at `networkTimeoutMs`: no copy answers it, the network\'s answer does; a call beside it without the hook gets the copy', async () => {
		const { api, answers, sent } = await storedDoc('hook-no-store-slow');
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		// Each answers as its Request says (the hooked call's fetch is called after its hook, maybe after the other's).
		const answer = (input: Request) => held.then(() => new Response(input.cache === 'no-store' ? 'network' : 'late', { status: 200 }));
		answers.push(answer, answer);
		let settled: string | undefined;
		const checked = api.get('doc', { ...noStore, staleCache: { networkTimeoutMs: 1 } }).text().then((text) => {
			settled = text;
			return text;
		});
		// Armed after the hooked one (sent: its deadline armed), at the same deadline: its copy answers once both deadlines passed.
		await waitFor(() => sent.length === 2, 'the hooked call sent');
		const plain = await api.get('doc', { staleCache: { networkTimeoutMs: 1 } });
		expect(plain.headers.get('cache-status')).toMatch(/detail=slow/);
		// Before: 'fresh' (the copy, `detail=slow`) here already.
		expect(settled).toBeUndefined();
		release();
		expect(await checked).toBe('network');
		api.close();
	});
});
