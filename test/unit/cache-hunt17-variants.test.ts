/**
 * The seventeenth round on the stale cache and privacy (area E). API.md "Sensitive data": the values of the query
 * parameters in `sensitiveParams` are "Never written to storage", and "Every URL in an event, log record or span has
 * its sensitive query values redacted, like a stored one"; decided for this round: also when `;` separates them
 * (`a=1;token=x`), wherever they are redacted with `&`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';
import { createClient as createCore } from '../../src/entries/core.js';
import { staleCache } from '../../src/entries/cache.js';
import type { PolicyContext } from '../../src/entries/policy.js';
import { redact, sensitiveParamSet, splitSensitive } from '../../src/utils/sensitive.js';
import { dumpStore } from '../helpers/dump-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';

const params = sensitiveParamSet({});

/** A client over a store of its own whose origin answers `answers` in turn, then 503; the URLs of every event it tells. */
const setup = (name: string, options: Record<string, unknown> = {}) => {
	const store: KeyValueStore = memoryStore(name);
	const clock = new ManualClock();
	const answers: Array<() => Response> = [];
	const sent: string[] = [];
	const api = createClient({
		baseUrl: 'https://api.example/', name, store: () => store, clock, retry: 0, breaker: false,
		fetch: async (input: Request) => {
			sent.push(input.url);
			return (answers.shift() ?? (() => new Response('down', { status: 503 })))();
		},
		...options,
	} as never);
	const urls: string[] = [];
	for (const type of ['cache:stored', 'cache:stale', 'cache:superseded', 'write:delivered', 'storage:error', 'outbox:queued', 'outbox:sent'] as const) {
		api.on(type as never, (event: { url?: string }) => urls.push(event.url ?? ''));
	}

	const ok = (body = 'fresh', headers: Record<string, string> = {}) => () => new Response(body, { status: 200, headers: { 'content-type': 'text/plain', 'cache-control': 'max-age=0', ...headers } });
	return { store, clock, api, answers, sent, urls, ok };
};

