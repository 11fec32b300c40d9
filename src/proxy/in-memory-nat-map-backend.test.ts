import { InMemoryNatMapBackend } from "./in-memory-nat-map-backend.ts";
import { runNatMapBackendContract } from "../../test/proxy/nat-map-backend.case.ts";

runNatMapBackendContract("in-memory", () => {
  const backend = new InMemoryNatMapBackend();
  return { backend, reopen: () => backend, cleanup: () => {} };
});
