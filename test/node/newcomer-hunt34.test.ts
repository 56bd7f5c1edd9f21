/**
 * The thirty-fourth hunt, the newcomer's frictions: what a newcomer reads in the README and what the
 * package does when they follow it (or make a common mistake).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

const fetch = async (): Promise<Response> => new Response('{}', { headers: { 'content-type': 'application/json' } });

describe('a client used after its `close()` says what to do', () => {
	// A common way to meet it: a module-level client closed in a React effect's cleanup, which StrictMode
	// runs once on mount; every later call of the page then rejects.
	const advice = /^The client is closed: `close\(\)` ends it for good, so keep one client for the life of the page or Worker$/;

	it('a call, a member that would act, and a request\'s client after their close(): CLIENT_CLOSED, naming what to do', async () => {
		const { createClient, memoryStore, outbox, SteadfetchError } = await import('../../src/entries/index.js');
		const api = createClient({ baseUrl: 'https://api.example.com/v1/', store: memoryStore, fetch, outbox: outbox() });
		const request = api.withContext({ waitUntil: () => undefined });
		request.close();
		const fromRequest = await request.get('users/1').then(() => undefined, (error: unknown) => error);
		api.close();
		const errors = await Promise.all([api.get('users/1'), api.outbox.flush(), api.clear()].map(async (call) => call.then(() => undefined, (error: unknown) => error)));
		for (const error of [fromRequest, ...errors]) {
			expect(error).toBeInstanceOf(SteadfetchError);
			expect((error as InstanceType<typeof SteadfetchError>).code).toBe('CLIENT_CLOSED');
		}

		// Before: 'The client is closed' alone, nothing on what to do.
		expect([fromRequest, ...errors].map((error) => (error as Error).message).filter((message) => !advice.test(message))).toEqual([]);
	});
});

describe('the Node a clone\'s commands need (`npm install && npm run demo`, `npm test`), as the README and CONTRIBUTING.md state it', () => {
	/** The lowest Node 22 release an `engines.node` range admits (`^22.12.0 || >=24`: [22, 12]), or undefined when it admits none. */
	const lowest22 = (range: string): [number, number] | undefined => {
		const admitted = range.split('||').map((alternative) => {
			const [, op, major, minor] = /^\s*(\^|>=|>=\s+)?\s*(\d+)(?:\.(\d+))?/.exec(alternative) ?? [];
			const [a, b] = [Number(major), Number(minor ?? 0)];
			if (op?.trim() === '>=') {
				return a < 22 ? [22, 0] as [number, number] : a === 22 ? [22, b] as [number, number] : undefined;
			}

			return a === 22 ? [22, b] as [number, number] : undefined; // ^a.b.c (or a bare version) stays within its major
		}).filter((version) => version !== undefined);
		return admitted.sort((x, y) => x[1] - y[1])[0];
	};

	it('is at least what every devDependency the commands install and run declares (tsup, the build, needs 22.18)', () => {
		const pkg = JSON.parse(read('package.json')) as { devDependencies: Record<string, string> };
		const floors = Object.keys(pkg.devDependencies).map((name) => {
			const engines = (JSON.parse(read(`node_modules/${name}/package.json`)) as { engines?: { node?: string } }).engines?.node;
			return { name, floor: engines === undefined ? [22, 0] : lowest22(engines) };
		});
		expect(floors.filter(({ floor }) => floor === undefined)).toEqual([]); // every tool runs on some Node 22
		const minor = Math.max(...floors.map(({ floor }) => floor![1]));
		expect(minor).toBeGreaterThanOrEqual(18); // tsup 9: ^22.18.0 (its build needs require(esm), Node 22.12+, at least)
		const stated = {
			readme: /\*\*Try it\*\* in a clone \(Node (\d+(?:\.\d+)?)\+/.exec(read('README.md'))?.[1],
			contributing: /Every command needs \*\*Node >= (\d+(?:\.\d+)?)\*\*/.exec(read('CONTRIBUTING.md'))?.[1],
			// .ci/run installs Node 24 below that version.
			ci: /node_older_than (\d+\.\d+)/.exec(read('.ci/run'))?.[1],
		};
		// Before: 'Node 22+' and 'Node >= 22' — on Node 22.0 to 22.11 a fresh clone's `npm run demo` ends in
		// "npm run build failed" (tsup: ERR_REQUIRE_ESM, require() of ES Module cac), and .ci/run kept such a Node.
		expect(stated).toEqual({ readme: `22.${minor}`, contributing: `22.${minor}`, ci: `22.${minor}` });
	});
});

