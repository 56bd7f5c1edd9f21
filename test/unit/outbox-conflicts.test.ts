/**
 * Issue 27 in Node: preconditions stored and replayed, `conditional` validators from the stale
 * cache's hook, conflicts (412, or 409 with a precondition) and `onConflict`, superseded writes
 * (`coalesce`), versioned entries (`version`, `migrate`), and bad options. Against the loopback
 * API's `/doc` (a versioned document with ETags), exact times from the injected clock.
 */
import { describe, expect, it, vi } from 'vitest';
import { InvalidRequestError, memoryStore, outbox, type ClientOptions, type OutboxEntry, type OutboxOptions, type StoredEntry } from '../../src/entries/index.js';
import type { Policy } from '../../src/core/policy.js';
import { throwIfOffline, until, type Harness, harnessEachTest } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

const doc = (id: string) => h.state.docs?.get(id) ?? { version: 1, body: '', writes: [], conflicts: 0 };
/** Another device edits the document: the server's version moves on. */
const editElsewhere = async (id: string, body = 'theirs') => {
	const response = await fetch(`${h.api.url}/doc?id=${id}`, { method: 'PUT', body });
	expect(response.status).toBe(200);
};

const etagOf = async (id: string) => (await fetch(`${h.api.url}/doc?id=${id}`)).headers.get('etag')!;

/** A policy standing in for the stale cache's documented hook (`validatorOf`): the copy it "holds". */
const holding = (validators: Record<string, { etag?: string; lastModified?: string }>, asked: string[] = []): Policy<'dedupe'> => ({
	slot: 'dedupe',
	create(context) {
		context.hooks.validatorOf = async (url, identity) => {
			asked.push(`${url} ${identity ?? ''}`);
			return validators[url];
		};
		return {};
	},
});

/** Queue a write while the device is offline (its own attempt, the scope's one in 10 s, fails): returns its entry. */
const queueOffline = async (api: ReturnType<Harness['make']>, run: () => Promise<unknown>): Promise<OutboxEntry> => {
	win.setOnline(false, false);
	const { entryId } = await run().then(() => ({ entryId: 'not queued' }), (error: { entryId: string }) => error);
	const entry = (await api.outbox.list()).find(({ id }) => id === entryId);
	expect(entry).toBeDefined();
	return entry!;
};

