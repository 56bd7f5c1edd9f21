/**
 * Defect hunt, thirteenth round, second pass (Y): the outbox's stored write and the app's hooks —
 * what `list()` shows of the pending records (API.md "Outbox": `list()` "pending, oldest first", as
 * many as `size()` counts), what an `init` hook that throws does to a replay. ManualClock, random 0.5,
 * the real loopback API.
 */
import { replaceOption } from 'ky';
import { describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, OutboxQueuedError, outbox } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { linkKey } from '../../src/outbox/refs.js';
import { harnessEachTest, unreadableBehindHead } from './outbox-helpers.js';
import { statusOrClass } from '../helpers/outcome.js';
import { downAtFirst, recordingFetch } from '../helpers/recording-fetch.js';

const { h, win } = harnessEachTest();

describe('list() shows every pending entry size() counts', () => {
	it('a pending record the outbox cannot read is listed as its dead letter will be (no method, no URL, lastError Unreadable), before a pass reaches it', async () => {
		// The scope's head waits for its backoff: no pass reads the three unreadable records behind it.
		const { api, head } = await unreadableBehindHead(h);
		const listed = await api.outbox.list();
		// Before: size() 4, list() [head]: the three unreadable records counted by one and not shown by the other.
		expect([await api.outbox.size(), listed.map((entry) => entry.id)]).toEqual([4, [head.id, 'damaged', 'junk', 'secret']]);
		for (const entry of listed.slice(1)) {
			expect(entry).toMatchObject({ method: '', url: '', headers: {}, idempotencyKey: entry.id, attempts: 0, bodyBytes: 0, version: 1, lastError: { code: 'INVALID_REQUEST', message: 'Unreadable' } });
			expect(JSON.stringify(entry)).not.toContain('stolen');
		}

		// Once a pass reached them: dead letters shown the same way (`'rejected'`), none pending.
		await api.outbox.flush();
		const dead = await api.outbox.deadLetters();
		expect([await api.outbox.list(), dead.map((entry) => [entry.id, entry.method, entry.url, entry.lastError?.message, entry.deadReason])]).toEqual([[], [
			['damaged', '', '', 'Unreadable', 'rejected'], ['junk', '', '', 'Unreadable', 'rejected'], ['secret', '', '', 'Unreadable', 'rejected'],
		]]);
	});
});

