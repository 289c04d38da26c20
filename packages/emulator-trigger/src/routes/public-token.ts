/**
 * Sent as `x-trigger-jwt` after trigger and batch creation. Without that header the SDK signs
 * its own public access token with the secret key (C:apiClient/index.js triggerTask/createBatch),
 * which fails for some key formats; the emulator never checks these tokens.
 */
export function publicAccessToken(scope: string): string {
  const claims = Buffer.from(
    JSON.stringify({ scopes: [scope], iss: "switchyard-trigger-emulator" }),
  ).toString("base64url");
  return `emulator.${claims}.unsigned`;
}
