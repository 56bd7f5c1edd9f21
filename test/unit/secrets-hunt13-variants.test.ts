/**
 * Secrets kept out of what is stored and shown, in the variants earlier rounds did not cover (defect
 * hunt, thirteenth round, area V: secrets, identity, outside input and runtimes). API.md "Sensitive
 * data": the values of `Authorization`, `Cookie`, `sensitiveHeaders` and of the query parameters in
 * `sensitiveParams` are "Never written to storage (IndexedDB, Cache API, any store)".
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { dumpStore } from '../helpers/dump-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';

describe('a request header the answer varies on (Vary) that names a URL with a sensitive query value', () => {
	/**
	 * A server runtime's fetch (Node, Deno, Workers) lets the caller set any header: an SSR app forwards the page's
	 * `Referer`, an API takes a `X-Return-To` (or a bare query, `X-From`). The answer says `Vary: Referer, X-Return-To,
	 * X-From`; the next calls fail.
	 */
	const setup = (name: string) => {
		const store = memoryStore(name);
		const answers: Array<() => Response> = [];
		const api = createClient({
			baseUrl: 'https://api.example/', name, store: () => store, clock: new ManualClock(), retry: 0, breaker: false,
			fetch: async () => (answers.shift() ?? (() => new Response('down', { status: 503 })))(),
		} as never);
		const ok = () => new Response('{"n":1}', { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'max-age=0', vary: 'Referer, X-Return-To, X-From' } });
		const stored: string[] = [];
		api.on('cache:stored', ({ url }) => stored.push(url));
		return { store, api, answers, ok, stored };
	};

	const headers = (page: string, token: string) => ({ referer: `https://app.example/${page}?access_token=${token}&tab=2`, 'x-return-to': `https://app.example/cb?sig=${token}-X`, 'x-from': `?token=${token}-F` });

	it('the stored copy keeps neither value, and still answers the same headers', async () => {
		const { store, api, answers, ok, stored } = setup('vary-secret');
		answers.push(ok);
		expect(await api.get('doc', { headers: headers('page', 'SECRET-1') }).json()).toEqual({ n: 1 });
		await waitFor(() => stored.length === 1, 'the copy stored');
		expect(await dumpStore(store)).not.toMatch(/SECRET/);
		// The server is down: the copy answers the same page's request, not another page's.
		const stale = await api.get('doc', { headers: headers('page', 'SECRET-1') });
		expect(stale.headers.get('cache-status')).toMatch(/steadfetch; hit/);
		await expect(api.get('doc', { headers: headers('other', 'SECRET-1') })).rejects.toMatchObject({ name: 'HTTPError' });
		api.close();
	});
});
