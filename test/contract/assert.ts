/** A dependency-free assert for the contract spec, so it runs unchanged under vitest and Deno. */
export class AssertionError extends Error {
	override name = 'AssertionError';
}

const show = (value: unknown): string => {
	try {
		return JSON.stringify(value);
	} catch {
		return String(value);
	}
};

export const equal = (actual: unknown, expected: unknown, message = ''): void => {
	if (!Object.is(actual, expected)) {
		throw new AssertionError(`${message} expected ${show(expected)}, got ${show(actual)}`.trim());
	}
};

export const deepEqual = (actual: unknown, expected: unknown, message = ''): void => {
	if (show(actual) !== show(expected)) {
		throw new AssertionError(`${message} expected ${show(expected)}, got ${show(actual)}`.trim());
	}
};

export const ok = (value: unknown, message = 'expected a truthy value'): void => {
	if (!value) {
		throw new AssertionError(message);
	}
};

/** Await a promise that must reject; returns the error. */
export const rejects = async (promise: Promise<unknown>, message = 'expected a rejection'): Promise<unknown> => {
	try {
		await promise;
	} catch (error) {
		return error;
	}

	throw new AssertionError(message);
};

/**
 * Wait for `check` to hold, polled every 10 ms (the contract's `waitFor`: a test waits for the condition it needs, never a
 * fixed time, which a busy machine outlasts); past `timeoutMs` it throws an AssertionError naming `what`.
 */
export const eventually = async (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> => {
	const until = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > until) {
			throw new AssertionError(`timed out waiting for ${what}`);
		}

		await new Promise((resolve) => setTimeout(resolve, 10));
	}
};
