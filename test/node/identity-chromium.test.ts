/**
 * Persisted state that belongs to someone, in real Chromium (IndexedDB, a reload between users),
 * against the built library (dist/): two identities, a dump of IndexedDB, secrets in URLs.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright';
import { dumpIndexedDb, openPage, chromiumForFile } from '../helpers/pages.js';

type Lib = typeof import('../../src/entries/index.js');
type Scope = typeof globalThis & { steadfetch: Lib; api: import('../../src/entries/index.js').Client<{ outbox: import('../../src/entries/index.js').OutboxPolicy }>; who: string | undefined };

const { chromium, pages, api } = chromiumForFile();

/** A client in the page whose identity is `globalThis.who`. */
const setup = async (page: Page, who: string | undefined) => page.evaluate(({ base, who }) => {
	const scope = globalThis as Scope;
	scope.who = who;
	scope.api = scope.steadfetch.createClient({ baseUrl: base + '/', retry: 0, name: 'identity', identity: () => scope.who, outbox: scope.steadfetch.outbox() });
}, { base: api.url, who });

describe('identity in real Chromium', () => {
	it('user A\'s queued write and cached data stay A\'s across a reload and a switch to user B', async () => {
		await api.up();
		const context = await chromium.context();
		const page = await openPage(context, pages);
		await setup(page, 'user-alice@example.com');
		// A reads (stored in IndexedDB), then writes while the origin is down (queued).
		expect(await page.evaluate(async () => (await (globalThis as Scope).api.get('json?id=who-a&token=tok-alice-secret').json<{ n: number }>()).n)).toBe(1);
		await api.down('refuse');
		const queued = await page.evaluate(async () => (globalThis as Scope).api.post('mutate?id=who-a', { json: { order: 1 } }).then(() => 'sent', (error: unknown) => (globalThis as Scope).steadfetch.classify(error).code));
		expect(queued).toBe('QUEUED');
		await page.waitForFunction(async () => (await (globalThis as Scope).api.cache.list()).length === 1);

		// Logout, reload, B logs in; the origin is back, B's client drains: A's write is not sent.
		await page.reload();
		await page.waitForFunction(() => 'steadfetch' in globalThis);
		await setup(page, 'user-bob@example.com');
		await api.up();
		const bobView = await page.evaluate(async () => {
			const { api } = globalThis as Scope;
			const flushed = await api.outbox.flush();
			return { flushed, pending: (await api.outbox.list()).map(({ url, identity }) => ({ url, identity })), cached: await api.cache.list() };
		});
		expect(bobView.flushed).toMatchObject({ sent: 0 });
		expect(api.state.applied.get('who-a')).toBeUndefined();
		expect(bobView.pending).toEqual([{ url: `${api.url}/mutate?id=who-a`, identity: expect.stringMatching(/^[\da-f]{64}$/) }]);
		expect(bobView.cached).toEqual([]);

		// B cannot be answered from A's copy; A can.
		await api.down('refuse');
		expect(await page.evaluate(async () => (globalThis as Scope).api.get('json?id=who-a&token=tok-alice-secret').then(() => 'answered', (error: unknown) => (globalThis as Scope).steadfetch.classify(error).code))).toBe('NETWORK');
		await page.evaluate(() => {
			(globalThis as Scope).who = 'user-alice@example.com';
		});
		expect(await page.evaluate(async () => (globalThis as Scope).steadfetch.isStale(await (globalThis as Scope).api.get('json?id=who-a&token=tok-alice-secret')))).toBe(true);

		// IndexedDB holds neither identity nor the token, only digests.
		const dump = await dumpIndexedDb(page);
		expect(dump).toContain('mutate?id=who-a');
		for (const secret of ['user-alice', 'user-bob', 'tok-alice-secret']) {
			expect(dump).not.toContain(secret);
		}

		// A back: the write goes, once.
		await api.up();
		expect(await page.evaluate(async () => (await (globalThis as Scope).api.outbox.flush()).sent)).toBe(1);
		expect(api.state.applied.get('who-a')).toHaveLength(1);
		await context.close();
	});
});
