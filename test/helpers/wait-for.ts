/**
 * Wait for `check` to hold (polled every 10 ms): tests wait for a condition, never a fixed time. Past
 * `timeoutMs` (generous: a busy two-core machine) it throws an Error naming `what`.
 */
export const waitFor = async (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> => {
	const until = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > until) {
			throw new Error(`timed out waiting for ${what}`);
		}

		await new Promise((resolve) => setTimeout(resolve, 10));
	}
};

/** `waitFor` with the condition first and 20 s to hold (the tabs and pages tests' shape): `what` names it in the error. */
export const until = (check: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'a condition'): Promise<void> => waitFor(check, what, timeoutMs);
