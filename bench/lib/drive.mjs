// Run `total` calls with `concurrency` workers pulling from one counter.

/** Elapsed ms for all calls; `call(index)` must resolve when the call is fully done (body read). */
export const drive = async (total, concurrency, call) => {
	let next = 0;
	const worker = async () => {
		while (next < total) {
			await call(next++);
		}
	};

	const started = performance.now();
	await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
	return performance.now() - started;
};

/** Like `drive`, but returns each call's own duration in ms (and how it ended: the call's value or 'error'). */
export const driveTimed = async (total, concurrency, call) => {
	const durations = new Array(total);
	const outcomes = new Array(total);
	await drive(total, concurrency, async (index) => {
		const started = performance.now();
		try {
			outcomes[index] = await call(index);
		} catch (error) {
			outcomes[index] = `error:${error?.name ?? 'Error'}`;
		}

		durations[index] = performance.now() - started;
	});
	return { durations, outcomes };
};

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
