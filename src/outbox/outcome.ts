import { parseRetryAfter } from '../utils/runtime.js';
import { classify, classifyAnswer, type Classification } from '../errors/classify.js';
import { isSteadfetchError } from '../errors/SteadfetchError.js';
import type { PolicyContext } from '../core/policy.js';
import { sensitiveOf } from '../core/sensitive-of.js';
import { redactText } from '../utils/sensitive.js';
import { hideUserinfo, thrownText } from '../utils/validate.js';
import { bounded, type OutboxRecord } from './record.js';

/** The entry as the decision reads it: its attempts so far, its precondition, when its retention started. */
export type Standing = Pick<OutboxRecord, 'attempts' | 'preconditions' | 'createdAt' | 'retainFrom'>;

/** The outbox's rules for a write's next attempt (resolved options). */
export interface Rules {
	maxAttempts: number;
	baseBackoffMs: number;
	maxBackoffMs: number;
	/** Cap of the wait after an attempt that ended by a network failure or a timeout (at most `maxBackoffMs`). */
	maxNetworkBackoffMs: number;
	retentionMs: number;
}

/** When a failed write goes next (epoch ms); `pinned` when the server said so (a `Retry-After`), which even a forced drain waits for. */
export interface Schedule {
	at: number;
	pinned: boolean;
}

/**
 * What becomes of a replayed entry: delivered; else its failure (`classify()`'s), whether the attempt
 * counts toward `maxAttempts` (it reached the network: no refusal of the client's own), and a
 * conflict, a dead letter, another attempt at `at`, or its scope paused until a trigger.
 */
export type Outcome = { kind: 'sent' } | ({ failure: Classification; counts: boolean } & (
	| { kind: 'conflict' }
	| { kind: 'pause' }
	| { kind: 'dead'; reason: 'rejected' | 'max-attempts' }
	| ({ kind: 'retry' } & Schedule)));

/**
 * An error as an entry stores it (`lastError.message`, also shown by `list()` and the outbox's events): its text
 * without the secrets a replay's own request put there (API.md "Sensitive data": never written to storage) —
 * a header value fetch refused (Node names it: a `beforeRequest` hook's `Authorization` with a line break), a
 * URL's password (`hideUserinfo`), the values of the client's `sensitiveParams` in a URL (ky's `TimeoutError` names the URL a hook
 * gave, `?access_token=…`). A value with no text (`String` throws) is named by its message, else its type. Failure paths only.
 */
export const messageOf = (error: unknown, context: PolicyContext): string => {
	let text: string;
	try {
		text = String(error);
	} catch {
		text = thrownText(error); // No text (`Object.create(null)`, a `toString` that throws): its message, else its type.
	}

	return shownText(text, context);
};

/**
 * A text of `lastError` as the outbox stores and shows it (`bounded`), without a URL's password (`hideUserinfo`) or the
 * values of the client's `sensitiveParams`: an error's message as it is recorded, and a stored record's as it is read back
 * (distrust of storage: one planted, or written by a build that did not leave them out, is never shown or sent on so).
 */
export const shownText = (text: string, context: PolicyContext): string => bounded(redactText(hideUserinfo(text), sensitiveOf(context).params));

/**
 * A failed attempt as its entry records it (`lastError`): `failure`'s code, the answer's status line (else the error), as
 * `messageOf` shows it (a server's status text may name a URL: its password and sensitive query values left out).
 */
export const lastErrorOf = ({ code }: Classification, response: Response | undefined, error: unknown, context: PolicyContext): NonNullable<OutboxRecord['lastError']> => {
	const status = response?.status;
	return { code: bounded(code), message: messageOf(response ? `${status} ${response.statusText}`.trim() : error, context), ...status && { status } };
};

/** The full-jitter backoff after `attempts` attempts: `jitter × min(maxBackoffMs, baseBackoffMs × 2^(attempts − 1))`, `jitter` in [0, 1). */
export const backoff = ({ baseBackoffMs, maxBackoffMs }: Pick<Rules, 'baseBackoffMs' | 'maxBackoffMs'>, attempts: number, jitter: number): number =>
	Math.floor(jitter * Math.min(maxBackoffMs, baseBackoffMs * 2 ** Math.min(30, Math.max(0, attempts - 1))));

