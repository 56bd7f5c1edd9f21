/**
 * What a test sees of the other "tabs" of a client name (clients of one name made apart, in Node or in a
 * page): the notes posted on the name's world channel and the drains waiting for its outbox's lock.
 */

/** Resolves once a note (a clear, a removal) is posted on the name's world channel: the other clients of the name heard it too. */
export const noteHeard = async (name: string): Promise<void> => new Promise<void>((resolve) => {
	const channel = new BroadcastChannel(`steadfetch:${name}:world`);
	channel.onmessage = ({ data }: MessageEvent) => {
		if ((data as { note?: string }).note) {
			channel.close();
			resolve();
		}
	};
});

/** How many requests for the outbox's lock of `name` wait (Web Locks' own list). */
export const waitingForLock = async (name: string): Promise<number> => (await navigator.locks.query()).pending?.filter((each) => each.name === `steadfetch:${name}/outbox`).length ?? 0;
