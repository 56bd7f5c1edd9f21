import { classifyAnswer, classifyStatus, originCodes } from './classify.js';
import { workerCopy } from './worker-copy.js';

/**
 * What an answer says of its origin, for the parts that count attempts (the breaker, the adaptive throttle): `true` a
 * failure (`classifyStatus` calls it transient), `false` none, `undefined` nothing — a steadfetch service worker's
 * answer for a call its client ended with no failure of the origin's (steadfetch/sw: its `Steadfetch-Error` names
 * another code than `NETWORK`, `TIMEOUT` or an HTTP one: `CIRCUIT_OPEN`, `THROTTLED`, `AUTH_FAILED`, `UNKNOWN`…): a refusal
 * of steadfetch's own, the origin not asked, which a page's breaker and throttle count as nothing, as the worker's do.
 * So is such a worker's stale copy (`workerCopy`: `Cache-Status: steadfetch; hit; …; detail=<reason>`) as its reason says:
 * for a network failure, a timeout or a 5xx (`network`, `timeout`, `http-5xx`) a failure, as that worker's `503` would be;
 * for another (`circuit-open`, `throttled`, `slow`, `offline`…) nothing; and so is its `fallback` answer (`detail=fallback`,
 * whatever status the app gave it), which names no failure. One header read per answer in a page a worker controls, none
 * elsewhere (`workerCopy`); one more for a transient status (`Steadfetch-Error`).
 */
export const originFailed = (response: Response): boolean | undefined => {
	const copy = workerCopy(response);
	if (copy !== undefined) {
		return /^(?:network|timeout|http-5xx)$/.test(copy) || undefined;
	}

	if (!classifyStatus(response.status)?.transient) {
		return false;
	}

	const code = response.headers.get('steadfetch-error');
	return code === null || originCodes.test(code) || undefined;
};

/**
 * Whether `response` is a steadfetch service worker's answer for a call whose attempts got no answer of the origin's
 * (its `503`/`504` with `Steadfetch-Error: NETWORK` or `TIMEOUT`, or its stale copy for them: `detail=network`, `timeout`):
 * for the breaker and reachability, an attempt without an HTTP answer, as the network failure or timeout the worker met.
 */
export const unanswered = (response: Response): boolean =>
	/^(?:NETWORK|TIMEOUT)$/i.test(workerCopy(response) ?? classifyAnswer(response)?.code ?? '');
