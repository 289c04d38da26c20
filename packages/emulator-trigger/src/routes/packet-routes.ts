import { CreateUploadPayloadUrlResponseBody } from "@trigger.dev/core/v3";
import type { EmulatorState } from "../emulator-state.js";
import { HttpError, type Route } from "../http/route.js";

/**
 * Object storage for packets of 128 KiB or more: the SDK asks for a presigned URL, uploads to
 * it, and references the path as `application/store`; workers download the same way
 * (C:apiClient/index.js createUploadPayloadUrl/getPayloadUrl/getRunPacketUrl;
 * C:utils/ioSerialization.js). The "presigned" URLs point back at the emulator.
 */
export function packetRoutes(state: EmulatorState): Route[] {
  const presigned = (path: string) => `${state.baseUrl()}/packets-data/${encodeURIComponent(path)}`;
  return [
    {
      method: "PUT",
      path: "/api/v2/packets/:path",
      responseSchema: CreateUploadPayloadUrlResponseBody,
      handle: (request) => {
        const path = request.params.path ?? "";
        return { body: { presignedUrl: presigned(path), storagePath: path } };
      },
    },
    {
      method: "GET",
      path: "/api/v1/packets/:path",
      responseSchema: CreateUploadPayloadUrlResponseBody,
      handle: (request) => ({ body: { presignedUrl: presigned(request.params.path ?? "") } }),
    },
    {
      method: "GET",
      path: "/api/v1/runs/:runId/packets/:field",
      responseSchema: CreateUploadPayloadUrlResponseBody,
      handle(request) {
        const run = state.store.get(request.params.runId ?? "");
        const packet = request.params.field === "output" ? run?.outputPacket : run?.payloadPacket;
        if (packet?.dataType !== "application/store" || !packet.data)
          throw new HttpError(404, "No stored packet");
        return { body: { presignedUrl: presigned(packet.data) } };
      },
    },
    {
      method: "PUT",
      path: "/packets-data/:path",
      auth: false,
      handle(request) {
        const dataType = request.headers["content-type"] ?? "application/json";
        state.packets.put(request.params.path ?? "", { data: request.text, dataType });
        return { status: 200 };
      },
    },
    {
      method: "GET",
      path: "/packets-data/:path",
      auth: false,
      handle(request) {
        const packet = state.packets.get(request.params.path ?? "");
        if (!packet) throw new HttpError(404, "No such packet");
        return { body: packet.data ?? "", rawContentType: packet.dataType };
      },
    },
  ];
}
