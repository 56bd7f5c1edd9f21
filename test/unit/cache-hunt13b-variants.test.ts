/**
 * The thirteenth round's second pass on the stale cache's Vary and keys (area Q): two different requests
 * made one copy's. API.md "Sensitive data" / README "Stale cache": "One copy is kept per URL (and
 * identity, and credentials)"; keys.ts: the key's digest is of "the values of … its `sensitiveParams` query
 * parameters".
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { useCacheKit } from './cache-kit.js';

/** A client (one user's: `shared: false`, so a request with credentials is copied) whose origin answers `answers` in turn, then 503; `stored` lists the copies stored. */
const setup = (name: string, headers: Record<string, string> = {}) => {
	const store = memoryStore(name);
	const answers: Array<() => Response> = [];
	const api = createClient({
		baseUrl: 'https://api.example/', name, store: () => store, clock: new ManualClock(), retry: 0, breaker: false, staleCache: { shared: false },
		fetch: async () => (answers.shift() ?? (() => new Response('down', { status: 503 })))(),
	} as never);
	const ok = (body: string) => () => new Response(body, { status: 200, headers: { 'content-type': 'text/plain', 'cache-control': 'max-age=0', ...headers } });
	const stored: string[] = [];
	api.on('cache:stored', ({ url }) => stored.push(url));
	/** The call's answer while the origin is down: the copy's body, or 'none'. */
	const stale = async (path: string) => api.get(path).text().catch(() => 'none');
	return { store, api, answers, ok, stored, stale };
};

describe('a sensitive query value percent-decoded lossily (invalid UTF-8) before the key\'s credentials digest', () => {
	// `%FF` and `%FE` both decode to U+FFFD: two tokens were one digest, so one user's copy answered the other's.
	for (const [label, mine, theirs] of [
		['two invalid bytes', 'doc?token=%FF', 'doc?token=%FE'],
		['a cut sequence and another', 'doc?sig=%C3', 'doc?sig=%E2%82'],
		['one spelled U+FFFD (%EF%BF%BD), one invalid', 'doc?token=%EF%BF%BD', 'doc?token=%FF'],
		['a second sensitive value, the first the same', 'doc?token=a&access_token=%FF', 'doc?token=a&access_token=%FE'],
		['a non-sensitive U+FFFD spelled beside it', 'doc?q=%EF%BF%BD&token=%FF', 'doc?q=%EF%BF%BD&token=%FE'],
		// The digest's lines: a value holding a line break read as two parameters.
		['a value holding a line break where the other has it in another value', 'doc?token=a%0Aaccess_token=b&access_token=', 'doc?token=a&access_token=b%0Aaccess_token='],
	] as const) {
		it(`${label}: one's copy never answers the other (${mine} / ${theirs})`, async () => {
			const { api, answers, ok, stored, stale } = setup(`lossy-${label}`);
			answers.push(ok('mine'));
			expect(await api.get(mine).text()).toBe('mine');
			await waitFor(() => stored.length === 1, 'the copy stored');
			expect(await stale(mine)).toBe('mine');
			// Before: 'mine' (one key for both).
			expect(await stale(theirs)).toBe('none');
			api.close();
		});
	}

	it('a value decoded without loss keeps its key (nothing stored before is orphaned): the same value spelled the same is served', async () => {
		const { api, answers, ok, stored, stale, store } = setup('lossless');
		answers.push(ok('mine'), ok('spelled'));
		await api.get('doc?token=caf%C3%A9').text();
		await api.get('other?token=%EF%BF%BD').text();
		await waitFor(() => stored.length === 2, 'the copies stored');
		expect(await stale('doc?token=caf%C3%A9')).toBe('mine');
		expect(await stale('other?token=%EF%BF%BD')).toBe('spelled');
		// The key's credentials digest is the one of the decoded value, as before (a key written by an older build is found).
		const digest = async (text: string) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))].map((byte) => byte.toString(16).padStart(2, '0')).join('');
		const keys = await store.keys();
		expect(keys).toContain(`r:~${await digest('lossless\ntoken=café\n')}~https://api.example/doc?token=`);
		expect(keys).toContain(`r:~${await digest('lossless\ntoken=\uFFFD\n')}~https://api.example/other?token=`);
		api.close();
	});
});

describe('an answer that varies on a header the runtime adds itself (Node), which the request does not show', () => {
	/**
	 * Node's fetch sends `user-agent: node` and `accept-language: *` itself: the same for every call of the client,
	 * so the copy is compared as the request shows the header (none), as the Cache API matches it: it answers the
	 * client's next calls (decided in round 13's second pass: treating these as `Vary: *` kept no copy for any
	 * answer a CDN or an i18n API varies on them). In a browser, only the page's own `Referer` is taken as `Vary: *`
	 * (test/browser/cache-vary-hunt13b.test.ts).
	 */
	const kit = useCacheKit();
	for (const header of ['User-Agent', 'Accept-Language', 'Cookie', 'Accept-Encoding, user-agent', 'Referer']) {
		it(`Vary: ${header}, not set on the request: the copy is kept and answers the client's next call`, async () => {
			const api = kit.make({ name: `unshown-${header}`, staleCache: { shared: false } });
			const path = `unshown/${encodeURIComponent(header)}?vary=${encodeURIComponent(header)}&cc=max-age%3D0`;
			expect((await api.get(path).json<{ n: number }>()).n).toBe(1);
			await waitFor(async () => (await kit.store.keys()).some((key) => key.includes(`unshown/${encodeURIComponent(header)}`)), 'the copy stored');
			expect(await kit.servedStale(api, path)).toBe(true);
			api.close();
		});
	}

	it('Vary: Accept-Language set on the request: its copy answers the same language, not another', async () => {
		const api = kit.make({ name: 'shown-lang' });
		const path = 'shown/lang?vary=Accept-Language&cc=max-age%3D0';
		const stored: string[] = [];
		api.on('cache:stored', ({ url }) => stored.push(url));
		expect((await api.get(path, { headers: { 'accept-language': 'fr' } }).json<{ lang: string }>()).lang).toBe('fr');
		await waitFor(() => stored.length === 1, 'the copy stored');
		expect(await kit.servedStale(api, path, { headers: { 'accept-language': 'fr' } })).toBe(true);
		expect(await kit.servedStale(api, path, { headers: { 'accept-language': 'de' } })).toBe(false);
		expect(await kit.servedStale(api, path)).toBe(false);
		api.close();
	});
});
