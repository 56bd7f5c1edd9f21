/**
 * Defect hunt, thirteenth round (U): offline writes for real apps, at any queue length — what the
 * outbox says it holds (API.md "Outbox": `size()` "pending entries", `stats()` `entries`), the
 * neighbours of the stored records read back defensively. ManualClock, random 0.5, the real loopback API.
 */
import { describe, expect, it } from 'vitest';
import { OutboxQueuedError } from '../../src/entries/index.js';
import type { Policy } from '../../src/core/policy.js';
import { harnessEachTest, unreadableBehindHead, throwIfOffline } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

describe('size() and stats() count the same pending entries', () => {
	it('a pending record the outbox cannot read (damaged, or holding a header it never stores) is counted by stats() as by size(), before a pass reaches it', async () => {
		// The scope's head waits for its backoff: no pass reads the three unreadable records behind it.
		const { api } = await unreadableBehindHead(h);
		const size = await api.outbox.size();
		// Before: size() 4, stats() { entries: 1 }: the three unreadable records counted by one and not the other.
		expect([size, (await api.outbox.stats()).entries]).toEqual([4, 4]);
		// Once a pass reached them (the head delivered), dead letters (`'rejected'`, `Unreadable`), counted as such by both.
		await api.outbox.flush();
		expect([await api.outbox.size(), await api.outbox.stats(), (await api.outbox.deadLetters()).length]).toEqual([0, { entries: 0, dead: 3, bytes: 0 }, 3]);
	});
});

describe('coalesce: a superseding write inherits a precondition that holds a placeholder (outbox.ref())', () => {
	/**
	 * Offline: a POST (`parentPath`), a PUT of `echo?id=doc` whose If-Match is a placeholder of the POST's answer, then
	 * a PUT of the same URL without a precondition (it supersedes the first and inherits its If-Match). Online again,
	 * replayed by `replayer` (the same client, or one made after a reload); the PUTs of the document that went out.
	 */
	const scenario = async (parentPath: string, reload: boolean) => {
		const api = h.make({ outbox: { coalesce: true } });
		win.setOnline(false, false);
		const parent = await api.post(parentPath, { json: { title: 't' } }).catch((error: unknown) => error) as OutboxQueuedError;
		expect(parent).toBeInstanceOf(OutboxQueuedError);
		const ref = api.outbox.ref(parent.entryId, '/n');
		await expect(api.put('echo?id=doc', { json: { v: 1 }, headers: { 'if-match': `"${ref}"` } })).rejects.toBeInstanceOf(OutboxQueuedError);
		const edit = await api.put('echo?id=doc', { json: { v: 2 } }).catch((error: unknown) => error) as OutboxQueuedError;
		expect(edit).toBeInstanceOf(OutboxQueuedError);
		// It waits for the POST as the write it took the place of did.
		const listed = (await api.outbox.list()).map((entry) => [entry.id, entry.dependsOn]);
		if (reload) {
			api.close();
		}

		const replayer = reload ? h.make({ outbox: { coalesce: true } }) : api;
		win.setOnline(true, false);
		await replayer.outbox.flush();
		const puts = h.seen.filter((seen) => seen.method === 'PUT').map((seen) => ({ ifMatch: seen.headers['if-match'], body: seen.body }));
		return { replayer, edit, puts, listed, parent };
	};

	for (const reload of [false, true]) {
		it(`${reload ? 'replayed after a reload' : 'replayed by the client that queued it'}: sent with the parent's value in If-Match, never the placeholder`, async () => {
			const { replayer, edit, puts, listed, parent } = await scenario('echo?id=parent', reload);
			// Before (after a reload): [{ ifMatch: '"steadfetch-ref-…-0"', body: '{"v":2}' }] — the placeholder as written (a 412 at a real API).
			expect(puts).toEqual([{ ifMatch: '"1"', body: '{"v":2}' }]);
			expect(listed).toEqual([[parent.entryId, undefined], [edit.entryId, [parent.entryId]]]);
			expect(await replayer.outbox.size()).toBe(0);
		});

		it(`${reload ? 'after a reload' : 'in the client that queued it'}: a parent that becomes a dead letter makes the superseding write a 'parent' dead letter, never sent`, async () => {
			const { replayer, edit, puts, parent } = await scenario('mutate?id=parent&fail=400', reload);
			// Before: sent as written (after a reload), or a 'rejected' dead letter (InvalidRequestError), not 'parent'.
			expect(puts).toEqual([]);
			expect((await replayer.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason])).toContainEqual([edit.entryId, 'parent']);
			// `retry(parentId)` takes it back with the POST, as the write it took the place of.
			win.setOnline(false, false);
			await replayer.outbox.retry(parent.entryId);
			expect((await replayer.outbox.list()).map((entry) => entry.id)).toEqual([parent.entryId, edit.entryId]);
		});
	}
});

