/** Read a body, giving up (and cancelling the read) as soon as it exceeds `max` bytes. */
export const readCapped = async (response: Pick<Response, 'body'>, max: number): Promise<ArrayBuffer | undefined> => {
	if (!response.body) {
		return new ArrayBuffer(0);
	}

	const reader = response.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) {
			break;
		}

		size += value.byteLength;
		if (size > max) {
			void reader.cancel().catch(() => undefined);
			return undefined;
		}

		chunks.push(value);
	}

	const bytes = new Uint8Array(size);
	let offset = 0;
	for (const chunk of chunks) {
		bytes.set(chunk, offset);
		offset += chunk.byteLength;
	}

	return bytes.buffer;
};