describe('outbox preconditions and conflicts', () => {
	it('a precondition the app set is stored apart from the headers and sent on every replay; a 412 is a conflict: outbox:conflict, then a dead letter CONFLICT', async () => {
		const api = h.make({ outbox: true });
		const events = h.record(api, 'outbox:conflict', 'outbox:dead', 'outbox:retry', 'outbox:sent');
		const etag = await etagOf('p1');
		const entry = await queueOffline(api, async () => api.put('doc?id=p1', { body: 'mine', headers: { 'If-Match': etag } }));
		expect(entry.preconditions).toEqual({ 'if-match': etag });
		expect(entry.headers['if-match']).toBeUndefined();
		expect(entry.version).toBe(1);
		await editElsewhere('p1');
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 1, remaining: 0 });
		expect(doc('p1').conflicts).toBe(1); // exactly one 412
		expect(doc('p1').body).toBe('theirs'); // nothing overwritten
		expect(h.seen.filter((request) => request.url.includes('doc?id=p1') && request.method === 'PUT').map((request) => request.headers['if-match'])).toEqual([etag]);
		expect(events.map((event) => event.type)).toEqual(['outbox:conflict', 'outbox:dead']);
		expect(events[0]).toMatchObject({ entryId: entry.id, status: 412, method: 'PUT', idempotencyKey: entry.idempotencyKey });
		expect(events[1]).toMatchObject({ entryId: entry.id, deadReason: 'conflict', code: 'CONFLICT' });
		// Two attempts: the write's own (offline, the scope's one attempt in 10 s still goes out, and fails) and the 412.
		expect(await api.outbox.deadLetters()).toMatchObject([{ id: entry.id, deadReason: 'conflict', lastError: { code: 'CONFLICT', status: 412 }, attempts: 2 }]);
		// Without a change meanwhile the precondition holds: applied once.
		const fresh = await etagOf('p2');
		await queueOffline(api, async () => api.put('doc?id=p2', { body: 'mine', headers: { 'If-Match': fresh } }));
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, dead: 0 });
		expect(doc('p2').writes).toMatchObject([{ body: 'mine', ifMatch: fresh, base: 1 }]);
	});

	it('a 409 is a conflict for an entry with a precondition, and stays retriable without one (an idempotency key may be in progress)', async () => {
		const api = h.make({ outbox: true });
		const events = h.record(api, 'outbox:conflict', 'outbox:retry');
		win.setOnline(false, false);
		await api.put('status/409?id=c409a', { headers: { 'If-Match': '"v1"' } }).catch(() => undefined);
		await api.put(`${h.api.url.replace('127.0.0.1', 'localhost')}/status/409?id=c409b`).catch(() => undefined);
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 1, dead: 1, remaining: 1 });
		expect(events.map((event) => [event.type, (event as { status?: number }).status, (event as { code?: string }).code])).toEqual([
			['outbox:conflict', 409, undefined],
			['outbox:retry', undefined, 'HTTP_4XX'],
		]);
	});

	it("conditional: true captures the stale cache's strong ETag (else Last-Modified) at enqueue, for PUT, PATCH and DELETE of the same URL and identity", async () => {
		const asked: string[] = [];
		const url = `${h.api.url}/doc?id=`;
		const api = h.make({
			identity: () => 'ann', outbox: { conditional: true },
			dedupe: holding({ [`${url}c1`]: { etag: '"v1"', lastModified: 'x' }, [`${url}c2`]: { etag: 'W/"v1"', lastModified: new Date(1000).toUTCString() }, [`${url}c3`]: {} }, asked),
		});
		const strong = await queueOffline(api, async () => api.put('doc?id=c1', { body: 'a' }));
		const weak = await queueOffline(api, async () => api.patch('doc?id=c2', { body: 'b' }));
		const none = await queueOffline(api, async () => api.delete('doc?id=c3'));
		const own = await queueOffline(api, async () => api.put('doc?id=c1', { body: 'c', headers: { 'if-match': '"mine"' } }));
		const post = await queueOffline(api, async () => api.post('doc?id=c1', { body: 'd' }));
		expect(strong.preconditions).toEqual({ 'if-match': '"v1"' });
		expect(weak.preconditions).toEqual({ 'if-unmodified-since': new Date(1000).toUTCString() }); // a weak ETag is never used for If-Match
		expect(none.preconditions).toBeUndefined();
		expect(own.preconditions).toEqual({ 'if-match': '"mine"' });
		expect(post.preconditions).toBeUndefined();
		expect(asked).toEqual([`${url}c1 ann`, `${url}c2 ann`, `${url}c3 ann`]); // the call's identity; asked only for PUT/PATCH/DELETE without their own
		// The first attempt went out offline-held, so it never carried the captured validator; the replay does.
		await editElsewhere('c1');
		win.setOnline(true, false);
		await api.outbox.flush();
		expect(doc('c1').conflicts).toBe(2); // both PUTs of c1 met the newer version
		expect(doc('c2').writes).toMatchObject([{ method: 'PATCH', body: 'b' }]);
		// Without a stale cache (no hook), or with a hook that fails: queued without a validator.
		const failing: Policy<'dedupe'> = { slot: 'dedupe', create(context) {
			context.hooks.validatorOf = () => {
				throw new Error('broken');
			};
			return {};
		} };
		for (const extra of [{}, { dedupe: failing }] as ClientOptions[]) {
			const other = h.make({ ...extra, outbox: { conditional: true } });
			const entry = await queueOffline(other, async () => other.put('doc?id=nohook', { body: 'a' }));
			expect(entry.preconditions).toBeUndefined();
		}
	});
});

