// Run the Deno suites (test/deno) against the built ESM in real Deno (the npm `deno` package).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('dist/index.js')) {
	console.error('dist/index.js is missing: run `npm run build` first.');
	process.exit(1);
}

// --no-check: Deno would type-check src/ through the spec's type imports with its own settings;
// the type check is `npm run typecheck` (tsc), run before this in `npm test`.
const extra = process.argv.slice(2); // E.g. --junit-path=test-results/deno.xml
const result = spawnSync('deno', ['test', '--no-check', '--sloppy-imports', '--allow-net=127.0.0.1', '--allow-read', '--allow-write=test-results', '--allow-env', ...extra, 'test/deno/'], {
	stdio: 'inherit',
	env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
});
process.exit(result.status ?? 1);
