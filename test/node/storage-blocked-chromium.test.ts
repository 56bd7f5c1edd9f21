/**
 * IndexedDB that never answers, in real Chromium: another connection holds the databases open while
 * an upgrade waits, so every open of them blocks. A default GET and an outbox POST still answer,
 * within `storageTimeoutMs`, and `storage:error` says why (issue 12). Against the built dist/.
 */
import { describe, expect, it } from 'vitest';
import { openPage, chromiumForFile } from '../helpers/pages.js';

type Lib = typeof import('../../src/entries/index.js');
type Scope = typeof globalThis & { steadfetch: Lib; api: ReturnType<Lib['createClient']>; errors: string[] };

const { chromium, pages, api } = chromiumForFile();

describe('blocked IndexedDB in real Chromium', () => {
	it('a default GET and an outbox POST answer within storageTimeoutMs, with storage:error', async () => {
		await api.up();
		const context = await chromium.context();
		const page = await openPage(context, pages);
		const outcome = await page.evaluate(async ({ base }) => {
			const scope = globalThis as Scope;
			// Hold each database open (never closing on versionchange), then ask for an upgrade: it
			// waits forever, and every later open of the database waits behind it.
			const block = async (name: string): Promise<void> => {
				await new Promise<void>((resolve) => {
					const first = indexedDB.open(name, 1);
					first.onupgradeneeded = () => first.result.createObjectStore('keyval');
					first.onsuccess = () => resolve();
				});
				indexedDB.open(name, 2);
			};

			await Promise.all(['breaker', 'cache', 'outbox'].map(async (part) => block(`steadfetch:blocked-idb/${part}`)));
			scope.errors = [];
			scope.api = scope.steadfetch.createClient({ baseUrl: base + '/', name: 'blocked-idb', retry: 0, storageTimeoutMs: 300, outbox: scope.steadfetch.outbox({ queuedResponse: 'accepted' }) });
			scope.api.on('storage:error', (event) => scope.errors.push(`${event.part} ${event.operation} ${(event.error as Error)?.name}`));
			const started = performance.now();
			const read = await scope.api.get('json?id=blocked-idb').json<{ n: number }>();
			const readMs = performance.now() - started;
			const writeStarted = performance.now();
			const write = await scope.api.post('mutate?id=blocked-idb&fail=503').then((response) => response.status, (error: unknown) => scope.steadfetch.classify(error).code);
			const writeMs = performance.now() - writeStarted;
			return { read: read.n, readMs, write, writeMs, errors: scope.errors };
		}, { base: api.url });
		expect(outcome.read).toBe(1);
		expect(outcome.readMs).toBeLessThan(3_000);
		expect(outcome.write).toBe(202);
		expect(outcome.writeMs).toBeLessThan(3_000);
		expect(outcome.errors).toContain('breaker get StorageTimeoutError');
		expect(outcome.errors.some((error) => error.startsWith('outbox') && error.endsWith('StorageTimeoutError'))).toBe(true);
		await context.close();
	});
});
