import { defineConfig } from 'tsup';

export default defineConfig({
	entry: ['src/index.ts'],
	format: ['esm', 'cjs'],
	dts: true,
	target: 'es2022',
	platform: 'neutral',
	sourcemap: true,
	clean: true,
	treeshake: true,
	// ky and idb-keyval stay dependencies: users' bundlers dedupe them.
	external: ['ky', 'idb-keyval'],
});
