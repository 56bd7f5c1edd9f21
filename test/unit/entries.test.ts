/**
 * API.md "Entries and slots": the `steadfetch` preset exports everything `steadfetch/core`, `steadfetch/breaker`,
 * `steadfetch/cache` and `steadfetch/outbox` export; it takes `outbox` only as the policy `outbox()` makes, so a
 * program that never queues carries none of the outbox's code.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { isHTTPError } from 'ky';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as breaker from '../../src/entries/breaker.js';
import * as cache from '../../src/entries/cache.js';
import * as core from '../../src/entries/core.js';
import * as preset from '../../src/entries/index.js';
import * as outbox from '../../src/entries/outbox.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { createHandler, createState } from '../helpers/server-handler.js';

let server: RunningServer;
beforeAll(async () => {
	server = await serve(createHandler(createState()));
});
afterAll(async () => server.close());

const root = join(import.meta.dirname, '../..');
const make = (options: preset.ClientOptions) => preset.createClient({ baseUrl: `${server.url}/`, store: preset.memoryStore, retry: 0, breaker: false, staleCache: false, ...options });

/** What `make()` throws, or undefined. */
const thrown = (make: () => unknown): unknown => {
	try {
		make();
	} catch (error) {
		return error;
	}

	return undefined;
};

describe('entries', () => {
	it('the preset exports every value of steadfetch/core, /breaker, /cache and /outbox, the same one', () => {
		for (const [name, entry] of Object.entries({ core, breaker, cache, outbox })) {
			for (const [key, value] of Object.entries(entry)) {
				if (key === 'createClient') {
					continue; // the preset's own, which builds the mission's policies from plain options
				}

				expect((preset as Record<string, unknown>)[key], `steadfetch/${name}: ${key}`).toBe(value);
			}
		}
	});
});

describe('the preset\'s outbox is the policy outbox() makes', () => {
	it('`outbox: true` or plain options throw a TypeError naming outbox(), at createClient, extend() and create()', () => {
		const client = make({});
		for (const [given, attempt] of [
			[true, () => preset.createClient({ outbox: true as never })],
			[true, () => client.extend({ outbox: true as never })],
			[{ maxEntries: 5 }, () => preset.createClient({ outbox: { maxEntries: 5 } as never })],
			[{ maxEntries: 5 }, () => client.create({ outbox: { maxEntries: 5 } as never })],
		] as const) {
			const error = thrown(attempt);
			expect(error, JSON.stringify(given)).toBeInstanceOf(TypeError);
			expect((error as Error).message).toMatch(/outbox\(\)/);
			expect((error as Error).message).toContain('`outbox: outbox()`');
		}

		client.close();
	});

	it('`outbox: outbox()` queues a write the origin cannot take and delivers it; from steadfetch/outbox it is the same policy', async () => {
		for (const [id, factory] of [['entries-preset', preset.outbox], ['entries-entry', outbox.outbox]] as const) {
			const api = make({ outbox: factory({ baseBackoffMs: 60_000 }) }) as preset.Client<{ outbox: preset.OutboxPolicy }>; // no replay of its own before flush()
			await expect(api.post(`mutate?id=${id}&fail=503&times=1`, { json: { n: 1 } })).rejects.toBeInstanceOf(preset.OutboxQueuedError);
			expect(await api.outbox.size()).toBe(1);
			expect(await api.outbox.flush()).toEqual({ sent: 1, failed: 0, dead: 0, remaining: 0 });
			api.close();
		}
	});

	it('`outbox: false` (and no outbox) queue nothing: a failed write fails, `client.outbox` says how to turn it on', async () => {
		for (const api of [make({ outbox: false }), make({})]) {
			const error = await api.post('mutate?id=entries-off&fail=503', { json: { n: 1 } }).catch((error_: unknown) => error_);
			expect(isHTTPError(error)).toBe(true);
			expect(() => (api as unknown as { outbox: unknown }).outbox).toThrow(/`outbox: outbox\(\)`/);
			api.close();
		}
	});

	it('a program that imports steadfetch and fills no slot carries no byte of the outbox (bundled from src/ as a bundler would)', async () => {
		const bundled = async (contents: string) => {
			const result = await build({
				stdin: { contents, resolveDir: root, sourcefile: 'app.ts', loader: 'ts' }, bundle: true, minify: true, format: 'esm',
				platform: 'browser', write: false, metafile: true, logLevel: 'silent', external: ['ky', 'idb-keyval'],
			});
			return Object.entries(Object.values(result.metafile.outputs)[0]!.inputs).filter(([, { bytesInOutput }]) => bytesInOutput > 0).map(([path]) => path);
		};

		const defaults = await bundled("import { createClient } from './src/entries/index.ts';\nexport const api = createClient();");
		expect(defaults.filter((path) => path.startsWith('src/outbox/'))).toEqual([]);
		expect(defaults).toContain('src/breaker/breaker.ts'); // the mission's on-by-default policies are there
		const queuing = await bundled("import { createClient, outbox } from './src/entries/index.ts';\nexport const api = createClient({ outbox: outbox() });");
		expect(queuing).toContain('src/outbox/queue.ts');
	});
});
