/**
 * The README recipe "Conflicts and app updates", run with @tanstack/query-core (its types imported
 * from @tanstack/react-query, as a React app has them): optimistic updates of a
 * write that goes through the outbox, rolled back when the outbox reports a conflict or a dead
 * letter, refetched when the write is delivered. The recipe is the `#region README` block, printed
 * in the README with the package's names (`steadfetch`, `steadfetch/tanstack-query`) for the
 * src/ paths; the tests run it against the loopback API's `/doc` (a versioned document with ETags)
 * and a second device. Then every code block of that README section is type-checked as a React app
 * has it: strict, no unused variable or parameter, under a pnpm-like node_modules where only
 * @tanstack/react-query (not @tanstack/query-core) can be imported.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tanstack from '@tanstack/query-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { createHandler, createState } from '../helpers/server-handler.js';

// #region README: Conflicts and app updates
import type { QueryClient, QueryKey } from '@tanstack/react-query';
import type { Client, OutboxPolicy } from '../../src/entries/index.js';
import { mutationOptionsFor, type Delivery } from '../../src/entries/tanstack-query.js';

/**
 * Optimistic writes through the outbox: the change shows at once; a write the outbox queued stays
 * shown until it is delivered (then the query refetches the server's truth), and is rolled back
 * when the outbox reports a conflict (another device changed the resource), a dead letter or a
 * discarded write. `unsaved()` counts the queued writes not settled yet (a "not saved yet" badge).
 * The outbox tells no event for the writes the app removes itself (`api.clear()` at logout,
 * `api.outbox.discard(id)`): call `forget()` once it resolved, and those writes are rolled back too.
 */
const optimisticWrites = (api: Client<{ outbox: OutboxPolicy }>, queryClient: QueryClient) => {
	/** Queued writes by entry id: the query they changed and what it showed before. */
	const waiting = new Map<string, { queryKey: QueryKey; previous: unknown; rolledBack?: boolean }>();
	/** What a superseded write's query showed before it, for the write that replaced it (by query). */
	const replaced = new Map<string, unknown>();
	const rollBack = ({ entryId }: { entryId: string }): void => {
		const write = waiting.get(entryId);
		if (write && !write.rolledBack) {
			write.rolledBack = true;
			queryClient.setQueryData(write.queryKey, write.previous);
			void queryClient.invalidateQueries({ queryKey: write.queryKey }); // show the other device's version
		}
	};
	const settle = ({ entryId }: { entryId: string }): void => {
		const write = waiting.get(entryId);
		waiting.delete(entryId);
		if (write) {
			void queryClient.invalidateQueries({ queryKey: write.queryKey }); // the server's truth
		}
	};

	api.on('outbox:conflict', rollBack); // `onConflict` may still rebase it: then `outbox:sent` follows
	api.on('outbox:sent', settle);
	for (const type of ['outbox:dead', 'outbox:discarded'] as const) {
		// Never delivered: a dead letter, `onConflict` returned 'discard', or `migrate` returned null.
		api.on(type, (event) => {
			rollBack(event);
			settle(event);
		});
	}

	// `coalesce`: a later write of the same URL replaced this one; it takes over what this one undid.
	api.on('outbox:superseded', ({ entryId }) => {
		const write = waiting.get(entryId);
		waiting.delete(entryId);
		if (write && !write.rolledBack) {
			replaced.set(JSON.stringify(write.queryKey), write.previous);
		}
	});

	/** Mutation options: `apply` computes the optimistic data from the current data and the variables. */
	const options = <T, V>(queryKey: QueryKey, send: (variables: V) => PromiseLike<Response>, apply: (current: T | undefined, variables: V) => T) => ({
		...mutationOptionsFor<unknown, V>(send),
		async onMutate(variables: V) {
			await queryClient.cancelQueries({ queryKey });
			const previous = queryClient.getQueryData<T>(queryKey);
			queryClient.setQueryData<T>(queryKey, (current) => apply(current, variables));
			return { previous };
		},
		onError(_error: unknown, _variables: V, context: { previous: T | undefined } | undefined) {
			queryClient.setQueryData(queryKey, context?.previous); // refused at once (a 4xx): undo now
		},
		onSuccess(delivery: Delivery<unknown>, _variables: V, context: { previous: T | undefined }) {
			const key = JSON.stringify(queryKey);
			const previous = replaced.has(key) ? replaced.get(key) : context.previous;
			replaced.delete(key);
			if (delivery.queued) {
				waiting.set(delivery.entryId, { queryKey, previous });
			} else {
				void queryClient.invalidateQueries({ queryKey });
			}
		},
	});
	/** After `api.clear()` or `api.outbox.discard(id)`: the writes the outbox no longer holds are rolled back, not counted. */
	const forget = async (): Promise<void> => {
		const pending = new Set((await api.outbox.list()).map((entry) => entry.id));
		for (const entryId of [...waiting.keys()].filter((id) => !pending.has(id))) {
			rollBack({ entryId });
			waiting.delete(entryId);
		}
	};
	return { options, unsaved: () => waiting.size, forget };
};
// #endregion