describe('outbox onConflict', () => {
	const conflicted = async (onConflict: NonNullable<OutboxOptions['onConflict']>, id: string) => {
		const api = h.make({ outbox: { onConflict } });
		const events = h.record(api, 'outbox:conflict', 'outbox:dead', 'outbox:sent', 'outbox:discarded');
		const entry = await queueOffline(api, async () => api.put(`doc?id=${id}`, { json: { v: 'mine' }, headers: { 'If-Match': '"v1"', 'X-App': 'a' } }));
		await editElsewhere(id);
		win.setOnline(true, false);
		return { api, events, entry, result: await api.outbox.flush() };
	};

	it("'discard' removes the entry (outbox:discarded): no dead letter, nothing written", async () => {
		const seen: Array<{ entry: OutboxEntry; body: unknown; status: number }> = [];
		const { api, events, entry, result } = await conflicted(async ({ entry, response }) => {
			seen.push({ entry, body: await response.json(), status: response.status });
			return 'discard' as const;
		}, 'od1');
		expect(result).toEqual({ sent: 0, failed: 0, dead: 0, remaining: 0 });
		expect(seen).toEqual([{ entry: expect.objectContaining({ id: entry.id, preconditions: { 'if-match': '"v1"' } }), body: { error: 'precondition failed', version: 2 }, status: 412 }]);
		expect(await api.outbox.deadLetters()).toEqual([]);
		expect(events.map((event) => event.type)).toEqual(['outbox:conflict', 'outbox:discarded']); // every entry's end has an event
		expect(events[1]).toMatchObject({ entryId: entry.id, method: 'PUT', idempotencyKey: entry.idempotencyKey });
		expect(doc('od1').body).toBe('theirs');
	});

	it("'dead', a throw, or anything else: a dead letter (conflict)", async () => {
		for (const [index, onConflict] of [() => 'dead' as const, () => {
			throw new Error('resolver failed');
		}, () => 'nonsense' as never, () => null as never].entries()) {
			const { api, entry } = await conflicted(onConflict, `odd${index}`);
			expect((await api.outbox.deadLetters()).filter(({ id }) => id === entry.id)).toMatchObject([{ deadReason: 'conflict', lastError: { code: 'CONFLICT', status: 412 } }]);
		}
	});

	it('only a plain object of `json`, `body` and `headers` is a rebased write: an array, a Response, a Date, a class instance, `{}` or a misspelt key is a dead letter (conflict), never the stored write replayed without its precondition', async () => {
		const answers: Array<() => unknown> = [
			() => ['discard'],
			() => new Response('{"v":"merged"}'),
			() => new Date(),
			() => new (class Rebase {
				json = { v: 'merged' };
			})(),
			() => ({}),
			() => ({ jsno: { v: 'merged' } }),
			() => ({ json: { v: 'merged' }, retry: true }),
		];
		for (const [index, answer] of answers.entries()) {
			const { api, entry, result } = await conflicted(answer as never, `onr${index}`);
			expect(result).toMatchObject({ sent: 0, dead: 1, remaining: 0 });
			expect((await api.outbox.deadLetters()).filter(({ id }) => id === entry.id)).toMatchObject([{ deadReason: 'conflict', lastError: { code: 'CONFLICT', status: 412 } }]);
			expect(h.seen.filter((request) => request.url.endsWith(`doc?id=onr${index}`) && request.method === 'PUT')).toHaveLength(1);
			expect(doc(`onr${index}`).body).toBe('theirs');
		}

		// A plain object without a prototype is one.
		const { result } = await conflicted(() => Object.assign(Object.create(null) as object, { json: { v: 'merged' }, headers: { 'If-Match': '"v2"' } }), 'onr-null');
		expect(result).toMatchObject({ sent: 1, dead: 0 });
		expect(doc('onr-null').body).toBe('{"v":"merged"}');
	});

	it('a rebased write\'s headers given as the stored ones spread with a name in another case: the last given wins, never both values joined', async () => {
		await conflicted(({ entry }) => ({ headers: { ...entry.headers, 'Content-Type': 'application/merge-patch+json', 'If-Match': '"v2"' } }), 'orc');
		const puts = h.seen.filter((request) => request.url.endsWith('doc?id=orc') && request.method === 'PUT');
		expect(puts.map((request) => request.headers['content-type'])).toEqual(['application/json', 'application/merge-patch+json']);
		expect(doc('orc').body).toBe('{"v":"mine"}');
	});

	it('a rebased write takes the entry\'s place: same method and URL, a new Idempotency-Key, the given headers and preconditions, replayed at once', async () => {
		const { events, entry, result } = await conflicted(async ({ response }) => {
			const { version } = await response.json() as { version: number };
			return { json: { v: 'merged' }, headers: { 'If-Match': `"v${version}"`, 'X-App': 'b' } };
		}, 'orb');
		expect(result).toEqual({ sent: 1, failed: 0, dead: 0, remaining: 0 });
		expect(events.map((event) => event.type)).toEqual(['outbox:conflict', 'outbox:sent']);
		expect(events[1]).toMatchObject({ entryId: entry.id, method: 'PUT' });
		expect((events[1] as { idempotencyKey: string }).idempotencyKey).not.toBe(entry.idempotencyKey);
		const puts = h.seen.filter((request) => request.url.endsWith('doc?id=orb') && request.method === 'PUT');
		expect(puts.map((request) => [request.headers['if-match'], request.headers['x-app'], request.body])).toEqual([['"v1"', 'a', '{"v":"mine"}'], ['"v2"', 'b', '{"v":"merged"}']]);
		expect(doc('orb')).toMatchObject({ body: '{"v":"merged"}', conflicts: 1 });
	});

	it('a rebased write\'s Content-Type describes the body it sends: `json` makes it application/json, a `body` without headers drops the stored type for its own, headers without a body keep it', async () => {
		const contentTypes = async (id: string) => h.seen.filter((request) => request.url.endsWith(`doc?id=${id}`) && request.method === 'PUT')
			.map((request) => [request.headers['content-type'], request.body]);
		await conflicted(() => ({ body: 'plain words' }), 'ct1');
		expect(await contentTypes('ct1')).toEqual([['application/json', '{"v":"mine"}'], ['text/plain;charset=UTF-8', 'plain words']]);
		await conflicted(() => ({ body: new TextEncoder().encode('bytes').buffer as ArrayBuffer }), 'ct2');
		expect(await contentTypes('ct2')).toEqual([['application/json', '{"v":"mine"}'], [undefined, 'bytes']]);
		await conflicted(() => ({ headers: { 'If-Match': '"v2"' } }), 'ct3');
		expect(await contentTypes('ct3')).toEqual([['application/json', '{"v":"mine"}'], ['application/json', '{"v":"mine"}']]);
		await conflicted(() => ({ json: { v: 'merged' }, headers: { 'If-Match': '"v2"', 'Content-Type': 'application/merge-patch+json' } }), 'ct4');
		expect(await contentTypes('ct4')).toEqual([['application/json', '{"v":"mine"}'], ['application/merge-patch+json', '{"v":"merged"}']]);
		// A text entry rebased with `json`.
		const api = h.make({ outbox: { onConflict: () => ({ json: { v: 'merged' } }) } });
		await queueOffline(api, async () => api.put('doc?id=ct5', { body: 'text', headers: { 'If-Match': '"v1"' } }));
		await editElsewhere('ct5');
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
		expect(await contentTypes('ct5')).toEqual([['text/plain;charset=UTF-8', 'text'], ['application/json', '{"v":"merged"}']]);
	});

	it('a resolver that always rebases on a precondition that keeps failing stops at maxAttempts: a dead letter, never a loop', async () => {
		const api = h.make({ outbox: { maxAttempts: 3, onConflict: () => ({ headers: { 'If-Match': '"stale"' } }) } });
		await queueOffline(api, async () => api.put('doc?id=loop', { body: 'x', headers: { 'If-Match': '"stale"' } }));
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ dead: 1, remaining: 0 });
		expect(doc('loop').conflicts).toBe(2); // the write's own attempt (offline: a network failure) counts too: 1 + 2 = maxAttempts
	});

	it('a resolver that takes longer than 10 s counts as dead', async () => {
		let called!: () => void;
		const asked = new Promise<void>((resolve) => {
			called = resolve;
		});
		const api = h.make({ outbox: { onConflict: async () => {
			called();
			return new Promise(() => undefined);
		} } });
		await queueOffline(api, async () => api.put('doc?id=slow', { body: 'x', headers: { 'If-Match': '"old"' } }));
		win.setOnline(true, false);
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		const flushed = api.outbox.flush();
		await asked;
		await vi.advanceTimersByTimeAsync(9_999);
		expect(await api.outbox.deadLetters()).toEqual([]);
		await vi.advanceTimersByTimeAsync(1);
		expect(await flushed).toMatchObject({ dead: 1 });
		expect(await api.outbox.deadLetters()).toMatchObject([{ deadReason: 'conflict' }]);
	});
});

