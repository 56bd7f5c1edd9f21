// What the Deno suites share (no std library import: they run offline against dist/edge/).

/** Throw `message` unless `value` holds. */
export const assert = (value: unknown, message: string): void => {
	if (!value) {
		throw new Error(message);
	}
};

/**
 * Note the name of every BroadcastChannel opened from now on (Deno has them; the edge build must open
 * none), until `restore()`.
 */
export const watchChannels = (): { readonly opened: string[]; restore(): void } => {
	const opened: string[] = [];
	const Real = globalThis.BroadcastChannel;
	globalThis.BroadcastChannel = class extends Real {
		constructor(name: string) {
			super(name);
			opened.push(name);
		}
	};
	return {
		opened,
		restore() {
			globalThis.BroadcastChannel = Real;
		},
	};
};