describe('a sensitive query parameter after `;` (`a=1;token=x`)', () => {
	it('redact / splitSensitive: its value goes, in the query and in the fragment, with `&` around it too; the rest byte for byte', () => {
		// Before: 'https://api.example/doc?a=1;token=SECRET' as it was, found undefined.
		expect(redact('https://api.example/doc?a=1;token=SECRET', params)).toBe('https://api.example/doc?a=1;token=');
		expect(splitSensitive('https://api.example/doc?a=1;token=SECRET', params).found).toBe('token=SECRET\n');
		expect(redact('https://api.example/doc?q=2&a=1;Access%5Ftoken=SECRET;page=2&b=3#x=1;sig=SECRET', params))
			.toBe('https://api.example/doc?q=2&a=1;Access%5Ftoken=&b=3#x=1;sig=');
		// A `&`-only server reads `token=abc;def` as one value: all of it goes, as before.
		expect(redact('https://api.example/doc?token=abc;def&b=1', params)).toBe('https://api.example/doc?token=&b=1');
		// Nothing sensitive: the same string.
		const plain = 'https://api.example/doc?a=1;tokens=2;x=token%3D3';
		expect(redact(plain, params)).toBe(plain);
		expect(splitSensitive(plain, params).found).toBeUndefined();
	});

	it('what is cut after it is in the key\'s digest: `;page=2` and `;page=3` are two copies', () => {
		const two = splitSensitive('https://api.example/doc?a=1;token=x;page=2', params);
		const three = splitSensitive('https://api.example/doc?a=1;token=x;page=3', params);
		expect(two.redacted).toBe(three.redacted);
		expect(two.found).not.toBe(three.found);
	});

	it('a stale-cache copy: its key, record and Link header hold no value; cache:stored, cache:stale and cache.list() show none', async () => {
		const { store, api, answers, urls, ok } = setup('semicolon-copy', { staleCache: { shared: false } });
		answers.push(ok('fresh', { link: '<https://api.example/doc?page=2;token=SECRET-L>; rel="next"' }));
		expect(await api.get('doc?a=1;token=SECRET-1').text()).toBe('fresh');
		await waitFor(() => urls.length === 1, 'the copy stored');
		// Before: the key and record URL 'https://api.example/doc?a=1;token=SECRET-1', the Link as it was.
		expect(await dumpStore(store)).not.toMatch(/SECRET/);
		const stale = await api.get('doc?a=1;token=SECRET-1');
		expect([await stale.text(), stale.headers.get('link')]).toEqual(['fresh', '<https://api.example/doc?page=2;token=>; rel="next"']);
		expect((await api.cache.list()).map((entry) => entry.url)).toEqual(['https://api.example/doc?a=1;token=']);
		expect(urls).toEqual(['https://api.example/doc?a=1;token=', 'https://api.example/doc?a=1;token=']);
		// Another token's request of the URL gets no copy of this one (its digest is another key), the copy of `cache.delete` goes.
		await expect(api.get('doc?a=1;token=SECRET-2')).rejects.toMatchObject({ name: 'HTTPError' });
		await api.cache.delete('doc?a=1;token=SECRET-1');
		expect(await store.keys()).toEqual([]);
		api.close();
	});

	it('two users\' tokens after `;` in a one-user cache: each its own copy, never the other\'s', async () => {
		const { api, answers, urls, ok } = setup('semicolon-users', { staleCache: { shared: false } });
		answers.push(ok('alice'), ok('bob'));
		await api.get('doc?a=1;token=ALICE').text();
		await api.get('doc?a=1;token=BOB').text();
		await waitFor(() => urls.length === 2, 'both copies stored');
		expect(await api.get('doc?a=1;token=ALICE').text()).toBe('alice');
		expect(await api.get('doc?a=1;token=BOB').text()).toBe('bob');
		api.close();
	});

	it('`;page=2` after a token and the same spelled `%3Bpage%3D2` (part of the token): two copies, never one for both', async () => {
		const { api, answers, urls, ok } = setup('semicolon-spelled', { staleCache: { shared: false } });
		answers.push(ok('page 2'), ok('token with a semicolon'));
		await api.get('doc?a=1;token=x;page=2').text();
		await api.get('doc?a=1;token=x%3Bpage%3D2').text();
		await waitFor(() => urls.length === 2, 'both copies stored');
		// Before (the `;` fix alone): one key for both, 'token with a semicolon' answered the page-2 request.
		expect(await api.get('doc?a=1;token=x;page=2').text()).toBe('page 2');
		expect(await api.get('doc?a=1;token=x%3Bpage%3D2').text()).toBe('token with a semicolon');
		api.close();
	});

	it('a shared cache keeps no copy of a request with a credential after `;` (as after `&`)', async () => {
		const { store, api, answers, ok } = setup('semicolon-shared', { staleCache: { shared: true } });
		answers.push(ok('fresh'), ok('fresh'));
		const stored: string[] = [];
		api.on('cache:stored', ({ url }) => stored.push(url));
		await api.get('doc?a=1&token=SECRET').text();
		await api.get('other?a=1;token=SECRET').text();
		await api.get('plain').text().catch(() => undefined);
		expect(stored).toEqual([]);
		expect(await store.keys()).toEqual([]);
		api.close();
	});

	it('a write to a URL with one is sent as with `outbox: false`, never stored; its write:delivered URL shows no value', async () => {
		const { store, api, answers, urls, sent } = setup('semicolon-outbox', { outbox: outbox() });
		answers.push(() => new Response('made', { status: 201 }));
		expect((await api.post('upload?id=1;X-Amz-Signature=SECRET', { json: { a: 1 } })).status).toBe(201);
		// A 503 is thrown as it is: never queued (before: queued, `X-Amz-Signature=SECRET` in the store).
		await expect(api.post('upload?id=2;X-Amz-Signature=SECRET', { json: { a: 2 } })).rejects.toMatchObject({ name: 'HTTPError' });
		expect(sent).toEqual(['https://api.example/upload?id=1;X-Amz-Signature=SECRET', 'https://api.example/upload?id=2;X-Amz-Signature=SECRET']);
		expect(await dumpStore(store)).not.toMatch(/SECRET/);
		expect(urls.join('\n')).not.toMatch(/SECRET/);
		expect(urls).toContain('https://api.example/upload?id=1;X-Amz-Signature=');
		api.close();
	});

	it('events, their errors and log records (a retry of a 503, the call\'s end) show none', async () => {
		const records: LogRecord[] = [];
		const sink = { info: (record: LogRecord) => records.push(record), warn: (record: LogRecord) => records.push(record), error: (record: LogRecord) => records.push(record) };
		const { api } = setup('semicolon-events', { logger: logger(sink), staleCache: false, retry: { limit: 1, delay: () => 0 } });
		const seen: unknown[] = [];
		api.on('*' as never, (event: unknown) => seen.push(event));
		const failed = await api.get('doc?a=1;sig=SECRET').catch((error: unknown) => error);
		expect(failed).toMatchObject({ name: 'HTTPError' });
		const shown = JSON.stringify([seen, records], (_name, value: unknown) => value instanceof Error ? `${value.name}: ${value.message}` : value);
		// Before: 'https://api.example/doc?a=1;sig=SECRET' in the retry event, its error's message and the log records.
		expect(shown).toContain('https://api.example/doc?a=1;sig=');
		expect(shown).not.toMatch(/SECRET/);
		api.close();
	});
});

