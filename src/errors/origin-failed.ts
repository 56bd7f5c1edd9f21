import { classifyAnswer, classifyStatus } from './classify.js';

/**
 * What an answer says of its origin, for the parts that count attempts (the breaker, the adaptive throttle): `true` a
 * failure (`classifyStatus` calls it transient), `false` none, `undefined` nothing — a steadfetch service worker's
 * answer for a call its client ended with no failure of the origin's (steadfetch/sw: its `Steadfetch-Error` names
 * another code than `NETWORK`, `TIMEOUT` or an HTTP one: `CIRCUIT_OPEN`, `THROTTLED`, `AUTH_FAILED`, `UNKNOWN`…): a refusal
 * of steadfetch's own, the origin not asked, which a page's breaker and throttle count as nothing, as the worker's do.
 */
export const originFailed = (response: Response): boolean | undefined => {
	if (!classifyStatus(response.status)?.transient) {
		return false;
	}

	// The codes of a failure of the origin or the network (`classify()`'s of ky's errors).
	const code = response.headers.get('steadfetch-error');
	return code === null || /^(?:TIMEOUT|NETWORK|HTTP_(?:408|429|4XX|5XX))$/.test(code) || undefined;
};

/**
 * Whether `response` is a steadfetch service worker's answer for a call whose attempts got no answer of the origin's
 * (its `503`/`504` with `Steadfetch-Error: NETWORK` or `TIMEOUT`): for the breaker and reachability, an attempt without an
 * HTTP answer, as the network failure or timeout the worker met.
 */
export const unanswered = (response: Response): boolean => /^(?:NETWORK|TIMEOUT)$/.test(classifyAnswer(response)?.code ?? '');
