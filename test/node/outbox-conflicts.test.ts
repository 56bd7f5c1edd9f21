/**
 * Issue 27 in real Chromium (IndexedDB, reloads), against the built library (dist/): a write queued
 * offline that meets another device's change after a reload is one 412 and one conflict outcome,
 * an app update migrates what the previous version queued, and a tab's `coalesce` never supersedes
 * what another tab is replaying.
 */
import type { Page } from 'playwright';
import { describe, expect, it } from 'vitest';
import { openPage, chromiumForFile } from '../helpers/pages.js';

const { chromium, pages, api } = chromiumForFile();

type Scope = typeof globalThis & { steadfetch: typeof import('../../src/entries/index.js'); api: import('../../src/entries/index.js').Client<{ outbox: import('../../src/entries/index.js').OutboxPolicy }>; events: string[]; migrated: number };

/** The page's client, as the app at `version` makes it on every load; its outbox events are recorded. */
const boot = async (page: Page, version: 1 | 2) => page.evaluate(({ base, version }) => {
	const scope = globalThis as Scope;
	scope.events = [];
	scope.migrated = 0;
	const options: import('../../src/entries/index.js').OutboxOptions = version === 1 ? { baseBackoffMs: 600_000 } : {
		baseBackoffMs: 600_000, version: 2,
		// Version 2 of the app renamed `title` to `name`.
		migrate: (entry, from) => {
			scope.migrated++;
			const old = JSON.parse(new TextDecoder().decode(entry.body)) as { title: string };
			return { ...entry, body: new TextEncoder().encode(JSON.stringify({ name: old.title, migratedFrom: from })).buffer as ArrayBuffer };
		},
	};
	// random 0.99: a backoff is 99 % of its ceiling (here about 10 min), never a replay of its own during the test.
	scope.api = scope.steadfetch.createClient({ prefix: base, name: 'conflicts', retry: 0, breaker: false, random: () => 0.99, outbox: scope.steadfetch.outbox(options) }) as Scope['api'];
	for (const type of ['outbox:queued', 'outbox:conflict', 'outbox:dead', 'outbox:sent', 'outbox:retry', 'outbox:discarded'] as const) {
		scope.api.on(type, (event) => scope.events.push(`${event.type}${event.status ? ` ${event.status}` : ''}${event.deadReason ? ` ${event.deadReason}` : ''}`));
	}
}, { base: `${api.url}/`, version });

const reload = async (page: Page) => {
	await page.reload();
	await page.waitForFunction(() => 'steadfetch' in globalThis);
};

const events = async (page: Page) => page.evaluate(() => (globalThis as Scope).events);
/** The `online` drain's replay was refused by the origin (down): the entry waits its backoff (about 10 min), so nothing replays it before `flush()`. */
const refused = async (page: Page) => page.waitForFunction(() => (globalThis as Scope).events.includes('outbox:retry'));