describe('outbox coalesce', () => {
	it('a queued PUT or DELETE supersedes the pending PUT, PATCH and DELETE of the same URL and identity; never a POST, another URL or identity', async () => {
		let who = 'ann';
		const api = h.make({ identity: () => who, outbox: { coalesce: true } });
		const superseded = h.record(api, 'outbox:superseded');
		const first = await queueOffline(api, async () => api.put('doc?id=co', { body: '1' }));
		const post = await queueOffline(api, async () => api.post('doc?id=co', { body: 'p' }));
		const patch = await queueOffline(api, async () => api.patch('doc?id=co', { body: '2' }));
		const other = await queueOffline(api, async () => api.put('doc?id=co2', { body: 'o' }));
		who = 'bob';
		const bobs = await queueOffline(api, async () => api.put('doc?id=co', { body: 'b' }));
		who = 'ann';
		expect(superseded).toEqual([]); // a POST and a PATCH supersede nothing
		const last = await queueOffline(api, async () => api.put('doc?id=co', { body: '3' }));
		expect(superseded.map((event) => (event as { entryId: string }).entryId)).toEqual([first.id, patch.id]);
		expect(superseded[0]).toMatchObject({ method: 'PUT', idempotencyKey: first.idempotencyKey });
		expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([post.id, other.id, bobs.id, last.id]);
		const gone = await queueOffline(api, async () => api.delete('doc?id=co'));
		expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([post.id, other.id, bobs.id, gone.id]);
		win.setOnline(true, false);
		await api.outbox.flush();
		expect(doc('co').writes.map((write) => write.method)).toEqual(['POST', 'DELETE']);
		// Without coalesce every write stays.
		const plain = h.make({ outbox: true, name: 'plain' });
		await queueOffline(plain, async () => plain.put('doc?id=nc', { body: '1' }));
		await queueOffline(plain, async () => plain.put('doc?id=nc', { body: '2' }));
		expect((await plain.outbox.list()).filter(({ url }) => url.endsWith('nc'))).toHaveLength(2);
	});

	// Passes without coalescing too (nothing is ever superseded there): checked by removing the in-flight guard of enqueue.ts.
	it('an entry being replayed is never superseded', async () => {
		let release!: () => void;
		let atGate = false;
		const gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		const api = h.make({
			outbox: { coalesce: true },
			fetch: async (input, init) => {
				throwIfOffline();
				if ((input as Request).url.includes('hold=1') && !atGate) {
					atGate = true;
					await gate;
				}

				return fetch(input as Request, init);
			},
		});
		const superseded = h.record(api, 'outbox:superseded');
		await queueOffline(api, async () => api.put('doc?id=fly&hold=1', { body: '1' }));
		win.setOnline(true, false);
		const flushed = api.outbox.flush();
		await until(() => atGate); // the replay is in flight
		await expect(api.put('doc?id=fly&hold=1', { body: '2' })).rejects.toMatchObject({ code: 'QUEUED' }); // queued behind it
		expect(superseded).toEqual([]);
		release();
		await flushed;
		await until(() => doc('fly').writes.length === 2);
		expect(doc('fly').writes.map((write) => write.body)).toEqual(['1', '2']);
	});

	it('two clients on one store (two tabs): an entry one is replaying is never superseded by the other (never `outbox:superseded` then `outbox:sent` for one entry)', async () => {
		let release!: () => void;
		let atGate = false;
		const gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		const a = h.make({
			outbox: { coalesce: true },
			fetch: async (input, init) => {
				throwIfOffline();
				if ((input as Request).url.includes('tabs=1') && !atGate) {
					atGate = true;
					await gate;
				}

				return fetch(input as Request, init);
			},
		});
		const b = h.make({ outbox: { coalesce: true } });
		const aEvents = h.record(a, 'outbox:sent', 'outbox:superseded');
		const bEvents = h.record(b, 'outbox:sent', 'outbox:superseded');
		const x = await queueOffline(a, async () => a.put('doc?id=tabs&tabs=1', { body: '1' }));
		win.setOnline(true, false);
		const flushed = a.outbox.flush();
		await until(() => atGate); // A replays X
		await expect(b.put('doc?id=tabs&tabs=1', { body: '2' })).rejects.toMatchObject({ code: 'QUEUED' }); // B queues behind it
		release();
		await flushed;
		await until(() => doc('tabs').writes.length === 2);
		expect(bEvents.filter((event) => event.type === 'outbox:superseded')).toEqual([]);
		expect(aEvents.filter((event) => event.type === 'outbox:superseded')).toEqual([]);
		expect(aEvents.find((event) => event.type === 'outbox:sent')).toMatchObject({ entryId: x.id });
		expect(doc('tabs').writes.map((write) => write.body)).toEqual(['1', '2']);
	});

	it('a superseding write without a precondition inherits the oldest superseded entry\'s (its edit was based on that version); a precondition of its own wins', async () => {
		const api = h.make({ outbox: { coalesce: true } });
		const etag = await etagOf('inh');
		const first = await queueOffline(api, async () => api.put('doc?id=inh', { body: '1', headers: { 'If-Match': etag } }));
		await queueOffline(api, async () => api.patch('doc?id=inh', { body: '2', headers: { 'If-Match': '"v9"' } }));
		const last = await queueOffline(api, async () => api.put('doc?id=inh', { body: '3' }));
		expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([last.id]);
		expect(last.preconditions).toEqual(first.preconditions);
		expect(last.preconditions).toEqual({ 'if-match': etag });
		// Another device changed the document meanwhile: a conflict, not a silent overwrite.
		await editElsewhere('inh');
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 1 });
		expect(doc('inh')).toMatchObject({ body: 'theirs', conflicts: 1 });
		// Its own precondition wins over the inherited one.
		await queueOffline(api, async () => api.put('doc?id=inh2', { body: '1', headers: { 'If-Match': '"v1"' } }));
		const own = await queueOffline(api, async () => api.put('doc?id=inh2', { body: '2', headers: { 'If-Match': '"mine"' } }));
		expect(own.preconditions).toEqual({ 'if-match': '"mine"' });
		// Superseding an entry without one inherits nothing.
		await queueOffline(api, async () => api.put('doc?id=inh3', { body: '1' }));
		const plain = await queueOffline(api, async () => api.put('doc?id=inh3', { body: '2' }));
		expect(plain.preconditions).toBeUndefined();
	});

	it('at maxEntries, a PUT or DELETE that supersedes a pending write of its URL is stored in its place (last write wins); one that supersedes nothing is OutboxFullError', async () => {
		const api = h.make({ outbox: { coalesce: true, maxEntries: 2 } });
		const superseded = h.record(api, 'outbox:superseded');
		win.setOnline(false, false);
		const told = async (run: Promise<unknown>) => run.then(() => 'sent', (error: { code?: string; reason?: string }) => `${error.code} ${error.reason ?? ''}`.trim());
		const results = [
			await told(api.put('doc?id=full-a', { body: '1' })),
			await told(api.put('doc?id=full-b', { body: '1' })),
			await told(api.put('doc?id=full-a', { body: '2' })), // The user's latest edit: it replaces the first.
			await told(api.delete('doc?id=full-b')),
			await told(api.put('doc?id=full-c', { body: '1' })), // Supersedes nothing: the outbox is full.
			await told(api.post('doc?id=full-a', { body: 'p' })), // A POST never supersedes.
		];
		expect(results).toEqual(['QUEUED', 'QUEUED', 'QUEUED', 'QUEUED', 'OUTBOX_FULL entries', 'OUTBOX_FULL entries']);
		expect(superseded).toHaveLength(2);
		expect((await api.outbox.list()).map(({ method, url }) => `${method} ${url.split('?')[1]}`)).toEqual(['PUT id=full-a', 'DELETE id=full-b']);
		win.setOnline(true, false);
		await api.outbox.flush();
		expect([doc('full-a').body, doc('full-a').writes.length]).toEqual(['2', 1]);
	});
});

