import { parsePacket } from "@trigger.dev/core/v3";

/** A serialised value as the SDK moves it around (`stringifyIO` output). */
export interface Packet {
  data?: string;
  dataType: string;
}

/**
 * In-memory object storage for offloaded payloads and outputs. Packets of 128 KiB or more are
 * uploaded by the SDK to a presigned URL and referenced as `application/store`
 * (C:utils/ioSerialization.js conditionallyExportPacket/importPacket; C:limits.js).
 */
export class PacketStore {
  readonly #packets = new Map<string, Packet>();

  put(path: string, packet: Packet): void {
    this.#packets.set(path, packet);
  }

  get(path: string): Packet | undefined {
    return this.#packets.get(path);
  }

  /** Resolves an `application/store` reference to the stored packet; other packets pass through. */
  resolve(packet: Packet): Packet {
    if (packet.dataType !== "application/store" || !packet.data) return packet;
    const stored = this.#packets.get(packet.data);
    if (!stored) throw new Error(`No stored packet at ${packet.data}`);
    return stored;
  }

  /** The value a packet holds, after resolving a store reference. */
  async decode(packet: Packet): Promise<unknown> {
    return parsePacket(this.resolve(packet));
  }
}