describe('a call with `integrity` gets no stale copy (decided: its bytes could not be checked): it fails as it would without a cache', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	const integrity = 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
	/** A client whose `doc` was stored ('fresh'), then whose origin fails as `then` says. */
	const stored = async (name: string, options: Record<string, unknown> = {}) => {
		const made = setup(name, { staleCache: { shared: false, networkTimeoutMs: false }, ...options });
		made.answers.push(made.ok('fresh'));
		await made.api.get('doc').text();
		await waitFor(() => made.urls.length === 1, 'the copy stored');
		return made;
	};

	it('a 503, a network failure, a 503 with throwHttpErrors: false: the failure; the same call without integrity: the copy', async () => {
		const { api, answers } = await stored('integrity-failures');
		// Before: 'fresh' with `Cache-Status: steadfetch; hit; …; detail=http-5xx` each time.
		await expect(api.get('doc', { integrity })).rejects.toMatchObject({ name: 'HTTPError' });
		answers.push(() => {
			throw new TypeError('fetch failed');
		});
		await expect(api.get('doc', { integrity })).rejects.toMatchObject({ name: 'NetworkError' });
		expect((await api.get('doc', { integrity, throwHttpErrors: false })).status).toBe(503);
		await expect(api.head('doc', { integrity })).rejects.toMatchObject({ name: 'HTTPError' });
		expect(await api.get('doc').text()).toBe('fresh');
		api.close();
	});

	it('given on a Request as input, or by the client (extend()): the failure too', async () => {
		const { api } = await stored('integrity-request');
		await expect(api.get(new Request('https://api.example/doc', { integrity }))).rejects.toMatchObject({ name: 'HTTPError' });
		await expect(api.extend({ integrity } as never).get('doc')).rejects.toMatchObject({ name: 'HTTPError' });
		api.close();
	});

	it('offline: the call goes out (no copy answers it at once)', async () => {
		const { api, answers, sent, clock } = await stored('integrity-offline');
		vi.stubGlobal('navigator', { onLine: false });
		clock.advance(1); // No answer since the runtime went offline.
		expect(api.reachability('https://api.example')).toBe('offline');
		answers.push(() => new Response('checked', { status: 200 }));
		// Before: the copy at once, `detail=offline`, its request never sent.
		const response = await api.get('doc', { integrity });
		expect([await response.text(), response.headers.get('cache-status')]).toEqual(['checked', null]);
		expect(sent).toEqual(['https://api.example/doc', 'https://api.example/doc']);
		api.close();
	});

	it('at `networkTimeoutMs`: no copy answers it, the network\'s answer does; a call beside it without integrity gets the copy', async () => {
		const { api, answers } = await stored('integrity-slow');
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		answers.push(() => held.then(() => new Response('checked', { status: 200 })) as never);
		let settled: string | undefined;
		const checked = api.get('doc', { integrity, staleCache: { networkTimeoutMs: 1 } }).text().then((text) => {
			settled = text;
			return text;
		});
		answers.push(() => held.then(() => new Response('late', { status: 200 })) as never);
		// Armed after the one with integrity, at the same deadline: its copy answers once both deadlines passed.
		const plain = await api.get('doc', { staleCache: { networkTimeoutMs: 1 } });
		expect(plain.headers.get('cache-status')).toMatch(/detail=slow/);
		// Before: 'fresh' (the copy, `detail=slow`) here already.
		expect(settled).toBeUndefined();
		release();
		expect(await checked).toBe('checked');
		api.close();
	});
});

