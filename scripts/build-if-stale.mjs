// `npm run demo` and `npm run playground` run on the built dist/. This builds it, quietly, only when
// it is missing or older than what it is built from (src/, package.json, tsup.config.ts, scripts/swaps.mjs): a fresh
// dist/ costs nothing, and a build prints nothing unless it fails (then its whole output, exit 1).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const mtime = (path) => {
	try {
		return statSync(path).mtimeMs;
	} catch {
		return Number.NaN; // missing
	}
};

const newest = (dir) => Math.max(...readdirSync(dir, { recursive: true }).map((file) => mtime(join(dir, file))));
const sources = Math.max(newest('src'), mtime('package.json'), mtime('tsup.config.ts'), mtime('scripts/swaps.mjs'));
// Each of the three builds (Node/CJS, browser, edge) and the types: the oldest decides.
const built = Math.min(...['dist/index.js', 'dist/index.d.ts', 'dist/browser/index.js', 'dist/edge/index.js'].map(mtime));

if (!(built >= sources)) {
	const build = spawnSync('npm', ['run', '--silent', 'build'], { encoding: 'utf8' });
	if (build.status !== 0) {
		// tsup 9, the build, declares Node 22.18+: on Node 22.0 to 22.11 it fails with ERR_REQUIRE_ESM.
		const [major, minor] = process.versions.node.split('.').map(Number);
		const old = major < 22 || (major === 22 && minor < 18) ? ` (the build needs Node >= 22.18; this is ${process.version})` : '';
		process.stderr.write(`${build.stdout}${build.stderr}\nnpm run build failed${old}\n`);
		process.exit(1);
	}
}