/**
 * When a failed write goes next: at the server's `Retry-After` on a 429 or a 503 (pinned), else after the error's
 * `retryAfterMs` (the breaker's), else after the backoff of its `attempts` — at most
 * `maxNetworkBackoffMs` when the attempt ended by a network failure or a timeout (`classify()`'s
 * `NETWORK` or `TIMEOUT`; a steadfetch service worker's answer saying so, `classifyAnswer`): the user's wait for the API's return. A wait from outside never outlives
 * the entry's retention (and one that is no number waits as long as retention allows).
 */
export const scheduleOf = (response: Response | undefined, error: unknown, { attempts, createdAt, retainFrom }: Standing, rules: Rules, now: number, random: () => number): Schedule => {
	// Read on a 429 or a 503 only, as ky, the breaker and the rate limiter read it (RFC 9110 §10.2.3, RFC 6585).
	const retryAfter = [429, 503].includes(response?.status as number) ? parseRetryAfter(response!.headers.get('retry-after'), now) : undefined;
	const drawn = retryAfter ?? (error as { retryAfterMs?: number } | undefined)?.retryAfterMs ?? backoff(rules, attempts, random());
	const code = (response ? classifyAnswer(response) : classify(error))?.code;
	const unanswered = code === 'NETWORK' || code === 'TIMEOUT';
	const wait = unanswered ? Math.min(drawn, rules.maxNetworkBackoffMs) : drawn;
	return {
		at: Math.min(now + (Number.isFinite(wait) ? Math.max(0, wait) : rules.retentionMs), Math.max(now, (retainFrom ?? createdAt) + rules.retentionMs)),
		pinned: retryAfter !== undefined,
	};
};

/**
 * A steadfetch service worker's `202` for a write its outbox queued (`Steadfetch-Outbox-Entry`), or another steadfetch
 * outbox's with `queuedResponse: 'accepted'`: the origin was not reached (that outbox holds the write, under the same
 * Idempotency-Key: steadfetch/sw), so no delivery — a transient failure, the entry kept and tried again after its backoff,
 * no attempt of its count (the outbox that holds it counts its own attempts: with one store, of the same entry).
 */
const queuedThere: Classification = { code: 'QUEUED', transient: true, status: 202 };

/** The failure of a write's attempt (a replay's, or the first one of a write told "queued"), as `outcomeOf` reads it: `queuedThere`, else `classifyAnswer`'s or `classify()`'s. */
export const failureOf = (response: Response | undefined, error: unknown): Classification | undefined =>
	response?.status === 202 && response.headers.has('steadfetch-outbox-entry') ? queuedThere : response ? classifyAnswer(response) : classify(error);

/**
 * The decision table of a replay, from its response (or its error) and its entry before the attempt:
 * `classify()`'s answer, with these deliberate differences for a write already queued — 412, or 409
 * for an entry with a precondition, is a conflict; another 409, and a 425, stay retriable (an
 * idempotency key may still be in progress); 401 and 403 pause the scope until the next trigger (a
 * new token may come), and so does an error with no response that is neither transient nor bad input
 * (the caller's abort, a failed refresh); a refusal the client made itself without I/O (open breaker,
 * rate limit), or an error before the attempt went out (`unsent`: a `beforeRequest` hook's), is no
 * attempt. A retriable failure becomes a dead letter (`max-attempts`) once its attempts, this one
 * counted, reach `maxAttempts`; any other failure at once (`rejected`). A service worker's `202` for a write it queued
 * is no delivery (`queuedThere`). Pure:
 * `random` is drawn only for a retry's backoff.
 */
export const outcomeOf = (response: Response | undefined, error: unknown, entry: Standing, rules: Rules, now: number, random: () => number, unsent?: boolean): Outcome => {
	const status = response?.status;
	const failure = failureOf(response, error);
	if (!failure) {
		return { kind: 'sent' };
	}

	const counts = !unsent && !isSteadfetchError(error) && failure !== queuedThere;
	const attempts = entry.attempts + (counts ? 1 : 0);
	const retriable = failure.transient || status === 409 || status === 425;
	return {
		failure, counts,
		...status === 412 || (status === 409 && entry.preconditions) ? { kind: 'conflict' }
			: status === 401 || status === 403 || (!response && !failure.transient && failure.code !== 'INVALID_REQUEST') ? { kind: 'pause' }
				: !retriable ? { kind: 'dead', reason: 'rejected' }
					: attempts >= rules.maxAttempts ? { kind: 'dead', reason: 'max-attempts' }
						: { kind: 'retry', ...scheduleOf(response, error, { ...entry, attempts }, rules, now, random) },
	} as Outcome;
};
