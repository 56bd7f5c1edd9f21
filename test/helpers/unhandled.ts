/** Run `body` and give back what was rejected unhandled meanwhile (reported after the microtasks of its turn: given one). Node only. */
export const unhandledDuring = async (body: () => Promise<void>): Promise<unknown[]> => {
	const unhandled: unknown[] = [];
	const note = (reason: unknown): void => void unhandled.push((reason as Error)?.message ?? reason);
	process.on('unhandledRejection', note);
	try {
		await body();
		await new Promise((resolve) => setTimeout(resolve, 0));
		return unhandled;
	} finally {
		process.off('unhandledRejection', note);
	}
};