describe('a write whose placeholders were all of delivered entries, queued after its attempt failed', () => {
	it('is stored as its attempt sent it: its URL, header and json body hold the value, never the placeholder (list(), bodyBytes, coalesce by its URL)', async () => {
		const api = h.make({ outbox: { coalesce: true } });
		win.setOnline(false, false);
		const parent = await api.post('echo?id=made', { json: { title: 't' } }).catch((error: unknown) => error) as OutboxQueuedError;
		const ref = api.outbox.ref(parent.entryId, '/n'); // The POST's answer holds n: 1, kept at its delivery.
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
		// Sent at once with the value in place; answered 503: queued.
		const url = 'mutate?id=dep&fail=503&times=1';
		await expect(api.patch(`${url}&todo=${ref}`, { json: { todo: ref, note: `todo ${ref}` }, headers: { 'x-todo': ref } })).rejects.toBeInstanceOf(OutboxQueuedError);
		const first = h.sentOf('dep')[0]!;
		expect([first.url, first.headers['x-todo'], first.body]).toEqual([`${h.api.url}/${url}&todo=1`, '1', '{"todo":1,"note":"todo 1"}']);
		const [entry] = await api.outbox.list();
		// Before: the URL '…&todo=steadfetch-ref-…-0', x-todo the placeholder, bodyBytes 124 (the placeholders' text).
		expect([entry!.url, entry!.headers['x-todo'], entry!.bodyBytes]).toEqual([first.url, '1', first.body.length]);
		// A PUT of the URL its attempt went to, queued, takes its place (last write wins).
		win.setOnline(false, false);
		await expect(api.put(`${url}&todo=1`, { json: { todo: 1, done: true } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect((await api.outbox.list()).map((each) => each.method)).toEqual(['PUT']);
		win.setOnline(true, false);
		await api.outbox.flush();
		expect(h.sentOf('dep').map((seen) => [seen.method, seen.url, seen.body])).toEqual([['PATCH', first.url, first.body], ['PUT', first.url, '{"todo":1,"done":true}']]);
	});
});

describe('a write whose placeholders were all of delivered entries, with conditional: true', () => {
	it('takes the stale cache\'s validator of the URL its attempt went to', async () => {
		const asked: string[] = [];
		// The stale cache's documented hook, as outbox-conflicts.test.ts stands it in: a strong ETag for the document's URL.
		const validators: Policy<'dedupe'> = { slot: 'dedupe', create(context) {
			context.hooks.validatorOf = async (url) => {
				asked.push(url);
				return url.endsWith('todo=1') ? { etag: '"v1"' } : undefined;
			};
			return {};
		} };
		const api = h.make({ outbox: { conditional: true }, dedupe: validators });
		win.setOnline(false, false);
		const parent = await api.post('echo?id=made2', { json: { title: 't' } }).catch((error: unknown) => error) as OutboxQueuedError;
		const ref = api.outbox.ref(parent.entryId, '/n');
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
		await expect(api.patch(`mutate?id=dep2&fail=503&times=1&todo=${ref}`, { json: { done: true } })).rejects.toBeInstanceOf(OutboxQueuedError);
		// Before: asked of '…&todo=steadfetch-ref-…-0', queued without a precondition.
		expect(asked).toEqual([`${h.api.url}/mutate?id=dep2&fail=503&times=1&todo=1`]);
		expect((await api.outbox.list())[0]!.preconditions).toEqual({ 'if-match': '"v1"' });
	});
});

describe('read your own writes: a dependent whose entries were delivered counts for the URL it goes to', () => {
	it('its replay failed once its placeholder became the value: a stale answer of that URL says pending-writes=1 (in this tab, as after a reload)', async () => {
		let refuse = false;
		const transport = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
			throwIfOffline();
			if (refuse && (input as Request).url.includes('/echo/1')) {
				throw new TypeError('Failed to fetch');
			}

			return fetch(input, init);
		};
		const options = { staleCache: true, fetch: transport, outbox: { baseBackoffMs: 600_000 } };
		const api = h.make(options);
		await api.get('echo/1?id=doc').text(); // A copy of the document.
		win.setOnline(false, false);
		const parent = await api.post('echo?id=made', { json: { title: 't' } }).catch((error: unknown) => error) as OutboxQueuedError;
		const ref = api.outbox.ref(parent.entryId, '/n'); // The POST's answer holds n: 1.
		await expect(api.patch(`echo/${ref}?id=doc`, { json: { done: true } })).rejects.toBeInstanceOf(OutboxQueuedError);
		// The POST is delivered; the PATCH, now to /echo/1, fails: pending.
		win.setOnline(true, false);
		refuse = true;
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, failed: 1 });
		expect((await api.outbox.list()).map((entry) => entry.url)).toEqual([`${h.api.url}/echo/1?id=doc`]);
		win.setOnline(false, false);
		const pendingWrites = async (client: typeof api): Promise<string | null> => (await client.get('echo/1?id=doc')).headers.get('cache-status');
		// Before: '…; detail=network' in this tab (counted for the placeholder's URL), '…; pending-writes=1' after a reload.
		expect(await pendingWrites(api)).toMatch(/; pending-writes=1$/);
	});
});
