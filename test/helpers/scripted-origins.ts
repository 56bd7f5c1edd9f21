// A transport scripted per origin and a pretended `navigator.onLine`, for the reachability tests (unit/reachability,
// unit/recovery-hunt17-variants). A file that uses `setOnLine` puts it back in its own `afterEach(() => setOnLine(undefined))`.
import type { Input } from 'ky';

/** A transport scripted per origin: a status, or `'down'` (a refused connection: a TypeError). */
export const scripted = (plan: Record<string, number | 'down'>) => async (input: Input): Promise<Response> => {
	const what = plan[new URL((input as Request).url).origin] ?? 200;
	if (what === 'down') {
		throw new TypeError('fetch failed');
	}

	return new Response('{}', { status: what });
};

/** Pretend the device says it is offline (`navigator.onLine === false`), or stop pretending (`undefined`). */
export const setOnLine = (value: boolean | undefined): void => {
	Object.defineProperty(globalThis.navigator, 'onLine', { value, configurable: true });
};