interface Doc {
	version: number;
	body: string;
}

let server: RunningServer;
const state = createState();
beforeAll(async () => {
	server = await serve(createHandler(state));
});
afterAll(async () => server.close());

let queryClient: tanstack.QueryClient;
let api: Client<{ outbox: OutboxPolicy }>;
afterEach(() => {
	queryClient?.clear();
	api?.close();
});

const setup = (options: object = {}) => {
	queryClient = new tanstack.QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Number.POSITIVE_INFINITY } } });
	api = createClient({ prefix: `${server.url}/`, store: memoryStore, retry: 0, breaker: false, staleCache: false, outbox: outbox({ baseBackoffMs: 600_000, ...options }) }) as Client<{ outbox: OutboxPolicy }>;
	const writes = optimisticWrites(api, queryClient);
	return { mutationFor: writes.options, unsaved: writes.unsaved, forget: writes.forget };
};

/** The document as a query: its version and body, and the ETag to write against. */
const docQuery = (id: string) => ({
	queryKey: ['doc', id],
	queryFn: async () => {
		const response = await api.get(`doc?id=${id}`);
		return { ...await response.json<Doc>(), etag: response.headers.get('etag')! };
	},
});

type Shown = Doc & { etag: string };

/** Edit the document: PUT its new body against the version shown (If-Match); `fail` makes the first attempt answer 503 (queued). */
const edit = (mutationFor: ReturnType<typeof setup>['mutationFor'], id: string, fail = '') => new tanstack.MutationObserver(queryClient, mutationFor<Shown, { body: string; etag: string }>(
	['doc', id],
	async ({ body, etag }) => api.put(`doc?id=${id}${fail}`, { body, headers: { 'If-Match': etag } }),
	(current, { body }) => ({ ...current!, body }),
));

const shown = (id: string) => queryClient.getQueryData<Shown>(['doc', id]);
/** Wait (real time) until the query shows what `check` wants. */
const until = async (id: string, check: (doc: Shown | undefined) => boolean) => {
	const deadline = Date.now() + 5_000;
	while (!check(shown(id))) {
		if (Date.now() > deadline) {
			throw new Error(`the query shows ${JSON.stringify(shown(id))}`);
		}

		await new Promise((resolve) => setTimeout(resolve, 5));
	}
};

/** A component showing the document: an active query (what invalidation refetches). */
const mount = async (id: string) => {
	const observer = new tanstack.QueryObserver(queryClient, docQuery(id));
	const unsubscribe = observer.subscribe(() => undefined);
	await until(id, (doc) => doc !== undefined);
	return unsubscribe;
};