describe('`outboxSyncHandler(client)` with a client made without `outbox`: the TypeError its TSDoc and the README promise', () => {
	it('a preset client (whose `outbox` throws OUTBOX_DISABLED when read), a core client, and no client: each a TypeError naming `outbox: outbox()`', async () => {
		const { createClient, memoryStore, outboxSyncHandler } = await import('../../src/entries/index.js');
		const sw = await import('../../src/entries/sw.js');
		const core = await import('../../src/entries/core.js');
		const preset = createClient({ store: memoryStore, fetch });
		const bare = core.createClient({ fetch });
		const thrown = [[outboxSyncHandler, preset], [sw.outboxSyncHandler, preset], [sw.outboxSyncHandler, bare], [sw.outboxSyncHandler, undefined]].map(([handler, client]) => {
			try {
				(handler as (client: unknown) => unknown)(client);
				return 'none';
			} catch (error) {
				return `${(error as Error).constructor.name}: ${(error as Error).message}`;
			}
		});
		preset.close();
		bare.close();
		// Before: the preset client's `SteadfetchError: The outbox is off: …` (OUTBOX_DISABLED, its getter's), twice.
		expect(thrown).toEqual(Array(4).fill('TypeError: `outboxSyncHandler(client)` needs a client made with `outbox: outbox()`'));
	});
});

describe('"Errors": `OUTBOX_DISABLED` is the preset\'s, as the code throws it', () => {
	it('a `steadfetch` client without `outbox` throws it when `api.outbox` is read; a `steadfetch/core` one has no `outbox` (undefined), and the row says which', async () => {
		const { createClient, memoryStore } = await import('../../src/entries/index.js');
		const core = await import('../../src/entries/core.js');
		const preset = createClient({ store: memoryStore, fetch });
		const bare = core.createClient({ fetch });
		const outboxOf = (client: object): string => {
			try {
				return String((client as { outbox?: unknown }).outbox);
			} catch (error) {
				return (error as { code?: string }).code ?? 'thrown';
			}
		};
		expect([outboxOf(preset), outboxOf(bare)]).toEqual(['OUTBOX_DISABLED', 'undefined']);
		preset.close();
		bare.close();
		const row = read('README.md').split('\n').find((line) => line.startsWith('| `OUTBOX_DISABLED` |')) ?? '';
		// Before: '`api.outbox` read on a client made without `outbox`': a steadfetch/core client's is undefined, nothing thrown.
		expect(row).toContain('`api.outbox` read on a `steadfetch` client made without `outbox` (a `steadfetch/core` client has no `outbox` then: `undefined`)');
	});
});

describe('a `json` body with no JSON form (a function not called, a Symbol) says so, and what to do, with the outbox or without', () => {
	const reason = 'The `json` body cannot be serialized: it has no JSON form (a function, a Symbol): give the value to send';

	it('`json: getUser` (the function, not its value), a Symbol, a `toJSON()` that returns undefined: the same InvalidRequestError, nothing sent', async () => {
		const { createClient, InvalidRequestError, memoryStore, outbox } = await import('../../src/entries/index.js');
		let sent = 0;
		const counting = async (): Promise<Response> => {
			sent++;
			return new Response('{}');
		};
		const getUser = (): { name: string } => ({ name: 'Ada' });
		const messages: string[] = [];
		for (const api of [createClient({ store: memoryStore, fetch: counting }), createClient({ store: memoryStore, fetch: counting, outbox: outbox() })]) {
			for (const json of [getUser, Symbol('user'), { toJSON: () => undefined }]) {
				const error = await api.post('https://api.example.com/v1/users', { json }).then(() => undefined, (thrown: unknown) => thrown);
				expect(error).toBeInstanceOf(InvalidRequestError);
				messages.push((error as Error).message.replace(/^Invalid request: /, ''));
			}

			api.close();
		}

		// Before: 'The `json` body cannot be serialized' alone without the outbox, and '… : `stringifyJson` returned undefined'
		// with it (an option the app never set).
		expect(messages).toEqual(Array(6).fill(reason));
		expect(sent).toBe(0);
	});
});
