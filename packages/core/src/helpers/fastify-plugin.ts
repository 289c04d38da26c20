import type { IncomingMessage, ServerResponse } from "node:http";
import { rawBody, serveNodeRequest } from "./node-handler.js";

// Fastify is not a dependency of core: these are the few parts of its API the plugin uses, typed
// structurally so that a real Fastify instance fits (checked against Fastify 5 by examples/fastify).

/** The request parts the plugin reads: the Node request, and the body its parser left (a Buffer). */
export interface FastifyRequestLike {
  raw: IncomingMessage;
  body?: unknown;
}

/** The reply parts the plugin uses: it takes the Node response over (`hijack()`) and answers on it. */
export interface FastifyReplyLike {
  raw: ServerResponse;
  hijack(): unknown;
}

/** The instance methods the plugin calls, on its own encapsulated scope. */
export interface FastifyInstanceLike {
  removeAllContentTypeParsers(): unknown;
  addContentTypeParser(
    contentType: string,
    options: { parseAs: "buffer" },
    parser: (request: unknown, body: Buffer) => Promise<Buffer>,
  ): unknown;
  route(options: {
    method: string[];
    url: string;
    bodyLimit?: number;
    handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<void>;
  }): unknown;
}

/** Options of {@link toFastifyPlugin}. */
export interface FastifyPluginOptions {
  /** Largest body accepted, in bytes (Fastify answers 413 above it). Default: the instance's (Fastify's default is 1 MiB). */
  bodyLimit?: number;
}

/**
 * A Fastify plugin that serves a Web `Request → Response` handler (`jobs.handler()`) at its prefix:
 * `app.register(toFastifyPlugin(jobs.handler()), { prefix: "/api/jobs" })`.
 *
 * Fastify parses JSON bodies before a route runs, and a signature covers the exact bytes the platform
 * sent: inside its own scope (Fastify encapsulates what a plugin registers, so the rest of the app
 * keeps its parsers), the plugin replaces every content-type parser with one that keeps the body as a
 * Buffer. It answers GET, POST and PUT (Inngest syncs with PUT and inspects with GET; QStash POSTs),
 * at the prefix and at every path under it (`@switchyard/dashboard` mounts the same way).
 */
export function toFastifyPlugin(
  handler: (request: Request) => Promise<Response>,
  options: FastifyPluginOptions = {},
): (instance: FastifyInstanceLike) => Promise<void> {
  return async (instance) => {
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser("*", { parseAs: "buffer" }, async (_request, body) => body);
    // The prefix itself and every path under it: a handler with pages of its own (the dashboard's
    // assets and API) answers them all.
    for (const url of ["/", "/*"]) {
      instance.route({
        method: ["GET", "POST", "PUT"],
        url,
        ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
        handler: async (request, reply) => {
          reply.hijack();
          const parsed = request.body;
          await serveNodeRequest(handler, request.raw, reply.raw, () =>
            // No parser ran when the request had no body (GET, or an empty POST): read the stream.
            parsed instanceof Uint8Array ? Promise.resolve(Buffer.from(parsed)) : rawBody(request.raw),
          );
        },
      });
    }
  };
}
