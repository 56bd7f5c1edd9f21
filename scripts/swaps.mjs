// What each runtime's build swaps (API.md "Builds per runtime"), for tsup.config.ts (the builds) and
// scripts/size.mjs (the same programs bundled from src/), so that the two cannot disagree. A module
// `src/<folder>/<name>.ts` with a sibling `<name>-browser.ts` is replaced by it in the `browser` build, one
// with `<name>-edge.ts` in the `edge` build (`workerd`, `deno`, `edge-light`): the stand-in's file is the
// whole declaration (ARCHITECTURE.md lists them). Besides, both builds take `utils/copy-native.ts` for
// `utils/copy.ts`: there `structuredClone` is the engine's own and cheap (the direct copy of plain data is
// for Node, whose `structuredClone` costs microseconds per value).
import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

/** Whether a stand-in file exists, asked once per file of a build. */
const exists = new Map();

/**
 * The file that stands in, in `variant`'s build (`'browser'` or `'edge'`), for the relative import `path`
 * made from `resolveDir`, when that import is a module of `src` (an absolute path) with a stand-in; else
 * `undefined` (resolved as usual). For an esbuild plugin's `onResolve`.
 */
export const standIn = (src, variant, resolveDir, path) => {
	if (!path.startsWith('.') || !path.endsWith('.js')) {
		return undefined;
	}

	const file = resolve(resolveDir, path);
	if (!file.startsWith(src + sep)) {
		return undefined;
	}

	if (file === join(src, 'utils', 'copy.js')) {
		return join(src, 'utils', 'copy-native.ts');
	}

	const swapped = file.replace(/\.js$/, `-${variant}.ts`);
	if (!exists.has(swapped)) {
		exists.set(swapped, existsSync(swapped));
	}

	return exists.get(swapped) ? swapped : undefined;
};
