/**
 * Defect hunt, fortieth round: a placeholder of `outbox.ref()` that a hook puts in a header (a `beforeRequest` hook, which
 * runs after the outbox read the call's own headers) never reaches the network nor the store unreplaced. API.md "Writes
 * that depend on earlier writes": only placeholders `ref()` returned are replaced, where the call gives them; one in a header
 * the outbox never stores, of a pending entry, is an `InvalidRequestError` before any I/O. Memory store, injected clock, a
 * loopback todo API (test/unit/outbox-refs.test.ts's).
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/entries/index.js';
import { harnessEachTest, queued, throwIfOffline, until, type Harness } from './outbox-helpers.js';

let sent: Array<{ method: string; url: string; headers: Record<string, string> }>;
let nextId: number;

const todoApi = async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
	throwIfOffline();
	const request = input as Request;
	sent.push({ method: request.method, url: request.url, headers: Object.fromEntries(request.headers) });
	return request.method === 'POST' ? Response.json({ id: nextId++ }, { status: 201 }) : Response.json({ ok: true });
};

/** Each test's harness and window (outbox-helpers.ts); its requests and ids start over. */
const { h, win } = harnessEachTest(() => {
	sent = [];
	nextId = 100;
});

/** A `beforeRequest` hook that sets `name` to `value()` (read as the hook runs: an app's token, here a placeholder). */
const setting = (name: string, value: () => string | undefined) => ({ hooks: { beforeRequest: [({ request }: { request: Request }) => {
	const given = value();
	if (given) {
		request.headers.set(name, given);
	}
}] } });

/**
 * A client whose `beforeRequest` hook sets `name` to `hooked.value` (as `shown` writes it) while there is one, and the
 * entry of a POST it queued offline (no `offline` event): the parent the placeholders are of.
 */
const offlineParent = async (name: string, shown = (value: string): string => value) => {
	const hooked = { value: undefined as string | undefined };
	const api = h.make({ fetch: todoApi, ...setting(name, () => hooked.value && shown(hooked.value)) });
	win.setOnline(false, false);
	const parent = await queued(api.post('todos', { json: {} }));
	return { api, parent, hooked };
};

/** Online again: `api`'s outbox flushed until it is empty. */
const delivered = async (api: ReturnType<Harness['make']>): Promise<void> => {
	win.setOnline(true);
	await api.outbox.flush();
	await until(async () => (await api.outbox.size()) === 0);
};

/** Whether any request that went out holds a placeholder of `ref()` in a header. */
const leaked = (): string[] => sent.flatMap((each) => Object.entries(each.headers).filter(([, value]) => value.includes('steadfetch-ref-')).map(([name, value]) => `${each.method} ${name}: ${value}`));

describe('a placeholder a hook puts in a header: never sent, never stored unreplaced', () => {
	it('a dependent of a pending entry whose hook adds `Authorization: Bearer <placeholder>`: InvalidRequestError before any I/O, nothing queued', async () => {
		const { api, parent, hooked } = await offlineParent('authorization', (token) => `Bearer ${token}`);
		const token = api.outbox.ref(parent, '/id');
		hooked.value = token;
		const error = await api.patch(`todos/${token}`, { json: { done: true } }).catch((caught: unknown) => caught);
		// Before: queued (OutboxQueuedError), stored without the header, and replayed with the hook's raw placeholder.
		expect(error).toBeInstanceOf(InvalidRequestError);
		expect(String(error)).toMatch(/authorization header/);
		expect(await api.outbox.size()).toBe(1);
		hooked.value = undefined; // The parent's replay runs the hook too (the next test's case).
		await delivered(api);
		expect(sent.map((each) => each.method)).toEqual(['POST']);
		expect(leaked()).toEqual([]);
	});

	it('a call holding no placeholder of its own, its hook adding one (any header): refused, online and offline, never sent as written', async () => {
		const { api, parent, hooked } = await offlineParent('x-parent');
		hooked.value = api.outbox.ref(parent, '/id');
		// Offline: before, queued with `x-parent: <placeholder>` stored, replayed with it as written.
		const offline = await api.patch('todos/1', { json: { done: true } }).catch((caught: unknown) => caught);
		expect(offline).toBeInstanceOf(InvalidRequestError);
		hooked.value = undefined;
		await delivered(api);
		// Its parent delivered, online: before, sent at once with `x-parent: <placeholder>`.
		hooked.value = api.outbox.ref(parent, '/id');
		const online = await api.get('todos/1').catch((caught: unknown) => caught);
		expect(online).toBeInstanceOf(InvalidRequestError);
		expect(sent.map((each) => each.method)).toEqual(['POST']);
		expect(leaked()).toEqual([]);
	});

	it('an outbox replay whose client hook adds a placeholder: not sent with it', async () => {
		const { api, parent, hooked } = await offlineParent('x-parent');
		await queued(api.post('todos', { json: {} }));
		hooked.value = api.outbox.ref(parent, '/id'); // Set after both were queued: only their replays' hook adds it.
		win.setOnline(true);
		await api.outbox.flush();
		// Before: both replays went out with `x-parent: <placeholder>`.
		expect(leaked()).toEqual([]);
	});

	it('the same placeholder as the call\'s own, in a header the outbox stores: replaced as the call\'s own are (a guard)', async () => {
		const { api, parent, hooked } = await offlineParent('x-parent');
		hooked.value = api.outbox.ref(parent, '/id');
		await queued(api.patch(`todos/${hooked.value}`, { json: { done: true } }));
		hooked.value = undefined;
		await delivered(api);
		expect(sent.map((each) => `${each.method} ${new URL(each.url).pathname} ${each.headers['x-parent']}`)).toEqual(['POST /todos undefined', 'PATCH /todos/100 100']);
	});
});
