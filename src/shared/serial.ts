/** Run tasks one after another, in the order given: each starts once the previous one settled. */
export type Serial = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * A serial queue: `run(task)` starts `task` after every task given before it has settled (a
 * failure does not stop the queue), and resolves or rejects as `task` does.
 */
export const serial = (): Serial => {
	let tail: Promise<unknown> = Promise.resolve();
	return <T>(task: () => Promise<T>): Promise<T> => {
		const run = tail.then(task);
		tail = run.catch(() => undefined);
		return run;
	};
};
