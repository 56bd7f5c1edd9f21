// Debian's Chromium for Playwright (see /work/shared/TOOLCHAIN.md and test/helpers/chromium.ts).
import { existsSync } from 'node:fs';

export const chromiumArgs = [
	'--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

export const findChromium = () => {
	const candidates = [process.env.CHROMIUM_PATH, '/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
	const found = candidates.find((path) => path && existsSync(path));
	if (!found) {
		throw new Error('Chromium not found. Install it (Debian: `apt-get install -y --no-install-recommends chromium`) or set CHROMIUM_PATH.');
	}

	return found;
};
