/** Marker in the `Cache-Status` header of responses served from the stale cache. */
export const cacheStatusPrefix = 'steadfetch; hit;';

/** True exactly for responses steadfetch served from its stale cache instead of the network. */
export const isStale = (response: Response): boolean =>
	response.headers.get('cache-status')?.startsWith(cacheStatusPrefix) === true;
