/**
 * A setup file of the workerd project: an exception thrown from a timer or an event listener fails
 * the test during which it was thrown. workerd only logs such an exception ("uncaught exception")
 * and the run would pass; vitest already fails a run on an unhandled rejection, in every runtime.
 *
 * Timers' callbacks and event listeners are wrapped where they are registered: the exception is
 * recorded, then rethrown, so workerd still logs it as before. The test that was running fails in
 * its `afterEach`; one thrown after the file's last test fails its `afterAll`.
 */
import { afterAll, afterEach } from 'vitest';

const thrown: unknown[] = [];

const guarded = <A extends unknown[]>(callback: (...args: A) => unknown) => function (this: unknown, ...args: A): unknown {
	try {
		return callback.apply(this, args);
	} catch (error) {
		thrown.push(error);
		throw error;
	}
};

const { setTimeout, setInterval } = globalThis;
globalThis.setTimeout = ((callback: unknown, ...rest: unknown[]) =>
	setTimeout(typeof callback === 'function' ? guarded(callback as () => unknown) : callback as never, ...rest as [number])) as typeof globalThis.setTimeout;
globalThis.setInterval = ((callback: unknown, ...rest: unknown[]) =>
	setInterval(typeof callback === 'function' ? guarded(callback as () => unknown) : callback as never, ...rest as [number])) as typeof globalThis.setInterval;

const queue = globalThis.queueMicrotask;
globalThis.queueMicrotask = (callback) => queue(guarded(callback));

// Listeners: the wrapped function stands for the listener, so removeEventListener still finds it.
const wrapped = new WeakMap<object, EventListener>();
const { addEventListener, removeEventListener } = EventTarget.prototype;
EventTarget.prototype.addEventListener = function (type, listener, options) {
	if (typeof listener !== 'function') {
		return addEventListener.call(this, type, listener, options);
	}

	let guard = wrapped.get(listener);
	if (!guard) {
		guard = guarded(listener) as EventListener;
		wrapped.set(listener, guard);
	}

	return addEventListener.call(this, type, guard, options);
};
EventTarget.prototype.removeEventListener = function (type, listener, options) {
	return removeEventListener.call(this, type, (typeof listener === 'function' && wrapped.get(listener)) || listener, options);
};

const check = (when: string): void => {
	const errors = thrown.splice(0);
	if (errors.length > 0) {
		throw new AggregateError(errors, `${errors.length} uncaught exception(s) ${when} (from a timer or an event listener): ${errors.map((error) => String(error)).join('; ')}`);
	}
};

afterEach(() => check('during this test'));
afterAll(() => check('after the last test of this file'));
