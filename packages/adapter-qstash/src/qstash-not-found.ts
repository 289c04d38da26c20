/**
 * True for the SDK's QstashError of a lookup by id that found nothing: 404, or 400 for an id QStash
 * cannot even parse. `GET /v2/messages/{id}` answers 404 once a message is finished ("only retrievable
 * while in flight", upstash/docs qstash/openapi.yaml), and so does cancelling it.
 */
export function isNotFound(error: unknown): boolean {
  const status = (error as { status?: unknown } | undefined)?.status;
  return status === 404 || status === 400;
}
