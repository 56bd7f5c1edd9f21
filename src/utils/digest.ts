/** SHA-256 of a string, as lower-case hex. */
export const sha256 = async (text: string): Promise<string> => {
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
};

/** The digest an identity is known by in storage (never the identity itself). */
export const identityDigest = async (name: string, identity: string): Promise<string> => sha256(`steadfetch identity\n${name}\n${identity}`);
