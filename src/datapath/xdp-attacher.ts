/**
 * XdpAttacher keeps bpf/obj/xdp.o's `xdp_hep` on host interfaces that have doNotTrack (untracked)
 * ingress policy (bpf/include/untracked.h): one load per interface (its own .rodata: ifindex, the
 * VXLAN port from configuration) over the shared pinned maps, attached by an XDP link pinned at
 * `<pinDir>/xdp/<iface>` so it survives an agent restart like the tc links. A pin left for the
 * same ifindex is adopted and its program swapped with BPF_LINK_UPDATE, never detached first.
 * Every load also writes the continuation `xdp_pol_done` into sl_pol_jump_xdp at
 * SL_XDP_SLOT_DONE (it reads the interface from the packet, so one slot serves all) before the
 * link runs the new entry. Needs CAP_BPF + CAP_NET_ADMIN, kernel >= 5.9 (XDP links).
 */
import { readdirSync } from "node:fs";
import { loadCollectionAsync, type Collection, type ConstantValue } from "../bpf/collection.ts";
import type { CollectionSpec } from "../bpf/collection-spec.ts";
import { Link } from "../bpf/link/link.ts";
import { attachXdp, type XdpMode } from "../bpf/link/xdp.ts";
import { stableJson } from "../datastore/stable-json.ts";
import { makePinDir, pinExists, unpin } from "../kernel/bpffs.ts";
import { SL_XDP_SLOT_DONE } from "./abi/abi.ts";
import { SL_MAP } from "./abi/datapath-names.ts";
import type { DatapathMaps } from "./datapath-maps.ts";
import type { AttachOutcome } from "./iface-attacher.ts";

const ENTRY = "xdp_hep";
const DONE = "xdp_pol_done";

/** XdpAttacherOptions picks the XDP mode (default: the kernel's choice, native where the driver has it). */
export interface XdpAttacherOptions {
  readonly mode?: XdpMode;
}

interface AttachedXdp {
  readonly ifindex: number;
  readonly configKey: string;
  readonly link: Link;
}

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

/** xdpLinkPinPath names an XDP link pin; "." (VLAN names) becomes ":" as for the tc links. */
export function xdpLinkPinPath(pinDir: string, iface: string): string {
  return `${pinDir}/xdp/${iface.replaceAll(".", ":")}`;
}

function pinnedXdpIfaces(pinDir: string): string[] {
  const dir = `${pinDir}/xdp`;
  return (pinExists(dir) ? readdirSync(dir) : []).map((f) => f.replaceAll(":", "."));
}

/** XdpAttacher attaches, adopts, updates and detaches the doNotTrack XDP program per interface. */
export class XdpAttacher {
  readonly #spec: CollectionSpec;
  #maps: DatapathMaps;
  readonly #pinDir: string;
  readonly #mode: XdpMode;
  readonly #ifaces = new Map<string, AttachedXdp>();
  #mapsGeneration = 0;

  constructor(spec: CollectionSpec, maps: DatapathMaps, pinDir: string, options: XdpAttacherOptions = {}) {
    this.#spec = spec;
    this.#maps = maps;
    this.#pinDir = pinDir;
    this.#mode = options.mode ?? "auto";
    makePinDir(`${pinDir}/xdp`);
  }

