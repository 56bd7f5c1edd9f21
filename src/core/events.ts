import type { EventMap, EventType } from './event-types.js';

type Listener<T extends EventType> = (event: EventMap[T]) => void;

/**
 * A tiny typed emitter. Listeners that throw are isolated: one bad listener never breaks a request
 * or the other listeners (the error is rethrown asynchronously so it still reaches the console).
 */
export class Emitter {
	readonly #listeners = new Map<EventType, Set<Listener<never>>>();

	on<T extends EventType>(type: T, listener: Listener<T>): () => void {
		let set = this.#listeners.get(type);
		if (!set) {
			set = new Set();
			this.#listeners.set(type, set);
		}

		set.add(listener as Listener<never>);
		return () => {
			set.delete(listener as Listener<never>);
		};
	}

	/** Whether anybody listens; lets callers skip building an event object. */
	has(type: EventType): boolean {
		return (this.#listeners.get(type)?.size ?? 0) > 0;
	}

	emit<T extends EventType>(type: T, event: EventMap[T]): void {
		const set = this.#listeners.get(type);
		if (!set) {
			return;
		}

		for (const listener of set) {
			try {
				(listener as Listener<T>)(event);
			} catch (error) {
				queueMicrotask(() => {
					throw error;
				});
			}
		}
	}

	clear(): void {
		this.#listeners.clear();
	}
}