describe('a replay that an `init` hook fails is no attempt, as one a `beforeRequest` hook fails (API.md "Outbox": attempts count only attempts that reached the network)', () => {
	/** A client whose ky `init` hook throws `message` while `failing` says so, a POST queued by a network failure, then `passes` replays while it throws. */
	const scenario = async (message: string, passes: number) => {
		const { state, fetch } = downAtFirst();
		const hook = () => {
			if (state.failing) {
				throw new Error(message);
			}
		};
		const clock = new ManualClock();
		const api = createClient({ fetch, clock, prefix: 'https://api.example.com/', retry: 0, hooks: { init: [hook] }, breaker: false, store: memoryStore, name: `t13b-init-${passes}`, outbox: outbox({ maxAttempts: 3 }) });
		await expect(api.post('todos', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		state.down = false;
		state.failing = true;
		for (let pass = 0; pass < passes; pass++) {
			clock.advance(600_000); // past any backoff: the entry is due
			expect((await api.outbox.flush()).sent).toBe(0);
		}

		return { api, clock, state };
	};

	it('its entry stays pending with its attempts past `maxAttempts` replays, its lastError the hook\'s error, and goes out once the hook lets it', async () => {
		const { api, clock, state } = await scenario('the tenant service is down', 3);
		// Before: no entry pending, a dead letter at the first replay ('rejected', INVALID_REQUEST, attempts 1).
		expect([(await api.outbox.list()).map((entry) => [entry.attempts, entry.lastError?.message]), (await api.outbox.deadLetters()).map((entry) => entry.deadReason), state.sends])
			.toEqual([[[1, 'Error: the tenant service is down']], [], 1]);
		state.failing = false;
		clock.advance(600_000);
		expect((await api.outbox.flush()).sent).toBe(1);
		expect(state.sends).toBe(2);
		api.close();
	});

	it('its lastError is redacted as every lastError (a sensitive query parameter in the hook\'s message)', async () => {
		const { api } = await scenario('no tenant for https://api.example.com/todos?access_token=s3cret', 1);
		const [entry] = await api.outbox.list();
		expect(entry?.lastError?.message).toContain('no tenant for');
		expect(JSON.stringify(await api.outbox.list())).not.toContain('s3cret');
		api.close();
	});
});

type InitHook = (options: Record<string, unknown>) => void;

describe('a body an `init` hook (ky\'s) swaps or rewrites is what is stored (API.md: "the first attempt and every replay send those bytes")', () => {
	const swaps: Array<[string, InitHook, Record<string, unknown>, number]> = [
		['json to URLSearchParams', (o) => {
			o.body = new URLSearchParams(o['json'] as Record<string, string>);
			o.json = undefined;
		}, { json: { a: '1' } }, 3],
		['text rewritten', (o) => {
			o.body = `${o['body'] as string}!`;
		}, { body: 'hello' }, 6],
		['json removed', (o) => {
			o.json = undefined;
		}, { json: { a: 1 } }, 0],
		['json to bytes', (o) => {
			o.body = new TextEncoder().encode('xyz');
			o.json = undefined;
		}, { json: { a: 1 } }, 3],
		['bytes to text', (o) => {
			o.body = 'text';
		}, { body: new Uint8Array([1, 2]) }, 4],
	];
	for (const [label, hook, given, bytes] of swaps) {
		for (const where of ['client', 'call'] as const) {
			it(`${label} (the ${where}'s hook): stored as its first attempt sent it, and replayed with those bytes`, async () => {
				const state = { down: true, sent: [] as string[] };
				const hooks = { init: [hook] } as never;
				const api = createClient({ fetch: recordingFetch(state), prefix: 'https://api.example.com/', retry: 0, ...where === 'client' && { hooks }, breaker: false, store: memoryStore, name: `t13b-swap-${label}-${where}`, outbox: outbox() });
				expect(await statusOrClass(api.post('todos', { ...given, ...where === 'call' && { hooks } }))).toBe('OutboxQueuedError');
				const [first] = state.sent;
				state.sent.length = 0;
				// Before: bodyBytes of the caller's body (json to URLSearchParams: 9, '{"a":"1"}'), its replay sending it.
				expect((await api.outbox.list()).map((entry) => entry.bodyBytes)).toEqual([bytes]);
				state.down = false;
				expect((await api.outbox.flush()).sent).toBe(1);
				expect(state.sent).toEqual([first]);
				api.close();
			});
		}
	}

	it('a body the outbox cannot read at once (a Blob, a FormData, a stream the hook gives) is never stored: sent, its failure the caller\'s', async () => {
		for (const make of [() => new Blob(['blob']), () => { const form = new FormData(); form.set('a', '1'); return form; }, () => new Response('stream').body]) {
			const state = { down: true, sent: [] as string[] };
			const hook: InitHook = (o) => {
				o.body = make();
				o.json = undefined;
			};
			const api = createClient({ fetch: recordingFetch(state), prefix: 'https://api.example.com/', retry: 0, hooks: { init: [hook] } as never, breaker: false, store: memoryStore, name: 't13b-swap-opaque', outbox: outbox() });
			// Before: OutboxQueuedError, the entry storing '{"a":1}' where 'blob' was sent.
			expect([await statusOrClass(api.post('todos', { json: { a: 1 } })), await api.outbox.size(), state.sent.length]).toEqual(['NetworkError', 0, 1]);
			api.close();
		}
	});
});

describe('a call holding a placeholder of a pending entry, whose `init` hook gives a body the outbox cannot store', () => {
	it('is an InvalidRequestError before any I/O, never sent with its placeholder nor queued with other bytes', async () => {
		const state = { down: true, sent: [] as string[] };
		const hook: InitHook = (o) => {
			if (typeof o['json'] === 'object' && (o['json'] as { blob?: boolean }).blob) {
				o.body = new Blob(['blob']);
				o.json = undefined;
			}
		};
		const api = createClient({ fetch: recordingFetch(state), prefix: 'https://api.example.com/', retry: 0, hooks: { init: [hook] } as never, breaker: false, store: memoryStore, name: 't13b-swap-ref', outbox: outbox() });
		const parent = await api.post('todos', { json: { a: 1 } }).catch((error: unknown) => error) as OutboxQueuedError;
		expect(parent).toBeInstanceOf(OutboxQueuedError);
		const ref = api.outbox.ref(parent.entryId, '/id');
		const sent = state.sent.length;
		// Before: OutboxQueuedError, the PATCH stored with '{"blob":true}' where a Blob would have been sent.
		expect([await statusOrClass(api.patch(`todos/${ref}`, { json: { blob: true } })), await api.outbox.size(), state.sent.length - sent]).toEqual(['InvalidRequestError', 1, 0]);
		api.close();
	});
});

describe('a body an `init` hook gives over `maxBodyBytes`', () => {
	it('is sent, and when it fails refused with OutboxFullError (\'size\'), as a body given over the bound is', async () => {
		const state = { down: true, sent: [] as string[] };
		const hook: InitHook = (o) => {
			o.body = 'x'.repeat(200);
		};
		const api = createClient({ fetch: recordingFetch(state), prefix: 'https://api.example.com/', retry: 0, hooks: { init: [hook] } as never, breaker: false, store: memoryStore, name: 't13b-swap-size', outbox: outbox({ maxBodyBytes: 100 }) });
		const error = await api.post('todos', { body: 'small' }).catch((failure: unknown) => failure) as { reason?: string; constructor: { name: string } };
		// Before: OutboxQueuedError, 'small' stored where 200 bytes were sent.
		expect([error.constructor.name, error.reason, await api.outbox.size(), state.sent.length]).toEqual(['OutboxFullError', 'size', 0, 1]);
		api.close();
	});
});

describe('a call\'s hooks marked with ky\'s replaceOption()', () => {
	it('replace the client\'s as in ky (the client\'s init hook not run), and the body their init hook swaps is what is stored', async () => {
		const state = { down: true, sent: [] as string[] };
		const ran: string[] = [];
		const clientHook: InitHook = () => {
			ran.push('client');
		};
		const callHook: InitHook = (o) => {
			o.body = new URLSearchParams({ from: 'call' });
			o.json = undefined;
		};
		const api = createClient({ fetch: recordingFetch(state), prefix: 'https://api.example.com/', retry: 0, hooks: { init: [clientHook] } as never, breaker: false, store: memoryStore, name: 't13b-swap-replace', outbox: outbox() });
		expect(await statusOrClass(api.post('todos', { json: { a: 1 }, hooks: replaceOption({ init: [callHook] }) as never }))).toBe('OutboxQueuedError');
		expect(state.sent).toEqual(['POST https://api.example.com/todos application/x-www-form-urlencoded;charset=UTF-8 from=call']);
		expect([(await api.outbox.list()).map((entry) => entry.bodyBytes), ran]).toEqual([[9], []]);
		api.close();
	});
});

describe('coalesce: a write that takes the place of one holding a placeholder of an entry delivered meanwhile', () => {
	it('is recorded as a dependent of the kept values: past their 24 h it is still sent with the value, never a \'parent\' dead letter', async () => {
		const options = { outbox: { coalesce: true, baseBackoffMs: 600_000 } };
		const api = h.make(options);
		// The POST in another scope (the same API by another host name), the PUTs behind a head of their own scope.
		const other = h.api.url.replace('127.0.0.1', 'localhost');
		await expect(api.post('mutate?id=head&fail=503&times=3', { json: { n: 0 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		win.setOnline(false, false);
		const parent = await api.post(`${other}/echo?id=parent`, { json: { title: 't' } }).catch((error: unknown) => error) as OutboxQueuedError;
		expect(parent).toBeInstanceOf(OutboxQueuedError);
		const ref = api.outbox.ref(parent.entryId, '/n'); // The POST's answer holds n: 1.
		await expect(api.put('echo?id=doc', { json: { v: 1 }, headers: { 'if-match': `"${ref}"` } })).rejects.toBeInstanceOf(OutboxQueuedError);
		// The POST delivered; the PUT waits behind its scope's head (its backoff): never replayed, its placeholder as written.
		win.setOnline(true, false);
		await api.outbox.flush();
		expect(h.sentOf('parent').length).toBe(1);
		const edit = await api.put('echo?id=doc', { json: { v: 2 } }).catch((error: unknown) => error) as OutboxQueuedError;
		expect(edit).toBeInstanceOf(OutboxQueuedError);
		// Before: the kept values' dependents held only the superseded PUT's id.
		// (Recorded by a key of its own since hunt 28: `linkKey`.)
		expect(await h.store.get(linkKey(parent.entryId, edit.entryId))).toBeDefined();
		// After a reload, past the values' 24 h: a pass (the head answered 503 a third time: `flush()` replays it at once) prunes the values no pending write needs.
		api.close();
		const after = h.make(options);
		h.clock.advance(25 * 3_600_000);
		await after.outbox.flush();
		h.clock.advance(25 * 3_600_000);
		await after.outbox.flush();
		// Before: a 'parent' dead letter, never sent.
		expect([(await after.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason]), h.sentOf('doc').map((seen) => [seen.headers['if-match'], seen.body])]).toEqual([[], [['"1"', '{"v":2}']]]);
		after.close();
	});
});

describe('a body an `init` hook gives that the outbox cannot store, with `networkTimeoutMs`', () => {
	it('is not queued at the deadline: the caller waits for its attempt, as for a stream body', async () => {
		const answers: Array<() => void> = [];
		const fetch = (async () => new Promise<Response>((resolve) => answers.push(() => resolve(new Response('{}', { status: 201 }))))) as typeof globalThis.fetch;
		const hook: InitHook = (o) => {
			o.body = new Blob(['blob']);
			o.json = undefined;
		};
		const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, hooks: { init: [hook] } as never, breaker: false, store: memoryStore, name: 't13b-swap-deadline', outbox: outbox({ networkTimeoutMs: 20 }) });
		const call = statusOrClass(api.post('todos', { json: { a: 1 } }));
		await vi.waitFor(() => expect(answers).toHaveLength(1));
		await new Promise((resolve) => {
			setTimeout(resolve, 60); // Past the 20 ms deadline (real time, as `networkTimeoutMs` runs).
		});
		answers[0]!();
		// Before: 'OutboxQueuedError' at the deadline, the JSON stored where a Blob was sent.
		expect([await call, await api.outbox.size()]).toEqual(['201', 0]);
		api.close();
	});
});
