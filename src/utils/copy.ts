/** Thrown inside `copyPlain` when a value is not plain data: the whole value is structured-cloned instead. */
const notPlain = Symbol('not plain');

/** Deeper than this, the structured clone takes over (it also handles cycles). */
const maxDepth = 32;

const copy = (value: unknown, depth: number): unknown => {
	if (typeof value !== 'object' || value === null) {
		if (typeof value === 'function' || typeof value === 'symbol') {
			throw notPlain; // structuredClone throws its DataCloneError for these
		}

		return value;
	}

	if (depth > maxDepth) {
		throw notPlain;
	}

	const prototype = Object.getPrototypeOf(value) as unknown;
	if (prototype === Array.prototype) {
		const array = value as unknown[];
		const out = new Array<unknown>(array.length);
		for (let index = 0; index < array.length; index++) {
			if (!(index in array)) {
				throw notPlain; // a hole: the structured clone keeps it
			}

			out[index] = copy(array[index], depth + 1);
		}

		return out;
	}

	if (prototype === Object.prototype) {
		const out: Record<string, unknown> = {};
		for (const key of Object.keys(value)) {
			out[key] = copy((value as Record<string, unknown>)[key], depth + 1);
		}

		return out;
	}

	if (prototype === ArrayBuffer.prototype && !(value as { resizable?: boolean }).resizable) {
		return (value as ArrayBuffer).slice(0);
	}

	if (prototype === Uint8Array.prototype) {
		const bytes = value as Uint8Array;
		if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
			return bytes.slice();
		}
	}

	throw notPlain;
};

/**
 * A deep copy, as `structuredClone` would make it, taken directly for plain data (objects, arrays,
 * strings, numbers, booleans, null, ArrayBuffers, whole Uint8Arrays) — what the policies store —
 * and by `structuredClone` for anything else (Dates, Maps, class instances, cycles, sparse arrays,
 * views over part of a buffer), so it throws the same `DataCloneError` for a function. One
 * difference: an object referenced twice in plain data is copied twice (the structured clone keeps
 * one copy); either way, mutating the original later never changes the copy.
 * Node's `structuredClone` costs microseconds per call even for a small record: a store that copies
 * on every read and write should not pay that on the request path.
 */
export const copyPlain = <T>(value: T): T => {
	try {
		return copy(value, 0) as T;
	} catch (error) {
		if (error === notPlain) {
			return structuredClone(value);
		}

		throw error;
	}
};