describe('the README recipe: optimistic updates through the outbox, rolled back on a conflict', () => {
	it('a queued edit shows at once and stays; delivered, the query refetches the server\'s version', async () => {
		const { mutationFor, unsaved } = setup();
		const unmount = await mount('t1');
		const { etag } = shown('t1')!;
		expect(await edit(mutationFor, 't1', '&fail=503').mutate({ body: 'mine', etag })).toMatchObject({ queued: true });
		expect(shown('t1')).toMatchObject({ body: 'mine', version: 1 }); // optimistic
		expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
		await until('t1', (doc) => doc?.version === 2);
		expect(shown('t1')).toMatchObject({ body: 'mine', version: 2 }); // the server's
		expect(unsaved()).toBe(0);
		unmount();
	});

	it('another device changed it meanwhile: the 412 rolls the edit back and shows the other device\'s version; no dead write stays shown', async () => {
		const { mutationFor, unsaved } = setup();
		const unmount = await mount('t2');
		const { etag } = shown('t2')!;
		await edit(mutationFor, 't2', '&fail=503').mutate({ body: 'mine', etag });
		expect(shown('t2')).toMatchObject({ body: 'mine' });
		expect((await fetch(`${server.url}/doc?id=t2`, { method: 'PUT', body: 'theirs' })).status).toBe(200);
		expect(await api.outbox.flush()).toMatchObject({ dead: 1 });
		await until('t2', (doc) => doc?.version === 2);
		expect(shown('t2')).toMatchObject({ body: 'theirs', version: 2 });
		expect(await api.outbox.deadLetters()).toMatchObject([{ deadReason: 'conflict' }]);
		expect(unsaved()).toBe(0);
		unmount();
	});

	it('with a resolver that rebases the edit on the current version: rolled back at the conflict, then the server\'s merged version once delivered', async () => {
		const { mutationFor, unsaved } = setup({ onConflict: async ({ response }: { response: Response }) => ({ body: 'mine, merged', headers: { 'If-Match': response.headers.get('etag')! } }) });
		const unmount = await mount('t3');
		await edit(mutationFor, 't3', '&fail=503').mutate({ body: 'mine', etag: shown('t3')!.etag });
		expect((await fetch(`${server.url}/doc?id=t3`, { method: 'PUT', body: 'theirs' })).status).toBe(200);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, dead: 0 });
		await until('t3', (doc) => doc?.version === 3);
		expect(shown('t3')).toMatchObject({ body: 'mine, merged', version: 3 });
		expect(unsaved()).toBe(0);
		unmount();
	});

	it('a resolver that discards the edit: rolled back, the other device\'s version shown, nothing left waiting (outbox:discarded)', async () => {
		const { mutationFor, unsaved } = setup({ onConflict: () => 'discard' });
		const unmount = await mount('t5');
		await edit(mutationFor, 't5', '&fail=503').mutate({ body: 'mine', etag: shown('t5')!.etag });
		expect(unsaved()).toBe(1);
		expect((await fetch(`${server.url}/doc?id=t5`, { method: 'PUT', body: 'theirs' })).status).toBe(200);
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 0, remaining: 0 });
		await until('t5', (doc) => doc?.version === 2);
		expect(shown('t5')).toMatchObject({ body: 'theirs', version: 2 });
		expect(unsaved()).toBe(0);
		unmount();
	});

	it('with coalesce, a second queued edit replaces the first (outbox:superseded); its conflict rolls the query back and leaves nothing waiting', async () => {
		const { mutationFor, unsaved } = setup({ coalesce: true });
		const superseded: string[] = [];
		api.on('outbox:superseded', ({ entryId }) => superseded.push(entryId));
		const unmount = await mount('t6');
		const { etag } = shown('t6')!;
		const first = await edit(mutationFor, 't6', '&fail=503').mutate({ body: 'first', etag }) as { entryId: string };
		expect((await fetch(`${server.url}/doc?id=t6`, { method: 'PUT', body: 'theirs' })).status).toBe(200);
		// Queued behind the first, which it replaces; replayed at once, it meets the other device's change.
		const second = await edit(mutationFor, 't6', '&fail=503').mutate({ body: 'second', etag }) as { entryId: string };
		expect(superseded).toEqual([first.entryId]);
		await until('t6', (doc) => doc?.body === 'theirs');
		expect(shown('t6')).toMatchObject({ body: 'theirs', version: 2 });
		expect((await api.outbox.deadLetters()).map(({ id, deadReason }) => [id, deadReason])).toEqual([[second.entryId, 'conflict']]);
		expect(unsaved()).toBe(0);
		unmount();
	});

	it('a logout (api.clear()) or the app\'s own discard(id): the writes the outbox no longer holds are rolled back and no longer counted', async () => {
		const { mutationFor, unsaved, forget } = setup();
		const unmount = await mount('t7');
		const kept = await mount('t8');
		const first = await edit(mutationFor, 't7', '&fail=503').mutate({ body: 'mine', etag: shown('t7')!.etag }) as { entryId: string };
		await edit(mutationFor, 't8', '&fail=503').mutate({ body: 'mine too', etag: shown('t8')!.etag });
		expect(unsaved()).toBe(2);
		await api.outbox.discard(first.entryId);
		await forget(); // Before (the recipe had none): unsaved() 2 where 1, and 'mine' still shown.
		expect(unsaved()).toBe(1);
		expect(shown('t7')).toMatchObject({ body: '', version: 1 });
		await api.clear();
		await forget();
		expect(unsaved()).toBe(0);
		expect(shown('t8')).toMatchObject({ body: '', version: 1 });
		unmount();
		kept();
	});

	it('a write refused at once (a 412 to the live call) is undone at once', async () => {
		const { mutationFor } = setup();
		const unmount = await mount('t4');
		await expect(edit(mutationFor, 't4').mutate({ body: 'mine', etag: '"stale"' })).rejects.toMatchObject({ name: 'HTTPError' });
		expect(shown('t4')).toMatchObject({ body: '', version: 1 });
		unmount();
	});
});

