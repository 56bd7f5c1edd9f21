/**
 * Defect hunt, forty-first round, neighbours of the hook's placeholder in a header (outbox-refs-hooks-hunt41.test.ts): a
 * `beforeRequest` hook may also give a new Request whose URL holds a placeholder of `outbox.ref()` (`?parent=<placeholder>`,
 * the app's current item). Only placeholders the call gives are replaced (API.md "Writes that depend on earlier writes"):
 * one a hook put in the URL is refused as one in a header is — a call's `InvalidRequestError` before any I/O, a replay
 * kept pending (the hook's failure) — never sent as written.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/entries/index.js';
import { harnessEachTest, queued, todoApi, until } from './outbox-helpers.js';

let sent: string[];
let todos: ReturnType<typeof todoApi>;
const { h, win } = harnessEachTest(() => {
	sent = [];
	todos = todoApi((request) => {
		const url = new URL(request.url);
		sent.push(`${request.method} ${url.pathname}${url.search}`);
	});
});

/** A `beforeRequest` hook that gives a Request whose URL carries `?parent=<value()>` when `value()` gives one. */
const inUrl = (value: () => string | undefined) => ({ hooks: { beforeRequest: [({ request }: { request: Request }) => {
	const given = value();
	if (!given) {
		return undefined;
	}

	const url = new URL(request.url);
	url.searchParams.set('parent', given);
	return new Request(url, request);
}] } });

describe('a placeholder a hook puts in the URL: never sent as written', () => {
	it('a call of no placeholder of its own (its parent pending, then delivered): InvalidRequestError, nothing sent', async () => {
		let current: string | undefined;
		const api = h.make({ fetch: todos, ...inUrl(() => current) });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		current = api.outbox.ref(parent, '/id');
		// Before: queued (OutboxQueuedError) with the hook's URL, replayed as written.
		expect(await api.patch('todos/1', { json: { done: true } }).catch((error: unknown) => error)).toBeInstanceOf(InvalidRequestError);
		current = undefined;
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		current = api.outbox.ref(parent, '/id');
		// Before: sent at once with `?parent=steadfetch-ref-…`.
		expect(await api.get('todos/1').catch((error: unknown) => error)).toBeInstanceOf(InvalidRequestError);
		expect(sent).toEqual(['POST /todos']);
	});

	it('a replay whose hook adds one: kept pending, not sent with it, delivered once the hook stops', async () => {
		let current: string | undefined;
		const api = h.make({ fetch: todos, ...inUrl(() => current) });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		current = api.outbox.ref(parent, '/id');
		win.setOnline(true);
		await api.outbox.flush();
		// Before: sent as `POST /todos?parent=steadfetch-ref-…`.
		expect([sent, await api.outbox.size(), (await api.outbox.deadLetters()).length]).toEqual([[], 1, 0]);
		current = undefined;
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent).toEqual(['POST /todos']);
	});
});
