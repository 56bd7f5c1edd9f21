/**
 * Defect hunt, twentieth round (the open pipeline: app policies), second pass. What an app's policy
 * declares is read as the contract types it, and what is not such is the policy's fault, said so at
 * `createClient` or as the call's rejection: a log level no logger knows, a member that makes the client
 * a thenable, a `send()` or `scopeOf()` asked before the client exists, a `checkCall` that gives back its
 * refusal instead of throwing it.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient, type InvalidRequestError } from '../../src/entries/core.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';
import type { Policy, PolicyContext, PolicyParts } from '../../src/entries/policy.js';

/** An app's `audit` policy whose create() gives `parts` (made with the context when a function). */
const audit = (parts: PolicyParts | ((context: PolicyContext) => PolicyParts)): Policy<'audit'> => ({
	slot: 'audit',
	create: (context: PolicyContext) => (typeof parts === 'function' ? parts(context) : parts),
}) as unknown as Policy<'audit'>;

/** A transport that answers 200 'net' and counts what it was sent (`sent()`). */
const counting = () => {
	let sent = 0;
	const fetch = (async () => {
		sent++;
		return new Response('net');
	}) as typeof globalThis.fetch;
	return { fetch, sent: () => sent };
};

/** What `make()` did: the client's type, or the error it threw (class and message). */
const made = (make: () => unknown): string => {
	try {
		return typeof make();
	} catch (error) {
		return `${(error as Error).constructor.name} ${(error as Error).message}`;
	}
};

/** Settles with its status and body, or with its error's class, code and message. */
const settled = (call: Promise<Response>): Promise<string> =>
	call.then(async (response) => `${response.status} ${await response.text()}`, (error: Error) => `${error?.constructor?.name} ${classify(error).code} ${error?.message}`);

describe('PolicyParts.levels: with a logger, a level it knows, else a TypeError naming the event at createClient', () => {
	/** A sink that notes each record's method and event. */
	const noting = () => {
		const written: string[] = [];
		const note = (method: string) => (record: LogRecord) => void written.push(`${method} ${record.event}`);
		return { written, sink: { info: note('info'), warn: note('warn'), error: note('error'), debug: note('debug') } };
	};

	/** A policy that emits 'audit:sent' at each attempt, its level `levels` says; `closed()` counts its close(). */
	const emitting = (levels: unknown) => {
		let closed = 0;
		const policy = audit((context) => ({
			levels: levels as never,
			layer: (next) => (request, init) => {
				context.emit('audit:sent' as never, { url: request.url } as never);
				return next(request, init);
			},
			close: () => void closed++,
		}));
		return { policy, closed: () => closed };
	};

	it('refuses a level that is not info, warn or error (debug, WARN, a number), every part closed', async () => {
		for (const [level, got] of [['debug', '"debug"'], ['WARN', '"WARN"'], [2, '2']] as const) {
			const { sink, written } = noting();
			const { policy, closed } = emitting({ 'audit:sent': level });
			const { fetch, sent } = counting();
			let api: { get(url: string): Promise<Response> } | undefined;
			const shown = made(() => {
				api = createClient({ fetch, retry: 0, logger: logger(sink, { level: 'error' }), audit: policy } as never);
				return api;
			});
			// Before: a client ('function'), whose call wrote ['debug audit:sent'] past the 'error' filter, and nothing for 'WARN' or 2.
			await api?.get('https://api.test/a');
			expect([shown, written, closed()]).toEqual([`TypeError The level of \`audit:sent\` (its policy's \`levels\`) must be 'info', 'warn' or 'error'; got ${got}`, [], 1]);
			expect(sent()).toBe(0);
		}
	});

	it('takes info, warn and error (and an event left undefined: not logged), each written at its level through the filter', async () => {
		const { written, sink } = noting();
		const api = createClient({ fetch: counting().fetch, retry: 0, logger: logger(sink, { level: 'warn' }), audit: emitting({ 'audit:sent': 'warn', 'audit:other': undefined }).policy } as never);
		expect(await settled(api.get('https://api.test/a'))).toBe('200 net');
		expect(written.filter((line) => line.endsWith('audit:sent'))).toEqual(['warn audit:sent']);
		api.close();
		const quiet = noting();
		const filtered = createClient({ fetch: counting().fetch, retry: 0, logger: logger(quiet.sink, { level: 'error' }), audit: emitting({ 'audit:sent': 'info' }).policy } as never);
		await filtered.get('https://api.test/a');
		expect(quiet.written).toEqual([]);
		filtered.close();
	});
});

