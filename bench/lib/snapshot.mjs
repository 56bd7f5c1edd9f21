// Copy dist/ to node_modules/.cache/steadfetch-bench/dist (inside the repository, so the copy's
// `ky` and `idb-keyval` imports still resolve) and return the path of its index.js.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const snapshotDist = () => {
	const dist = fileURLToPath(new URL('../../dist', import.meta.url));
	const target = fileURLToPath(new URL('../../node_modules/.cache/steadfetch-bench/dist', import.meta.url));
	if (!existsSync(`${dist}/index.js`)) {
		throw new Error('dist/index.js is missing: run `npm run build` first (`npm run bench` does)');
	}

	rmSync(target, { recursive: true, force: true });
	mkdirSync(target, { recursive: true });
	cpSync(dist, target, { recursive: true });
	return `${target}/index.js`;
};
