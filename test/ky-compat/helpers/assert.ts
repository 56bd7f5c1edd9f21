// ava's `t.throwsAsync`, `t.throws`, `t.notThrowsAsync` and `t.notThrows`, made with vitest's `expect`, so
// ky's assertions port one for one: the same expectation object, the same return value (the error),
// and one counted assertion each (what `t.plan()`, here `expect.assertions()`, counts). Each takes the
// test context's `expect` first: ava's tests run concurrently, and only the context's `expect` counts
// for the right test.
import type { ExpectStatic } from 'vitest';

type Constructor = abstract new (...arguments_: any[]) => unknown;

/** ava's `ThrowsExpectation`. */
export type ThrowsExpectation = {
	any?: boolean;
	instanceOf?: Constructor;
	is?: unknown;
	message?: string | RegExp | ((message: string) => boolean);
	name?: string;
	code?: string | number;
};

export const mismatches = (error: unknown, expectation: ThrowsExpectation | null | undefined): string[] => {
	const problems: string[] = [];
	if (!expectation?.any && !(error instanceof Error)) {
		problems.push(`expected an Error, got ${String(error)}`);
		return problems;
	}

	if (!expectation) {
		return problems;
	}

	const actual = error as { message?: unknown; name?: unknown; code?: unknown };
	if ('is' in expectation && error !== expectation.is) {
		problems.push('the error is not the expected value (`is`)');
	}

	if (expectation.instanceOf && !(error instanceof expectation.instanceOf)) {
		problems.push(`expected an instance of ${expectation.instanceOf.name}, got ${(error as Error)?.constructor?.name} (${String(actual.message)})`);
	}

	if (expectation.name !== undefined && actual.name !== expectation.name) {
		problems.push(`expected name ${JSON.stringify(expectation.name)}, got ${JSON.stringify(actual.name)}`);
	}

	const { message } = expectation;
	if (message !== undefined) {
		const text = String(actual.message);
		const ok = typeof message === 'string' ? actual.message === message : message instanceof RegExp ? message.test(text) : message(text);
		if (!ok) {
			problems.push(`expected message ${message instanceof RegExp ? String(message) : JSON.stringify(typeof message === 'function' ? '<predicate>' : message)}, got ${JSON.stringify(text)}`);
		}
	}

	if (expectation.code !== undefined && actual.code !== expectation.code) {
		problems.push(`expected code ${String(expectation.code)}, got ${String(actual.code)}`);
	}

	return problems;
};

const check = (expect: ExpectStatic, error: unknown, expectation: ThrowsExpectation | null | undefined, label?: string): void => {
	const problems = mismatches(error, expectation);
	// One counted assertion; the message says what differed.
	expect(problems, [label, ...problems].filter(Boolean).join('; ')).toStrictEqual([]);
};

/** ava's `t.throwsAsync`: the promise (or the function's promise) rejects as expected; resolves to the error. */
export async function throwsAsync<ErrorType = any>(
	expect: ExpectStatic,
	thrower: PromiseLike<unknown> | (() => PromiseLike<unknown>),
	expectation?: ThrowsExpectation | null,
	label?: string,
): Promise<ErrorType> {
	let settled: { error: unknown } | undefined;
	try {
		await (typeof thrower === 'function' ? thrower() : thrower);
	} catch (error) {
		settled = { error };
	}

	if (!settled) {
		expect.fail(label ?? 'Promise resolved, but a rejection was expected');
	}

	check(expect, settled.error, expectation, label);
	return settled.error as ErrorType;
}

/** ava's `t.throws`: the function throws as expected; returns the error. */
export function throws<ErrorType = any>(expect: ExpectStatic, fn: () => unknown, expectation?: ThrowsExpectation | null, label?: string): ErrorType {
	let thrown: { error: unknown } | undefined;
	try {
		fn();
	} catch (error) {
		thrown = { error };
	}

	if (!thrown) {
		expect.fail(label ?? 'Function returned, but a throw was expected');
	}

	check(expect, thrown.error, expectation, label);
	return thrown.error as ErrorType;
}

/** ava's `t.notThrowsAsync`. */
export async function notThrowsAsync(expect: ExpectStatic, thrower: PromiseLike<unknown> | (() => PromiseLike<unknown>), label?: string): Promise<void> {
	let error: { value: unknown } | undefined;
	try {
		await (typeof thrower === 'function' ? thrower() : thrower);
	} catch (value) {
		error = { value };
	}

	// One counted assertion.
	expect(error, label ?? `Promise rejected with ${String(error?.value)}`).toBeUndefined();
}

/** ava's `t.notThrows`. */
export function notThrows(expect: ExpectStatic, fn: () => unknown, label?: string): void {
	expect(fn, label).not.toThrow();
}