describe('PolicyParts.members: none that makes the client a thenable', () => {
	it('a member named `then` is a TypeError at createClient, every part closed (before: the client was a thenable, `await createClient(…)` called it)', () => {
		let closed = 0;
		// biome-ignore lint/suspicious/noThenProperty: the member under test
		const policy = audit({ members: { then: () => undefined }, close: () => void closed++ });
		// Before: 'function' — and `await` of the client (an async function returning it) waited on the policy's `then` forever.
		expect(made(() => createClient({ audit: policy } as never))).toBe('TypeError The `audit` policy\'s member `then` is already the client\'s');
		expect(closed).toBe(1);
	});

	it('nor through withContext (membersFor)', () => {
		// biome-ignore lint/suspicious/noThenProperty: the member under test
		const policy = audit({ membersFor: () => ({ then: () => undefined }) });
		const api = createClient({ audit: policy } as never);
		const withContext = (api as unknown as { withContext(ctx: object): unknown }).withContext;
		// Before: 'object' (a thenable request client).
		expect(made(() => withContext({ waitUntil: () => undefined }))).toBe('TypeError The `audit` policy\'s member `then` is already the client\'s');
		api.close();
	});

	it('other members are the client\'s as before, and an awaited client is itself', async () => {
		const api = createClient({ audit: audit({ members: { audit: { on: true } } }) } as never) as unknown as { audit: unknown };
		expect((await Promise.resolve(api)).audit).toEqual({ on: true });
	});
});

describe('PolicyContext.send and scopeOf before the client exists (in create())', () => {
	it('send() rejects with a TypeError saying it is for start() or later, nothing sent (before: createClient threw a ReferenceError)', async () => {
		const { fetch, sent } = counting();
		let early: Promise<Response> | undefined;
		const policy = audit((context) => {
			early = context.send('https://api.test/warm', {});
			return {};
		});
		// Before: "ReferenceError Cannot access 'call' before initialization".
		expect(made(() => createClient({ fetch, audit: policy } as never))).toBe('function');
		expect(await settled(early!)).toBe('TypeError UNKNOWN The policies\' context.send() is for after the client is made (start() or later)');
		expect(sent()).toBe(0);
	});

	it('send() from start() goes through the client as before', async () => {
		const { fetch, sent } = counting();
		let warm: Promise<Response> | undefined;
		const api = createClient({ fetch, retry: 0, audit: audit((context) => ({
			start: () => {
				warm = context.send('https://api.test/warm', {});
			},
		})) } as never);
		expect(await settled(warm!)).toBe('200 net');
		expect(sent()).toBe(1);
		api.close();
	});

	it('scopeOf() in create() is a TypeError saying so, createClient throws it (before: a ReferenceError)', () => {
		const policy = audit((context) => ({ levels: { [context.scopeOf('https://api.test/a')]: 'info' } as never }));
		expect(made(() => createClient({ audit: policy } as never))).toBe('TypeError The policies\' context.scopeOf() is for after the client is made (start() or later)');
	});
});

describe('PolicyParts.checkCall: an Error given back refuses the call as one thrown', () => {
	it('the call rejects with InvalidRequestError (the Error its cause) before any I/O (before: sent, 200)', async () => {
		const { fetch, sent } = counting();
		const refusal = new RangeError('audit must be a tag');
		const api = createClient({ fetch, retry: 0, audit: audit({ checkCall: ((value: unknown) => (typeof value === 'string' ? undefined : refusal)) as never }) } as never);
		const call = api.get('https://api.test/a', { audit: 5 } as never);
		// Before: '200 net', sent.
		expect(await settled(call)).toBe('InvalidRequestError INVALID_REQUEST audit must be a tag');
		expect(await call.catch((error: InvalidRequestError) => error.cause)).toBe(refusal);
		expect(await settled(api.get('https://api.test/a', { audit: 'tag' } as never))).toBe('200 net');
		expect(sent()).toBe(1);
		api.close();
	});

	it('anything else given back (true, false, a string) refuses nothing, as before', async () => {
		const { fetch, sent } = counting();
		for (const answer of [true, false, 'no', 0]) {
			const api = createClient({ fetch, retry: 0, audit: audit({ checkCall: (() => answer) as never }) } as never);
			expect(await settled(api.get('https://api.test/a', { audit: 1 } as never))).toBe('200 net');
			api.close();
		}

		expect(sent()).toBe(4);
	});
});