describe('outbox: the storage quota holds for what the app\'s answers store', () => {
	// 900,000 bytes may be used (10 % of 1,000,000 stays free); the photo takes 950,000.
	const photo = () => new Uint8Array(950_000).fill(7);
	const estimate = () => Object.defineProperty(navigator, 'storage', { configurable: true, value: { estimate: async () => ({ usage: 0, quota: 1_000_000 }) } });
	const restore = () => delete (navigator as { storage?: unknown }).storage;

	it('a rebased write (onConflict) whose body would leave less than 10 % free is not stored: a dead letter (conflict), never sent', async () => {
		const api = h.make({ outbox: { onConflict: () => ({ body: photo() }) } });
		await queueOffline(api, async () => api.put('doc?id=quota-rebase', { body: 'mine', headers: { 'If-Match': '"v0"' } }));
		estimate();
		try {
			win.setOnline(true, false);
			expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 1 });
			expect([(await api.outbox.deadLetters()).map(({ deadReason, bodyBytes }) => [deadReason, bodyBytes]), doc('quota-rebase').writes.length]).toEqual([[['conflict', 4]], 0]);
		} finally {
			restore();
		}
	});

	it('a migrated entry whose body would leave less than 10 % free is not stored: a dead letter (migrate) keeping the stored write, never sent', async () => {
		const store = memoryStore('quota-migrate');
		const old = h.make({ store: () => store, outbox: true });
		await queueOffline(old, async () => old.put('doc?id=quota-migrate', { body: 'old shape' }));
		old.close();
		estimate();
		try {
			const api = h.make({ store: () => store, outbox: { version: 2, migrate: (entry) => ({ ...entry, body: photo().buffer }) } });
			win.setOnline(true, false);
			await api.outbox.flush();
			expect([(await api.outbox.deadLetters()).map(({ deadReason, bodyBytes }) => [deadReason, bodyBytes]), doc('quota-migrate').writes.length]).toEqual([[['migrate', 9]], 0]);
		} finally {
			restore();
		}
	});
});