  /** attached lists the interfaces running xdp_hep now. */
  get attached(): readonly string[] {
    return [...this.#ifaces.keys()];
  }

  /** setMaps switches to rebuilt maps: every interface is reloaded on its next attach(). */
  setMaps(maps: DatapathMaps): void {
    this.#maps = maps;
    this.#mapsGeneration++;
  }

  /** pinPath is where `iface`'s link is pinned. */
  pinPath(iface: string): string {
    return xdpLinkPinPath(this.#pinDir, iface);
  }

  /** prepare loads (verifies) xdp.o with `constants` over the shared maps; the caller closes it. */
  prepare(constants: Readonly<Record<string, ConstantValue>>): Promise<Collection> {
    return loadCollectionAsync(this.#spec, {
      programs: [ENTRY, DONE],
      // xdp.o declares a subset of tc.o's shared maps (no sl_pol_resume, say)
      replaceMaps: Object.fromEntries([...this.#maps.byName].filter(([name]) => this.#spec.maps.has(name))),
      constants,
    });
  }

  /**
   * attach makes `iface` run xdp_hep with `constants` (ifaceConstants: cfg_ifindex,
   * cfg_vxlan_port); a no-op when nothing changed. The link is made in the calling thread's
   * network namespace: a caller in another one prepares first and calls attachPrepared there.
   */
  async attach(
    iface: { readonly name: string; readonly index: number },
    constants: Readonly<Record<string, ConstantValue>>,
  ): Promise<AttachOutcome> {
    if (this.#unchanged(iface, constants)) return "unchanged";
    const collection = await this.prepare(constants);
    try {
      return this.attachPrepared(iface, constants, collection);
    } finally {
      collection.close(); // the link holds the entry, sl_pol_jump_xdp the continuation
    }
  }

  /** attachPrepared is attach() with the load done (prepare(), same constants); synchronous. */
  attachPrepared(
    iface: { readonly name: string; readonly index: number },
    constants: Readonly<Record<string, ConstantValue>>,
    collection: Collection,
  ): AttachOutcome {
    if (this.#unchanged(iface, constants)) return "unchanged";
    const have = this.#ifaces.get(iface.name);
    try {
      // The continuation first: a program the new entry tail-calls must find it.
      this.#maps
        .get(SL_MAP.pol_jump_xdp)
        .update(u32(SL_XDP_SLOT_DONE), u32(collection.programs.get(DONE)!.fd));
      const entry = collection.programs.get(ENTRY)!;
      const live = have?.ifindex === iface.index ? have.link : undefined;
      if (have && !live) this.#drop(iface.name);
      let link = live ?? this.#adopt(iface);
      let outcome: AttachOutcome = live ? "updated" : "adopted";
      if (link) link.update(entry);
      else {
        link = attachXdp(entry, iface.index, { mode: this.#mode });
        link.pin(this.pinPath(iface.name));
        outcome = "attached";
      }
      this.#ifaces.set(iface.name, { ifindex: iface.index, configKey: this.#configKey(constants), link });
      return outcome;
    } catch (e) {
      throw new Error(`attach xdp to ${iface.name}: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
    }
  }

  #configKey(constants: Readonly<Record<string, ConstantValue>>): string {
    return `${this.#mapsGeneration}|${stableJson(constants)}`;
  }

  #unchanged(
    iface: { readonly name: string; readonly index: number },
    constants: Readonly<Record<string, ConstantValue>>,
  ): boolean {
    const have = this.#ifaces.get(iface.name);
    return (
      have !== undefined && have.ifindex === iface.index && have.configKey === this.#configKey(constants)
    );
  }

  /** detach takes xdp_hep off `iface` (if it still exists) and drops its pin. */
  detach(name: string): void {
    const have = this.#ifaces.get(name);
    const link =
      have?.link ?? (pinExists(this.pinPath(name)) ? Link.openPinned(this.pinPath(name)) : undefined);
    this.#ifaces.delete(name);
    if (link) {
      try {
        link.detach();
      } catch {
        // the interface is gone: the kernel already detached it
      }
      link.close();
    }
    unpin(this.pinPath(name));
  }

  /** pinnedIfaces lists the interfaces with an XDP link pin (this run's or an earlier agent's). */
  pinnedIfaces(): string[] {
    return pinnedXdpIfaces(this.#pinDir);
  }

  /**
   * detachAllPinned takes xdp_hep off every interface pinned under `pinDir` (what an earlier
   * agent left) without loading anything: the standard-dataplane fallback and `sluice cleanup`.
   * Returns the interface names.
   */
  static detachAllPinned(pinDir: string): string[] {
    const names = pinnedXdpIfaces(pinDir);
    for (const name of names) {
      const path = xdpLinkPinPath(pinDir, name);
      const link = Link.openPinned(path);
      try {
        link.detach();
      } catch {
        // already defunct (interface deleted)
      }
      link.close();
      unpin(path);
    }
    return names;
  }

  /** close lets go of the link fds; the pins keep the programs attached (an agent restart). */
  close(): void {
    for (const a of this.#ifaces.values()) a.link.close();
    this.#ifaces.clear();
  }

  #drop(name: string): void {
    this.#ifaces.get(name)?.link.close();
    this.#ifaces.delete(name);
    unpin(this.pinPath(name));
  }

  // A pinned link is ours to adopt only if it still sits on this very ifindex (names get reused).
  #adopt(iface: { readonly name: string; readonly index: number }): Link | undefined {
    const path = this.pinPath(iface.name);
    if (!pinExists(path)) return undefined;
    const link = Link.openPinned(path);
    if (link.info().ifindex === iface.index) return link;
    link.unpin();
    link.close();
    return undefined;
  }
}