describe('cache.list() and the outbox\'s validator read agree with serve (decided): a record serve refuses is not listed, nor used', () => {
	const key = 'r:~~https://api.example/doc';
	const day = 86_400_000;
	/** A record as `write` gives it, made at `now`, servable for a day, an ETag of `"planted"`, with `extra` over it. */
	const planted = (now: number, extra: Record<string, unknown> = {}) => ({
		v: 2, url: 'https://api.example/doc', storedAt: now, born: now, until: now + day, lifetime: 0, status: 200, statusText: 'OK',
		headers: [['content-type', 'text/plain'], ['etag', '"planted"']], vary: [], body: new TextEncoder().encode('planted').buffer, ...extra,
	});
	/** A core client with the stale cache over a store the test plants in, and the context an outbox's slot is given (its `validatorOf`). */
	const setupCore = (name: string) => {
		const store = memoryStore(name);
		const clock = new ManualClock();
		let context!: PolicyContext;
		const api = createCore({
			baseUrl: 'https://api.example/', name, store: () => store, clock, retry: 0,
			fetch: async () => new Response('down', { status: 503 }),
			staleCache: staleCache({ shared: false }),
			outbox: { slot: 'outbox', create(given: PolicyContext) {
				context = given;
				return {};
			} },
		} as never);
		/** What `cache.list()` shows, the validator the outbox gets without and with the write's request, and what a failed GET answers. */
		const seen = async () => [
			(await api.cache.list()).map((entry) => entry.url),
			await context.hooks.validatorOf!('https://api.example/doc', undefined),
			await context.hooks.validatorOf!('https://api.example/doc', undefined, new Request('https://api.example/doc', { method: 'PUT' })),
			await api.get('doc').text().catch(() => 'none'),
		];
		return { store, clock, api, seen };
	};

	it('a record serve answers with: listed, its validator used (as before)', async () => {
		const { store, clock, api, seen } = setupCore('agree-control');
		await store.set(key, planted(clock.now()));
		expect(await seen()).toEqual([['https://api.example/doc'], { etag: '"planted"' }, { etag: '"planted"' }, 'planted']);
		api.close();
	});

	for (const [label, extra] of [
		['holding a header the cache never stores (Set-Cookie)', { headers: [['content-type', 'text/plain'], ['etag', '"planted"'], ['set-cookie', 'sid=1']] }],
		['whose Vary no request is matched against (Vary: *)', { headers: [['content-type', 'text/plain'], ['etag', '"planted"'], ['vary', '*']] }],
		['whose URL is not the one its key names', { url: 'https://api.example/other' }],
		['past maxStaleMs (stored two days ago, `until` still ahead)', { storedAt: 1_700_000_000_000 - 2 * day, born: 1_700_000_000_000 - 2 * day }],
		['past its own stale-if-error', { storedAt: 1_700_000_000_000 - 60_000, born: 1_700_000_000_000 - 60_000, headers: [['cache-control', 'max-age=0, stale-if-error=1'], ['etag', '"planted"']] }],
		['stored ahead of the clock by more than its skew (the clock was set back)', { storedAt: 1_700_000_000_000 + 3_600_000, born: 1_700_000_000_000 + 3_600_000 }],
	] as const) {
		it(`a record ${label}: neither listed nor its validator used (nor served)`, async () => {
			const { store, clock, api, seen } = setupCore(`agree-${label}`);
			await store.set(key, planted(clock.now(), extra));
			// Before: [['https://api.example/doc'] (or the other URL), { etag: '"planted"' }, { etag: '"planted"' }, 'none'].
			expect(await seen()).toEqual([[], undefined, undefined, 'none']);
			api.close();
		});
	}

	it('another identity\'s copy: not listed, not its validator', async () => {
		let who = 'alice';
		const store = memoryStore('agree-identity');
		let context!: PolicyContext;
		const answers = [() => new Response('alice\'s', { status: 200, headers: { etag: '"a"' } })];
		const api = createCore({
			baseUrl: 'https://api.example/', name: 'agree-identity', store: () => store, clock: new ManualClock(), retry: 0, identity: () => who,
			fetch: async () => (answers.shift() ?? (() => new Response('down', { status: 503 })))(),
			staleCache: staleCache({ shared: false }),
			outbox: { slot: 'outbox', create(given: PolicyContext) {
				context = given;
				return {};
			} },
		} as never);
		const stored = new Promise((resolve) => {
			api.on('cache:stored', resolve);
		});
		await api.get('doc').text();
		await stored;
		expect((await api.cache.list()).length).toBe(1);
		who = 'bob';
		expect(await api.cache.list()).toEqual([]);
		expect(await context.hooks.validatorOf!('https://api.example/doc', 'bob', new Request('https://api.example/doc', { method: 'PUT' }))).toBeUndefined();
		expect(await context.hooks.validatorOf!('https://api.example/doc', 'bob')).toBeUndefined();
		api.close();
	});
});

