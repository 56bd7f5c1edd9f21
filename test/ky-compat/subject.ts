// The client under test. Every ported test imports `ky` (and `test`) from here, never from 'ky': the
// default export is a steadfetch client in ky's place; the named exports (HTTPError, replaceOption, the
// type guards, the types) are ky's own, which steadfetch re-exports unchanged.
//
// KY_COMPAT_MODE (set per vitest project in vitest.config.ts):
//   off       createClient with every policy off (retry budget, breaker, stale cache, outbox)
//   defaults  createClient with the main entry's defaults
// KY_COMPAT_SUBJECT=ky puts ky itself here instead: a check of the port, not part of `npm test`.
//
// ky is stateless; a steadfetch client is not (breaker, budget, stale cache). So that nothing leaks
// between tests, each test gets a fresh client (memoryStore): `test` below runs each test body with
// its own client, and `ky` is that client. The tests run concurrently, so the client is found
// through AsyncLocalStorage, not through a variable.
import { AsyncLocalStorage } from 'node:async_hooks';
import process from 'node:process';
import realKy, { type KyInstance } from 'ky';
import { test as vitestTest, type ExpectStatic, type TestContext } from 'vitest';
// The one place the client comes from: repoint this import when the entries move.
import { InvalidRequestError, createClient, memoryStore } from '../../src/entries/index.js';
import { mismatches, throws, type ThrowsExpectation } from './helpers/assert.js';

export * from 'ky';

export type KyCompatMode = 'off' | 'defaults';

const modeOf = (value: string | undefined): KyCompatMode => {
	if (value === 'off' || value === 'defaults') {
		return value;
	}

	throw new Error(`KY_COMPAT_MODE must be 'off' or 'defaults', got ${JSON.stringify(value)}`);
};

export const mode: KyCompatMode = modeOf(process.env['KY_COMPAT_MODE']);

/** True when ky itself is the subject (KY_COMPAT_SUBJECT=ky). */
export const isKyItself = process.env['KY_COMPAT_SUBJECT'] === 'ky';

/** A new client in ky's place. Typed as ky's instance: members steadfetch lacks fail at run time. */
export const createSubject = (): KyInstance => {
	if (isKyItself) {
		return realKy;
	}

	const client = mode === 'off'
		? createClient({ retryBudget: false, breaker: false, staleCache: false, outbox: false, store: memoryStore })
		: createClient({ store: memoryStore });
	return client as unknown as KyInstance;
};

const perTest = new AsyncLocalStorage<KyInstance>();
/** For code that runs outside a test body (none of ky's tests do). */
let fileClient: KyInstance | undefined;
const current = (): KyInstance => {
	fileClient ??= perTest.getStore() ? undefined : createSubject();
	return perTest.getStore() ?? fileClient!;
};

const ky = new Proxy((() => undefined) as unknown as KyInstance, {
	apply: (_target, _this, arguments_: Parameters<KyInstance>) => current()(...arguments_),
	get: (_target, property) => Reflect.get(current(), property),
	has: (_target, property) => Reflect.has(current(), property),
});

export default ky;

type Body = (context: TestContext) => unknown;
type Register = (name: string, ...rest: any[]) => unknown;

/** Runs a test body with its own client. */
const isolated = (body: Body): Body => async (context) => {
	const client = createSubject();
	try {
		return await perTest.run(client, async () => body(context));
	} finally {
		// Its timers and listeners go with the test (ky itself has none to stop).
		(client as unknown as { close?: () => void }).close?.();
	}
};

const wrap = <R extends Register>(register: R): R => ((name: string, ...rest: unknown[]) =>
	register(name, ...rest.map((argument) => typeof argument === 'function' ? isolated(argument as Body) : argument))) as R;

/** vitest's `test` (with `.concurrent` and `.fails`), each test with a fresh client. */
export const test = Object.assign(wrap(vitestTest as Register), {
	concurrent: wrap(vitestTest.concurrent as Register),
	fails: wrap(vitestTest.fails as Register),
}) as unknown as Pick<typeof vitestTest, 'concurrent' | 'fails'> & typeof vitestTest;

/**
 * steadfetch differs (API.md "Errors"): where ky throws synchronously for bad input, every client
 * method returns a promise that rejects with `InvalidRequestError` whose `cause` is ky's error. One
 * counted assertion, like ava's `t.throws`: no synchronous throw, a rejection with an
 * `InvalidRequestError`, and its cause matching ky's expectation. With ky itself as the subject,
 * this is ky's `throws`. `fn` returns the call's promise.
 */
export const rejectsAsBadInput = async (expect: ExpectStatic, fn: () => unknown, expectation?: ThrowsExpectation | null): Promise<void> => {
	if (isKyItself) {
		throws(expect, fn, expectation);
		return;
	}

	let outcome: unknown;
	let threw = false;
	try {
		outcome = fn();
	} catch (error) {
		threw = true;
		outcome = error;
	}

	const error = threw ? outcome : await Promise.resolve(outcome).then(() => undefined, (rejection: unknown) => rejection);
	const problems = threw ? [`threw synchronously: ${String(outcome)}`]
		: error instanceof InvalidRequestError ? mismatches(error.cause, expectation)
			: [`expected a rejection with InvalidRequestError, got ${String(error)}`];
	expect(problems, problems.join('; ')).toStrictEqual([]);
};