describe('outbox versions and migrate', () => {
	const v1 = async (id: string) => {
		const store = memoryStore('versions');
		const old = h.make({ store: () => store, outbox: true });
		const entry = await queueOffline(old, async () => old.put(`doc?id=${id}`, { body: 'old shape' }));
		old.close();
		return { store, entry };
	};

	it('an entry of an older version is migrated once before its next replay and stored in place', async () => {
		const { store, entry } = await v1('m1');
		const calls: Array<[string, number, string]> = [];
		const api = h.make({ store: () => store, outbox: { version: 3, migrate: (old, from) => {
			calls.push([old.id, from, new TextDecoder().decode(old.body)]);
			return { ...old, url: old.url.replace('m1', 'm1&migrated=1'), headers: { ...old.headers, 'x-shape': '3' }, body: new TextEncoder().encode('new shape').buffer as ArrayBuffer };
		} } });
		win.setOnline(true, false);
		const events = h.record(api, 'outbox:sent', 'outbox:retry');
		await api.outbox.flush();
		await api.outbox.flush();
		expect(calls).toEqual([[entry.id, 1, 'old shape']]); // once, whatever the replays
		const [sent] = h.seen.filter((request) => request.method === 'PUT' && request.url.includes('m1'));
		expect(sent).toMatchObject({ body: 'new shape', headers: { 'x-shape': '3', 'idempotency-key': entry.idempotencyKey } });
		expect(sent!.url).toContain('m1&migrated=1');
		expect(events.map((event) => event.type)).toEqual(['outbox:sent']);
	});

	it('migrate returning null discards the entry (outbox:discarded); a throw makes a dead letter (migrate)', async () => {
		const a = await v1('m2');
		const api = h.make({ store: () => a.store, outbox: { version: 2, migrate: () => null } });
		const events = h.record(api, 'outbox:discarded', 'outbox:sent');
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 0, remaining: 0 });
		expect(events).toMatchObject([{ type: 'outbox:discarded', entryId: a.entry.id, method: 'PUT' }]);
		const b = await v1('m3');
		const failing = h.make({ store: () => b.store, outbox: { version: 2, migrate: () => {
			throw new Error('cannot read v1');
		} } });
		win.setOnline(true, false);
		expect(await failing.outbox.flush()).toMatchObject({ dead: 1 });
		expect(await failing.outbox.deadLetters()).toMatchObject([{ id: b.entry.id, deadReason: 'migrate', version: 1 }]);
		expect(h.seen.filter((request) => request.method === 'PUT' && /m[23]/.test(request.url))).toEqual([]);
	});

	it('migrate returning undefined (a forgotten return), throwing a TypeError or returning a bad entry: the write is kept as a dead letter (migrate) coded INVALID_REQUEST', async () => {
		const migrates: Array<(entry: StoredEntry) => StoredEntry | null> = [
			() => undefined as never,
			(entry) => (entry as unknown as { missing: { url: string } }).missing.url as never,
			(entry) => ({ ...entry, body: 'not bytes' as never }),
			(entry) => ({ ...entry, url: 42 as never }),
		];
		for (const [index, migrate] of migrates.entries()) {
			const { store, entry } = await v1(`mu${index}`);
			const api = h.make({ store: () => store, outbox: { version: 2, migrate } });
			const events = h.record(api, 'outbox:dead', 'outbox:discarded', 'outbox:sent');
			win.setOnline(true, false);
			expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 1, remaining: 0 });
			expect(events).toMatchObject([{ type: 'outbox:dead', entryId: entry.id, deadReason: 'migrate', code: 'INVALID_REQUEST' }]);
			expect(await api.outbox.deadLetters()).toMatchObject([{ id: entry.id, deadReason: 'migrate', version: 1, url: entry.url, lastError: { code: 'INVALID_REQUEST' } }]);
		}

		expect(h.seen.filter((request) => request.method === 'PUT' && request.url.includes('mu'))).toEqual([]);
	});

	it('what migrate returns is stored as a rebase\'s headers are: never a sensitive header (Authorization, Cookie, sensitiveHeaders), names lower-cased with the last given winning, a precondition in `headers` kept apart as one', async () => {
		const { store, entry } = await v1('ms1&fail=409');
		const written: unknown[] = [];
		const set = store.set.bind(store);
		store.set = async (key, value) => {
			written.push(structuredClone(value));
			return set(key, value);
		};
		const api = h.make({ store: () => store, outbox: { version: 2, sensitiveHeaders: ['X-Session'], migrate: (old) => ({
			...old,
			headers: { ...old.headers, 'Content-Type': 'application/vnd.v2+json', Authorization: 'Bearer SECRET', Cookie: 'sid=SECRET', 'X-Session': 'SECRET', 'If-Match': '"v1"', 'X-Shape': '2' },
		}) } });
		win.setOnline(true, false);
		// The scripted 409 answers a write that now carries a precondition: a conflict, not a retry.
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 1, remaining: 0 });
		expect(written.length).toBeGreaterThan(0);
		expect(JSON.stringify(written)).not.toContain('SECRET');
		const [sent] = h.seen.filter((request) => request.method === 'PUT' && request.url.includes('ms1'));
		expect(sent!.headers).toMatchObject({ 'content-type': 'application/vnd.v2+json', 'if-match': '"v1"', 'x-shape': '2' });
		expect(Object.keys(sent!.headers).filter((name) => /^(authorization|cookie|x-session)$/.test(name))).toEqual([]);
		const [dead] = await api.outbox.deadLetters();
		expect(dead).toMatchObject({ id: entry.id, deadReason: 'conflict', version: 2, preconditions: { 'if-match': '"v1"' }, lastError: { code: 'CONFLICT', status: 409 } });
		expect(dead!.headers).toEqual({ 'content-type': 'application/vnd.v2+json', 'x-shape': '2' });
	});

	it('migrate\'s entry is checked as a stored record is, and more: a URL that is invalid, of another scope or with a sensitive parameter, headers that are not strings, a bad precondition or a body over maxBodyBytes make a dead letter (migrate) coded INVALID_REQUEST that keeps the stored write', async () => {
		const bytes = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;
		const migrates: Array<(entry: StoredEntry) => StoredEntry | null> = [
			(entry) => ({ ...entry, url: 'not a url' }),
			(entry) => ({ ...entry, url: entry.url.replace('127.0.0.1', 'localhost') }),
			(entry) => ({ ...entry, url: `${entry.url}&token=SECRET` }),
			(entry) => ({ ...entry, headers: { ...entry.headers, 'x-count': 2 as never } }),
			(entry) => ({ ...entry, headers: 'x-a: 1' as never }),
			(entry) => ({ ...entry, headers: { ...entry.headers, 'bad name': 'x' } }),
			(entry) => ({ ...entry, preconditions: { 'if-match': '' } }),
			(entry) => ({ ...entry, body: bytes('x'.repeat(65)) }),
		];
		for (const [index, migrate] of migrates.entries()) {
			const { store, entry } = await v1(`mv${index}`);
			const api = h.make({ store: () => store, outbox: { version: 2, maxBodyBytes: 64, maxFileBytes: 0, migrate } });
			win.setOnline(true, false);
			expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 1, remaining: 0 });
			const [dead] = await api.outbox.deadLetters();
			expect(dead).toMatchObject({ id: entry.id, deadReason: 'migrate', version: 1, url: entry.url, headers: entry.headers, lastError: { code: 'INVALID_REQUEST' } });
			expect(JSON.stringify(await store.get((await store.keys()).find((key) => key.includes(entry.id))!))).not.toContain('SECRET');
			api.close();
		}

		expect(h.seen.filter((request) => request.method === 'PUT' && request.url.includes('mv'))).toEqual([]);
	});

	it('migrate\'s body is bounded by the most the outbox stores for one write, maxBodyBytes + maxFileBytes (its bytes do not say which were text and which files): within it the write replays, past it a dead letter', async () => {
		const bytes = (size: number) => new Uint8Array(size).fill(120).buffer as ArrayBuffer;
		for (const [size, sent] of [[128, true], [129, false]] as const) {
			const { store, entry } = await v1(`mb${size}`);
			const api = h.make({ store: () => store, outbox: { version: 2, maxBodyBytes: 64, maxFileBytes: 64, migrate: (old) => ({ ...old, body: bytes(size) }) } });
			win.setOnline(true, false);
			expect(await api.outbox.flush()).toEqual(sent ? { sent: 1, failed: 0, dead: 0, remaining: 0 } : { sent: 0, failed: 0, dead: 1, remaining: 0 });
			expect((await api.outbox.deadLetters()).map((dead) => dead.id)).toEqual(sent ? [] : [entry.id]);
			expect(h.seen.filter((request) => request.method === 'PUT' && request.url.includes(`mb${size}`)).map((request) => request.body.length)).toEqual(sent ? [size] : []);
			api.close();
		}
	});

	it('without migrate an older entry replays unchanged; an entry of a newer version is left alone, pending and listed', async () => {
		const { store } = await v1('m4');
		const newer = h.make({ store: () => store, outbox: { version: 2 } });
		await queueOffline(newer, async () => newer.put('doc?id=m5', { body: 'v2 shape' }));
		newer.close();
		const older = h.make({ store: () => store, outbox: true });
		win.setOnline(true, false);
		expect(await older.outbox.flush()).toEqual({ sent: 1, failed: 0, dead: 0, remaining: 1 });
		expect(doc('m4').writes).toMatchObject([{ body: 'old shape' }]);
		expect(await older.outbox.list()).toMatchObject([{ url: `${h.api.url}/doc?id=m5`, version: 2 }]);
		expect(doc('m5').writes).toEqual([]);
	});
});

