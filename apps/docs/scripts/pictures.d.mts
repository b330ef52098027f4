/** Types of pictures.mjs (the site's pictures of real outputs). */
/** sha256 of the reference model's graphs, as `public/img/outputs/pictures.json` records them. */
export declare function modelDigest(): Promise<{ name: string; files: Record<string, string> }>;