const root = join(import.meta.dirname, '../..');

describe('the README section "Conflicts and app updates" in a React app (tsc, built types)', () => {
	it('each of its code blocks type-checks with the React template\'s options (noUnusedLocals, noUnusedParameters) under a strict (pnpm) node_modules', () => {
		if (!existsSync(join(root, 'dist/tanstack-query.d.ts'))) {
			throw new Error('dist/ is missing: run `npm run build` first');
		}

		const readme = readFileSync(join(root, 'README.md'), 'utf8');
		const from = readme.indexOf('### Conflicts and app updates');
		const section = readme.slice(from, readme.indexOf('\n### ', from + 1));
		const blocks = [...section.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
		expect(blocks.length).toBe(3); // the options, keeping If-Match yourself, the TanStack recipe
		const dir = mkdtempSync(join(tmpdir(), 'steadfetch-conflicts-'));
		// Only what the app installs: react-query, React's types, steadfetch (this package, built).
		const links = ['@tanstack/react-query', 'react', '@types/react', 'steadfetch'].map((name) => join(dir, 'node_modules', name));
		try {
			for (const link of links) {
				mkdirSync(dirname(link), { recursive: true });
				symlinkSync(link.endsWith('steadfetch') ? root : join(root, link.slice(dir.length + 1)), link);
			}

			const files = blocks.map((code, index) => {
				// A block's top-level names are the app's to use elsewhere: exported, so only unused ones inside it count.
				const names = [...code.matchAll(/^const (\w+)/gm)].map((match) => match[1]);
				writeFileSync(join(dir, `block-${index}.ts`), `${code}${names.length > 0 ? `export { ${names.join(', ')} };\n` : ''}`);
				return `block-${index}.ts`;
			});
			const fixture = JSON.parse(readFileSync(join(root, 'test/fixtures/tanstack-react/tsconfig.json'), 'utf8').replaceAll(/^\s*\/\/.*$/gm, '')) as { compilerOptions: object };
			writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: fixture.compilerOptions, files }));
			const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
			expect(tsc.stdout + tsc.stderr).toBe('');
			expect(tsc.status).toBe(0);
		} finally {
			for (const link of links) {
				rmSync(link, { force: true }); // the link, never what it points to
			}

			rmSync(dir, { recursive: true, force: true });
		}
	}, 60_000);
});
