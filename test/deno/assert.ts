// The Deno suites' one assertion (no std library import: the suites run offline against dist/edge/).

/** Throw `message` unless `value` holds. */
export const assert = (value: unknown, message: string): void => {
	if (!value) {
		throw new Error(message);
	}
};
