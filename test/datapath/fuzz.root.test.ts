/**
 * Fuzz: a random Service table installed through calc → NatReconciler → the kernel maps, and at
 * least 100k random and malformed frames through each of from_wep / to_wep / from_hep / to_hep,
 * every run held to the model's exact outcome (fuzz-model.ts): DNAT to one of the exact backend
 * set, reverse NAT to the exact tuple, REJECT with exact addresses, pass or redirect with exact
 * bytes, VXLAN / DSR decoded and their inner packet compared, or a drop under its counter reason.
 * SL_FUZZ_SEED and SL_FUZZ_COUNT override the seed and the per-program count; a failure prints
 * the seed and a minimal reproduction.
 *
 * The mutation checks run the same generator and model against deliberately broken datapaths
 * (the frontend map left empty, every frontend's count forced to 0, every backend slot pointed
 * outside its set, the program's result replaced by "pass") and assert the checker disagrees —
 * proof that the main test can fail.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { requireRoot } from "../support/root.ts";
import { runCampaign, type CampaignOptions, type CampaignReport } from "./fuzz-campaign.ts";
import { ETP_SHORT_CIRCUIT_LANDED } from "./fuzz-model.ts";

const SEED = Number(process.env.SL_FUZZ_SEED ?? 0x5eed1e55);
const PER_PROGRAM = Number(process.env.SL_FUZZ_COUNT ?? 100_000);

function summary(r: CampaignReport): string {
  return `${r.failures.length} disagreement(s)${r.failures.map((f) => `\n${f.text.split("\n")[0]}`).join("")}\nframes ${JSON.stringify(r.frames)} in ${r.ms} ms, outcomes ${JSON.stringify(r.outcomes)}, known gaps ${JSON.stringify(r.knownGaps)}`;
}

test(
  `fuzz: ${PER_PROGRAM} frames per program agree exactly with the model (seed ${SEED})`,
  requireRoot,
  async () => {
    const r = await runCampaign({ seed: SEED, perProgram: PER_PROGRAM });
    console.log(`fuzz: seed ${SEED}: ${summary(r)}`);
    assert.deepEqual(
      r.failures.map((f) => f.text),
      [],
      `fuzz found disagreements (rerun with SL_FUZZ_SEED=${SEED})`,
    );
    for (const p of Object.keys(r.frames) as (keyof typeof r.frames)[])
      assert.ok(r.frames[p] >= PER_PROGRAM, `${p} ran ${r.frames[p]} frames`);
    // the run must have met every kind of outcome, or it proves less than it claims
    for (const kind of ["drop", "frame", "tunnel", "dsr", "reject"])
      assert.ok(
        (r.outcomes[kind] ?? 0) > 0,
        `the run never met a ${kind} outcome: ${JSON.stringify(r.outcomes)}`,
      );
    if (ETP_SHORT_CIRCUIT_LANDED) assert.deepEqual(r.knownGaps, {});
  },
);

/** mutant runs a short campaign against a broken datapath and returns its failures. */
async function mutant(opts: Omit<CampaignOptions, "seed" | "perProgram">): Promise<CampaignReport> {
  return runCampaign({ seed: SEED, perProgram: 1_000, batch: 250, maxFailures: 8, ...opts });
}

test("fuzz catches a datapath that never NATs (the frontend map left empty)", requireRoot, async () => {
  const r = await mutant({ mutation: "empty-frontends" });
  assert.ok(
    r.failures.some((f) => /must DNAT to one of .* got (OK|REDIRECT) to /.test(f.text)),
    summary(r),
  );
});

test("fuzz catches a datapath whose result is replaced by pass", requireRoot, async () => {
  const r = await mutant({ passThrough: true });
  assert.ok(
    r.failures.some((f) => /must DNAT to one of/.test(f.text)),
    summary(r),
  );
  assert.ok(
    r.failures.some((f) => /must drop/.test(f.text)),
    summary(r),
  );
});

test(
  "fuzz catches a datapath that REJECTs Services with backends (every frontend count forced to 0)",
  requireRoot,
  async () => {
    const r = await mutant({ mutation: "zero-count" });
    assert.ok(
      r.failures.some((f) => /must DNAT to one of .* got REDIRECT/.test(f.text)),
      summary(r),
    );
  },
);

test("fuzz catches a wrong backend choice (every backend slot outside its set)", requireRoot, async () => {
  const r = await mutant({ mutation: "foreign-backend" });
  assert.ok(
    r.failures.some((f) => /must DNAT to one of .* to 198\.19\.1\.99:/.test(f.text)),
    summary(r),
  );
});