describe('outbox conflicts and app updates in real Chromium', () => {
	it('a PUT queued offline, the page reloaded, the resource changed meanwhile, the origin back: exactly one 412 and one conflict outcome', async () => {
		await api.up();
		const context = await chromium.context();
		const page = await openPage(context, pages);
		await boot(page, 1);
		const etag = await page.evaluate(async () => (await (globalThis as Scope).api.get('doc?id=edited')).headers.get('etag'));
		expect(etag).toBe('"v1"');
		await context.setOffline(true);
		expect(await page.evaluate(async (etag) => (globalThis as Scope).api.put('doc?id=edited', { json: { title: 'mine' }, headers: { 'If-Match': etag! } }).then(() => 'sent', (error: { code: string }) => error.code), etag)).toBe('QUEUED');
		// Back online with the origin down: the `online` drain's replay is refused, the entry waits its backoff.
		await api.down('refuse');
		await context.setOffline(false);
		await refused(page);
		// Reloaded; meanwhile another device edits the document.
		await reload(page);
		await boot(page, 1);
		expect(await page.evaluate(async () => (await (globalThis as Scope).api.outbox.list()).map(({ preconditions }) => preconditions))).toEqual([{ 'if-match': '"v1"' }]);
		await api.up();
		expect((await fetch(`${api.url}/doc?id=edited`, { method: 'PUT', body: 'theirs' })).status).toBe(200);
		expect(await page.evaluate(async () => (globalThis as Scope).api.outbox.flush())).toEqual({ sent: 0, failed: 0, dead: 1, remaining: 0 });
		const doc = api.state.docs!.get('edited')!;
		expect(doc.conflicts).toBe(1); // exactly one 412
		expect(doc.body).toBe('theirs'); // nothing overwritten
		expect(await events(page)).toEqual(['outbox:conflict 412', 'outbox:dead conflict']);
		expect(await page.evaluate(async () => (await (globalThis as Scope).api.outbox.deadLetters()).map(({ deadReason, lastError }) => [deadReason, lastError?.code, lastError?.status]))).toEqual([['conflict', 'CONFLICT', 412]]);
		await context.close();
	}, 60_000);

	it('an app update: what version 1 queued is migrated once by version 2 after a reload, and applied in its new shape', async () => {
		await api.up();
		const context = await chromium.context();
		const page = await openPage(context, pages);
		await boot(page, 1);
		await context.setOffline(true);
		expect(await page.evaluate(async () => (globalThis as Scope).api.put('doc?id=updated', { json: { title: 'from v1' } }).then(() => 'sent', (error: { code: string }) => error.code))).toBe('QUEUED');
		expect(await page.evaluate(async () => (await (globalThis as Scope).api.outbox.list()).map(({ version }) => version))).toEqual([1]);
		await api.down('refuse');
		await context.setOffline(false);
		await refused(page);
		await reload(page); // the new version of the app
		await boot(page, 2);
		await api.up();
		expect(await page.evaluate(async () => (await (globalThis as Scope).api.outbox.list()).map(({ version }) => version))).toEqual([1]); // migrated before its next replay, not before
		expect(await page.evaluate(async () => (globalThis as Scope).api.outbox.flush())).toEqual({ sent: 1, failed: 0, dead: 0, remaining: 0 });
		expect(await page.evaluate(async () => (globalThis as Scope).migrated)).toBe(1);
		expect(api.state.docs!.get('updated')!.writes.map((write) => write.body)).toEqual(['{"name":"from v1","migratedFrom":1}']);
		await page.evaluate(async () => (globalThis as Scope).api.outbox.flush());
		expect(await page.evaluate(async () => (globalThis as Scope).migrated)).toBe(1); // once
		await context.close();
	}, 60_000);

	it('two tabs with coalesce: a PUT one tab queues while the other replays a PUT of the same URL supersedes nothing (no outbox:superseded, then outbox:sent, for one entry); both apply in order', async () => {
		await api.up();
		const context = await chromium.context();
		const tabs = [await openPage(context, pages), await openPage(context, pages)];
		type Tab = Scope & { release: () => void; atGate: boolean };
		for (const tab of tabs) {
			await tab.evaluate((base) => {
				const scope = globalThis as Tab;
				scope.events = [];
				scope.atGate = false;
				const gate = new Promise<void>((resolve) => {
					scope.release = resolve;
				});
				// The tab that replays the first PUT (the one whose drain takes the lock) waits at a gate: it is in flight.
				// (The PUT's own attempt, made offline as the scope's one attempt in 10 s, fails as it would.)
				const gated = async (input: RequestInfo | URL, init?: RequestInit) => {
					if (navigator.onLine && (input as Request).method === 'PUT' && !scope.atGate) {
						scope.atGate = true;
						await gate;
					}

					return fetch(input, init);
				};
				scope.api = scope.steadfetch.createClient({ prefix: base, name: 'coalesce-tabs', retry: 0, breaker: false, random: () => 0.99, fetch: gated, outbox: scope.steadfetch.outbox({ coalesce: true, baseBackoffMs: 600_000 }) }) as Scope['api'];
				for (const type of ['outbox:superseded', 'outbox:sent'] as const) {
					scope.api.on(type, (event) => scope.events.push(`${event.type} ${event.entryId}`));
				}
			}, `${api.url}/`);
		}

		await context.setOffline(true);
		const first = await tabs[0]!.evaluate(async () => (globalThis as Tab).api.put('doc?id=tabs', { body: '1' }).then(() => 'sent', (error: { entryId: string }) => error.entryId));
		await context.setOffline(false); // each tab's `online` asks for a drain: one takes the lock and replays it
		await expect.poll(async () => Promise.all(tabs.map(async (tab) => tab.evaluate(() => (globalThis as Tab).atGate))), { timeout: 20_000 }).toContain(true);
		const replaying = (await Promise.all(tabs.map(async (tab) => tab.evaluate(() => (globalThis as Tab).atGate)))).indexOf(true);
		const other = tabs[1 - replaying]!;
		// The other tab queues a PUT of the same URL behind it (its own gate is left open for it).
		await other.evaluate(() => {
			(globalThis as Tab).atGate = true;
			(globalThis as Tab).release();
		});
		expect(await other.evaluate(async () => (globalThis as Tab).api.put('doc?id=tabs', { body: '2' }).then(() => 'sent', (error: { code: string }) => error.code))).toBe('QUEUED');
		await tabs[replaying]!.evaluate(() => (globalThis as Tab).release());
		await expect.poll(() => api.state.docs?.get('tabs')?.writes.map((write) => write.body), { timeout: 20_000 }).toEqual(['1', '2']);
		const seen = [...await events(tabs[0]!), ...await events(tabs[1]!)];
		expect(seen.filter((event) => event.startsWith('outbox:superseded'))).toEqual([]);
		expect(seen).toContain(`outbox:sent ${first}`);
		await context.close();
	}, 60_000);
});
