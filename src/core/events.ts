import type { EmittedEvent, EventMap, EventType } from './event-types.js';

type Listener = (event: never) => void;

/**
 * A tiny typed emitter. Listeners that throw are isolated: one bad listener never breaks a request
 * or the other listeners (the error is rethrown asynchronously so it still reaches the console).
 * Listeners of `'*'` receive every event. A type that is not a string or a listener that is not a
 * function is a `TypeError` at `on()`.
 */
export class Emitter {
	readonly #listeners = new Map<EventType | '*', Set<Listener>>();

	on<T extends EventType>(type: T | '*', listener: (event: EmittedEvent<T>) => void): () => void {
		// Found at once: a listener that is not a function would otherwise throw, asynchronously, at every event.
		if (typeof type !== 'string' || typeof listener !== 'function') {
			throw new TypeError(`\`on(type, listener)\` takes an event type and a function; got ${typeof type} and ${typeof listener}`);
		}

		let set = this.#listeners.get(type);
		if (!set) {
			set = new Set();
			this.#listeners.set(type, set);
		}

		set.add(listener as Listener);
		return () => {
			set.delete(listener as Listener);
		};
	}

	/** Whether anybody listens; lets callers skip building an event object. */
	has(type: EventType): boolean {
		return (this.#listeners.get(type)?.size ?? 0) + (this.#listeners.get('*')?.size ?? 0) > 0;
	}

	/**
	 * Call the listeners there were when the event happened, as EventTarget does: one added by a listener
	 * waits for the next event (a listener that re-arms itself is never called in a loop), one removed
	 * before its turn is not called.
	 */
	emit<T extends EventType>(type: T, event: EventMap[T]): void {
		for (const [set, listeners] of [this.#listeners.get(type), this.#listeners.get('*')].map((set) => [set, [...set ?? []]] as const)) {
			for (const listener of listeners) {
				try {
					if (set!.has(listener)) {
						(listener as (event: EventMap[T]) => void)(event);
					}
				} catch (error) {
					queueMicrotask(() => {
						throw error;
					});
				}
			}
		}
	}

	clear(): void {
		this.#listeners.clear();
	}
}
