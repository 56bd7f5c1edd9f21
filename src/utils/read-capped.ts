/**
 * Read a body, giving up (and cancelling the read) as soon as it exceeds `max` bytes (`null`), or — with `ms` — once
 * `ms` passed before it ended (a body that stalls or never ends: `undefined`). The timer never keeps a Node or
 * Deno process alive.
 */
export const readCapped = async (response: Pick<Response, 'body'>, max: number, ms?: number): Promise<ArrayBuffer | null | undefined> => {
	if (!response.body) {
		return new ArrayBuffer(0);
	}

	const reader = response.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	let late = false;
	const timer = ms === undefined ? undefined : setTimeout(() => {
		late = true;
		void reader.cancel().catch(() => undefined); // Its pending read ends (done).
	}, ms);
	(timer as { unref?: () => void } | undefined)?.unref?.();
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (late) {
				return undefined;
			}

			if (done) {
				break;
			}

			size += value.byteLength;
			if (size > max) {
				void reader.cancel().catch(() => undefined);
				return null;
			}

			chunks.push(value);
		}
	} finally {
		clearTimeout(timer);
	}

	const bytes = new Uint8Array(size);
	let offset = 0;
	for (const chunk of chunks) {
		bytes.set(chunk, offset);
		offset += chunk.byteLength;
	}

	return bytes.buffer;
};
