import type { WaitUntil } from '../core/options.js';
import { wallNow } from '../utils/clock.js';
import { requestScoped } from '../utils/runtime.js';
import type { Queue } from './queue.js';

// What the outbox does where I/O is bound to the request that started it (Cloudflare Workers,
// `requestScoped`): no timer or listener outlives a request, a request may neither await nor abort
// another's I/O, and a drain whose request ended is taken over by the next one, which knows it by its
// stopped heartbeat. Elsewhere none of it happens. The `browser` build swaps this module for
// request-bound-browser.ts (a browser serves no request: nothing there ends with one).

/**
 * In Workers, a drain's request beats every second while it lives (its timers end with it): a drain
 * silent this long (ms) died with its request, and the next drain takes over.
 */
const staleMs = 5_000;

/**
 * Whether work started now that no `waitUntil` keeps alive (none given: a timer, an event's
 * listener) would end with its request, or may not start outside one: in Workers without a
 * `waitUntil`. The outbox then leaves it to the next call, in that call's own request.
 */
export const diesWithRequest = (waitUntil?: WaitUntil): boolean => !waitUntil && requestScoped();

/**
 * Whether the drain under way may be another request's, which this one may neither await nor abort
 * (Workers: an isolate's client serves many requests, and each request's I/O is its own).
 */
export const drainOfAnotherRequest = (): boolean => requestScoped();

/**
 * A drain's heartbeat (Workers): `beat` is told the time (`wallNow()`) at once and every second
 * while the drain's request lives; stopped by `clearInterval`. `undefined` elsewhere, where no
 * request ends a drain.
 */
export const heartbeat = (beat: (now: number) => void): ReturnType<typeof setInterval> | undefined => {
	if (!requestScoped()) {
		return undefined;
	}

	beat(wallNow());
	return setInterval(() => beat(wallNow()), 1000);
};

/**
 * Whether the drain under way, whose heartbeat last beat at `beat`, died with its request (Workers:
 * silent for `staleMs`): if so it is taken over, its claims dropped (`Queue.takeOver`), and the
 * caller starts a drain in its place.
 */
export const tookOver = (queue: Queue, beat: number): boolean => {
	const ended = requestScoped() && wallNow() - beat > staleMs;
	if (ended) {
		queue.takeOver();
	}

	return ended;
};
