/**
 * A gate a test shuts with `hold()` and opens with `release()`: `held()` gives, while it is shut, the
 * promise to wait at (counting one more waiting: `holding()` is then true), and `undefined` while it is
 * open, so a caller that finds it open goes on in the same turn.
 */
export const holdGate = () => {
	let gate: Promise<void> | undefined;
	let open = (): void => {};
	let waiting = 0;
	return {
		held(): Promise<void> | undefined {
			if (gate) {
				waiting++;
			}

			return gate;
		},
		holding: () => waiting > 0,
		hold() {
			gate = new Promise((resolve) => {
				open = resolve;
			});
		},
		release() {
			gate = undefined;
			open();
		},
	};
};
