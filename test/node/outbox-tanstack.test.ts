/**
 * The README recipe "Conflicts and app updates" with @tanstack/query-core: optimistic updates of a
 * write that goes through the outbox, rolled back when the outbox reports a conflict or a dead
 * letter, refetched when the write is delivered. The recipe is the `#region README` block, printed
 * in the README with the package's names (`steadfetch`, `steadfetch/tanstack-query`) for the
 * src/ paths; the tests run it against the loopback API's `/doc` (a versioned document with ETags)
 * and a second device.
 */
import * as tanstack from '@tanstack/query-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { createHandler, createState } from '../helpers/server-handler.js';

// #region README: Conflicts and app updates
import type { QueryClient, QueryKey } from '@tanstack/query-core';
import type { Client } from '../../src/entries/index.js';
import { mutationOptionsFor, type Delivery } from '../../src/entries/tanstack-query.js';

/**
 * Optimistic writes through the outbox: the change shows at once; a write the outbox queued stays
 * shown until it is delivered (then the query refetches the server's truth), and is rolled back
 * when the outbox reports a conflict (another device changed the resource) or a dead letter.
 */
const optimisticWrites = (api: Client<{ outbox: true }>, queryClient: QueryClient) => {
	/** Queued writes by entry id: the query they changed and what it showed before. */
	const waiting = new Map<string, { queryKey: QueryKey; previous: unknown; rolledBack?: boolean }>();
	const rollBack = ({ entryId }: { entryId: string }): void => {
		const write = waiting.get(entryId);
		if (write && !write.rolledBack) {
			write.rolledBack = true;
			queryClient.setQueryData(write.queryKey, write.previous);
			void queryClient.invalidateQueries({ queryKey: write.queryKey }); // show the other device's version
		}
	};

	api.on('outbox:conflict', rollBack); // `onConflict` may still rebase it: then `outbox:sent` follows
	api.on('outbox:dead', (event) => {
		rollBack(event);
		waiting.delete(event.entryId);
	});
	api.on('outbox:sent', ({ entryId }) => {
		const write = waiting.get(entryId);
		waiting.delete(entryId);
		if (write) {
			void queryClient.invalidateQueries({ queryKey: write.queryKey });
		}
	});

	/** Mutation options: `apply` computes the optimistic data from the current data and the variables. */
	return <T, V>(queryKey: QueryKey, send: (variables: V) => PromiseLike<Response>, apply: (current: T | undefined, variables: V) => T) => ({
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
			if (delivery.queued) {
				waiting.set(delivery.entryId, { queryKey, previous: context.previous });
			} else {
				void queryClient.invalidateQueries({ queryKey });
			}
		},
	});
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
let api: Client<{ outbox: true }>;
afterEach(() => {
	queryClient?.clear();
	api?.close();
});

const setup = (outbox: object = {}) => {
	queryClient = new tanstack.QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Number.POSITIVE_INFINITY } } });
	api = createClient({ prefix: `${server.url}/`, store: memoryStore, retry: 0, breaker: false, staleCache: false, outbox: { baseBackoffMs: 600_000, ...outbox } }) as Client<{ outbox: true }>;
	const mutationFor = optimisticWrites(api, queryClient);
	return { mutationFor };
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
		const { mutationFor } = setup();
		const unmount = await mount('t1');
		const { etag } = shown('t1')!;
		expect(await edit(mutationFor, 't1', '&fail=503').mutate({ body: 'mine', etag })).toMatchObject({ queued: true });
		expect(shown('t1')).toMatchObject({ body: 'mine', version: 1 }); // optimistic
		expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
		await until('t1', (doc) => doc?.version === 2);
		expect(shown('t1')).toMatchObject({ body: 'mine', version: 2 }); // the server's
		unmount();
	});

	it('another device changed it meanwhile: the 412 rolls the edit back and shows the other device\'s version; no dead write stays shown', async () => {
		const { mutationFor } = setup();
		const unmount = await mount('t2');
		const { etag } = shown('t2')!;
		await edit(mutationFor, 't2', '&fail=503').mutate({ body: 'mine', etag });
		expect(shown('t2')).toMatchObject({ body: 'mine' });
		expect((await fetch(`${server.url}/doc?id=t2`, { method: 'PUT', body: 'theirs' })).status).toBe(200);
		expect(await api.outbox.flush()).toMatchObject({ dead: 1 });
		await until('t2', (doc) => doc?.version === 2);
		expect(shown('t2')).toMatchObject({ body: 'theirs', version: 2 });
		expect(await api.outbox.deadLetters()).toMatchObject([{ deadReason: 'conflict' }]);
		unmount();
	});

	it('with a resolver that rebases the edit on the current version: rolled back at the conflict, then the server\'s merged version once delivered', async () => {
		const { mutationFor } = setup({ onConflict: async ({ response }: { response: Response }) => ({ body: 'mine, merged', headers: { 'If-Match': response.headers.get('etag')! } }) });
		const unmount = await mount('t3');
		await edit(mutationFor, 't3', '&fail=503').mutate({ body: 'mine', etag: shown('t3')!.etag });
		expect((await fetch(`${server.url}/doc?id=t3`, { method: 'PUT', body: 'theirs' })).status).toBe(200);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, dead: 0 });
		await until('t3', (doc) => doc?.version === 3);
		expect(shown('t3')).toMatchObject({ body: 'mine, merged', version: 3 });
		unmount();
	});

	it('a write refused at once (a 412 to the live call) is undone at once', async () => {
		const { mutationFor } = setup();
		const unmount = await mount('t4');
		await expect(edit(mutationFor, 't4').mutate({ body: 'mine', etag: '"stale"' })).rejects.toMatchObject({ name: 'HTTPError' });
		expect(shown('t4')).toMatchObject({ body: '', version: 1 });
		unmount();
	});
});
