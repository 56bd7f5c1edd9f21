// Ported from ky's test/helpers/create-large-file.ts (https://github.com/sindresorhus/ky, commit 3419113),
// MIT licence: Copyright (c) Sindre Sorhus. See ../LICENSE.

// Helper function to create a large Blob
export function createLargeBlob(sizeInMB: number): Blob {
	const chunkSize = 1024 * 1024; // 1MB
	const chunks = Array.from({ length: sizeInMB }, () => 'x'.repeat(chunkSize));
	return new Blob(chunks, { type: 'application/octet-stream' });
}
