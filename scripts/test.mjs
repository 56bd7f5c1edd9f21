// `npm test`: type check, build, then the suites in Node 24, Chromium, workerd (one vitest run
// with three projects) and Deno (deno test on the built ESM). Stops at the first failing step.
import { spawnSync } from 'node:child_process';

const steps = [
	['type check', 'npm', ['run', '--silent', 'typecheck']],
	['build', 'npm', ['run', '--silent', 'build']],
	['size budget', 'node', ['scripts/size.mjs', '--check']],
	['Node 24 + Chromium + workerd', 'npx', ['vitest', 'run']],
	['Deno', 'node', ['scripts/deno-test.mjs']],
];

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
	console.error(`npm test needs Node >= 22 (this is ${process.version}); .ci/run shows how to get Node 24 from npm.`);
	process.exit(1);
}

for (const [name, command, args] of steps) {
	const started = performance.now();
	console.log(`\n▶ ${name}`);
	const result = spawnSync(command, args, { stdio: 'inherit' });
	const seconds = ((performance.now() - started) / 1000).toFixed(1);
	if (result.status !== 0) {
		console.error(`✗ ${name} failed (${seconds} s)`);
		process.exit(result.status ?? 1);
	}

	console.log(`✓ ${name} (${seconds} s)`);
}