describe('outbox options and bad input', () => {
	it('bad options throw a RangeError at creation (of the policy, `outbox()`) naming the option', () => {
		const make = (options: object) => () => outbox(options as OutboxOptions);
		expect(make({ onConflict: 'dead' })).toThrow(/`outbox\.onConflict` must be a function; got "dead"/);
		expect(make({ migrate: {} , version: 2 })).toThrow(/`outbox\.migrate` must be a function/);
		expect(make({ version: 0 })).toThrow(/`outbox\.version` must be a positive integer; got 0/);
		expect(make({ version: 1.5 })).toThrow(/`outbox\.version`.*1\.5/);
		expect(make({ migrate: (entry: unknown) => entry })).toThrow(/`outbox\.migrate` must be given with a `version` above 1/);
		expect(make({ conditional: 'yes' })).toThrow(/`outbox\.conditional` must be a boolean/);
		expect(make({ coalesce: 1 })).toThrow(/`outbox\.coalesce` must be a boolean/);
		for (const bad of [{ onConflict: null }, { version: '2' }]) {
			expect(make(bad)).toThrow(RangeError);
		}
	});

	it('a header fetch would refuse on an outbox-eligible call rejects with InvalidRequestError, before any I/O', async () => {
		const api = h.make({ outbox: true });
		for (const headers of [{ 'x-a': 'a\r\nInjected: 1' }, { 'x-a': Symbol('s') }, { 'bad name': '1' }, { 'x-a\r\nb': '1' }]) {
			let promise: Promise<unknown> | undefined;
			expect(() => {
				promise = api.post('mutate?id=badheader', { headers: headers as never, json: { a: 1 } });
			}).not.toThrow();
			const error = await promise!.catch((error_: unknown) => error_);
			expect(error).toBeInstanceOf(InvalidRequestError);
			expect(error).toMatchObject({ code: 'INVALID_REQUEST' });
		}

		expect(h.seen).toHaveLength(0);
		expect(await api.outbox.size()).toBe(0);
	});
});
