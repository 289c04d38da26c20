// The check of Vercel's cron request: with CRON_SECRET set in the project, Vercel sends it as
// `Authorization: Bearer <CRON_SECRET>` (vercel.com/docs/cron-jobs/manage-cron-jobs, "Securing cron jobs").

const encoder = new TextEncoder();

/**
 * True when the request carries `Authorization: Bearer <secret>`. Both sides are hashed (SHA-256, Web
 * Crypto, so it runs on Node and edge runtimes alike) and the digests compared in constant time: the
 * time taken says nothing about how much of the secret matched, nor its length.
 */
export async function hasCronSecret(request: Request, secret: string): Promise<boolean> {
  const header = request.headers.get("authorization") ?? "";
  const [given, expected] = await Promise.all([digest(header), digest(`Bearer ${secret}`)]);
  let difference = 0;
  for (let index = 0; index < expected.length; index++) difference |= given[index]! ^ expected[index]!;
  return difference === 0;
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}
