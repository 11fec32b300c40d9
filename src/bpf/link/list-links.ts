/**
 * listLinks walks the kernel's link id table and reads each link's info — how `sluice` shows tcx
 * links, which Debian's bpftool 7.1 cannot. Links that vanish mid-walk are skipped.
 */
import { getFdById, getNextId, linkInfo, type LinkInfo } from "../../kernel/bpf-obj.ts";

/** listLinks returns every link on the system (all namespaces), optionally filtered by link type. */
export function listLinks(filter?: { readonly type?: number }): LinkInfo[] {
  const out: LinkInfo[] = [];
  for (let id = getNextId("link", 0); id !== undefined; id = getNextId("link", id)) {
    const fd = getFdById("link", id);
    if (fd === undefined) continue;
    try {
      const info = linkInfo(fd.value);
      if (filter?.type === undefined || info.type === filter.type) out.push(info);
    } finally {
      fd.close();
    }
  }
  return out;
}
