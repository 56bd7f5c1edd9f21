// Run the Deno suites (test/deno) against the built ESM in real Deno: the binary of the `deno`
// devDependency (node_modules/.bin/deno, installed by `npm install`), else a `deno` on PATH.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

if (!existsSync('dist/edge/index.js')) {
	console.error('dist/edge/index.js is missing: run `npm run build` first.');
	process.exit(1);
}

const local = join(import.meta.dirname, '..', 'node_modules', '.bin', process.platform === 'win32' ? 'deno.cmd' : 'deno');
const deno = existsSync(local) ? local : 'deno';

// --no-check: Deno would type-check src/ through the spec's type imports with its own settings;
// the type check is `npm run typecheck` (tsc), run before this in `npm test`.
const extra = process.argv.slice(2); // E.g. --junit-path=test-results/deno.xml
// --unstable-kv and --allow-run: steadfetch/deno's tests open Deno KV files (under test-results/)
// and start a second Deno process on the same file.
mkdirSync('test-results', { recursive: true });
const result = spawnSync(deno, ['test', '--no-check', '--sloppy-imports', '--unstable-kv', '--allow-run', '--allow-net=127.0.0.1', '--allow-read', '--allow-write=test-results', '--allow-env', ...extra, 'test/deno/'], {
	stdio: 'inherit',
	env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
});
if (result.error) {
	console.error(`could not start Deno (${deno}): ${result.error.message}. Run \`npm install\`: Deno is a devDependency (the npm \`deno\` package ships the binary).`);
}

process.exit(result.status ?? 1);