describe('cache.delete(url) removes the copies of a URL whoever keyed them (API.md: "Remove the stored copies of a URL (every identity and credential)")', () => {
	it('a copy an extend()ed client of the name keyed with its value (the parameter not sensitive to it), and one an older build keyed before `;` was a separator', async () => {
		const store = memoryStore('delete-raw');
		const answers = [() => new Response('parent', { status: 200 })];
		const api = createClient({
			baseUrl: 'https://api.example/', name: 'delete-raw', store: () => store, clock: new ManualClock(), retry: 0, breaker: false,
			staleCache: { shared: false }, fetch: async () => (answers.shift() ?? (() => new Response('down', { status: 503 })))(),
		} as never);
		const child = api.extend({ sensitiveParams: ['session'] } as never);
		const stored: string[] = [];
		api.on('cache:stored', ({ url }) => stored.push(url));
		await api.get('doc?session=S1').text();
		await waitFor(() => stored.length === 1, 'the copy stored');
		// As a build before this round stored `doc?a=1;token=SECRET` (the value in its key and record).
		const old = 'r:~~https://api.example/doc?a=1;token=SECRET';
		await store.set(old, {
			v: 2, url: 'https://api.example/doc?a=1;token=SECRET', storedAt: Date.now(), born: Date.now(), until: Date.now() + 86_400_000, lifetime: 0, status: 200,
			statusText: 'OK', headers: [['content-type', 'text/plain']], vary: [], body: new TextEncoder().encode('old').buffer,
		});
		expect((await store.keys()).sort()).toEqual([old, 'r:~~https://api.example/doc?session=S1']);
		// And this client's own copy of a name it cut, spelled percent-encoded (`secre%74` is `secret`): removed as before.
		answers.push(() => new Response('encoded', { status: 200 }));
		await api.get('doc?secre%74=S2').text();
		await waitFor(() => stored.length === 2, 'the copy stored');
		await api.cache.delete('doc?secre%74=S2');
		await child.cache.delete('doc?session=S1');
		await api.cache.delete('doc?a=1;token=SECRET');
		// Before: both kept, the parent's copy served again for `doc?session=S1` while the origin is down.
		expect(await store.keys()).toEqual([]);
		await expect(api.get('doc?session=S1')).rejects.toMatchObject({ name: 'HTTPError' });
		api.close();
	});

	it('the other way: the parent removes the copy its extend()ed client keyed without the value; a copy of another URL stays', async () => {
		const store = memoryStore('delete-child');
		const answers = [() => new Response('child', { status: 200 }), () => new Response('other', { status: 200 })];
		const api = createClient({
			baseUrl: 'https://api.example/', name: 'delete-child', store: () => store, clock: new ManualClock(), retry: 0, breaker: false,
			staleCache: { shared: false }, fetch: async () => (answers.shift() ?? (() => new Response('down', { status: 503 })))(),
		} as never);
		const child = api.extend({ sensitiveParams: ['session'] } as never);
		const stored: string[] = [];
		child.on('cache:stored', ({ url }) => stored.push(url));
		api.on('cache:stored', ({ url }) => stored.push(url));
		await child.get('doc?session=S1&page=2').text();
		await api.get('doc?page=2').text();
		await waitFor(() => stored.length === 2, 'the copies stored');
		expect((await store.keys()).length).toBe(2);
		await api.cache.delete('doc?session=S1&page=2');
		// Before: the child's copy kept (its key holds `session=`, the parent's delete looked for `session=S1`).
		expect((await store.keys()).map((key) => key.replace(/^r:\w*~\w*~/, ''))).toEqual(['https://api.example/doc?page=2']);
		await expect(child.get('doc?session=S1&page=2')).rejects.toMatchObject({ name: 'HTTPError' });
		api.close();
	});
});
