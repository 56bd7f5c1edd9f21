import { existsSync } from 'node:fs';

/** Debian's Chromium launch flags that work on these machines (no sandbox as root, no network chatter). */
export const chromiumArgs = [
	'--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

const candidates = ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

const advice = 'Install it (Debian: `apt-get install -y --no-install-recommends chromium`) or set CHROMIUM_PATH to its binary.';

/**
 * The Chromium binary: `CHROMIUM_PATH`, else the usual paths (Debian's real binary first: the
 * /usr/bin/chromium wrapper's shell check is broken on these machines). Throws with install advice.
 */
export const findChromium = (): string => {
	const fromEnvironment = process.env['CHROMIUM_PATH'];
	if (fromEnvironment) {
		if (!existsSync(fromEnvironment)) {
			throw new Error(`CHROMIUM_PATH=${fromEnvironment} does not exist. ${advice}`);
		}

		return fromEnvironment;
	}

	const found = candidates.find((path) => existsSync(path));
	if (!found) {
		throw new Error(`Chromium not found. ${advice} The browser suites never skip silently.`);
	}

	return found;
};
