/**
 * Datapath tests as fixture tables, Katran-style: each row is a description, an input packet, the
 * expected verdict and the expected output (a whole packet, or just the fields that matter). Each
 * row runs as its own node:test subtest so one wrong row does not hide the others.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertChecksumsValid } from "../packet/assert-checksums.ts";
import { packet } from "../packet/build-packet.ts";
import { assertFields } from "../packet/match-fields.ts";
import type { PacketFields } from "../packet/match-fields.ts";
import { assertPacketEqual } from "../packet/packet-diff.ts";
import type { DiffOptions } from "../packet/packet-diff.ts";
import type { PacketSpec } from "../packet/packet-spec.ts";
import { runPacket } from "./prog-test-run.ts";
import type { PacketRun, ProgramKind, TestRunnable } from "./prog-test-run.ts";
import type { SkbCtx, SkbCtxFields } from "./skb-ctx.ts";

/** PacketFixture is one row of a table. */
export interface PacketFixture {
  description: string;
  input: Uint8Array | PacketSpec;
  ctx?: SkbCtxFields;
  /** Verdict name ("SHOT", "PASS", ...) or raw retval. */
  expectVerdict: string | number;
  /** The whole output packet; compared field by field. */
  expectOutput?: Uint8Array | PacketSpec;
  /** Only these output fields. */
  expectFields?: PacketFields;
  /** Only these ctx_out fields (e.g. the mark the program set). */
  expectCtx?: Partial<SkbCtx>;
  /** Output checksums must verify; defaults to true whenever the output is checked at all. */
  expectChecksumsValid?: boolean;
  /** Fields the comparison skips, e.g. "ipv4.id" when the datapath chooses it. */
  ignore?: DiffOptions["ignore"];
  /** Extra checks (map side effects) after the built-in ones. */
  check?: (run: PacketRun) => void | Promise<void>;
  skip?: string | boolean;
}

/** FixtureTableOptions says how to get the program and how to read its verdicts. */
export interface FixtureTableOptions {
  /** Called once per table inside the parent test (so root-only loading happens after skip checks). */
  program: () => TestRunnable | Promise<TestRunnable>;
  kind?: ProgramKind;
  /** Skips the whole table with this reason (e.g. `rootSkipReason`). */
  skip?: string | boolean;
  /** Releases the program after the last row, also when a row failed. */
  cleanup?: (prog: TestRunnable) => void | Promise<void>;
}

/** checkFixture runs one row against `prog` and throws an AssertionError on the first mismatch. */
export async function checkFixture(
  prog: TestRunnable,
  fixture: PacketFixture,
  kind: ProgramKind = "tc",
): Promise<PacketRun> {
  const input = fixture.input instanceof Uint8Array ? fixture.input : packet(fixture.input);
  const run = await runPacket(prog, input, fixture.ctx ? { kind, ctx: fixture.ctx } : { kind });
  if (typeof fixture.expectVerdict === "number")
    assert.equal(
      run.retval | 0,
      fixture.expectVerdict,
      `verdict: expected ${fixture.expectVerdict}, got ${run.verdict} (${run.retval | 0})`,
    );
  else
    assert.equal(
      run.verdict,
      fixture.expectVerdict,
      `verdict: expected ${fixture.expectVerdict}, got ${run.verdict}`,
    );
  const checked = fixture.expectOutput !== undefined || fixture.expectFields !== undefined;
  if (fixture.expectChecksumsValid ?? checked)
    assertChecksumsValid(run.data, "output checksums do not verify");
  if (fixture.expectOutput !== undefined) {
    assertPacketEqual(
      run.data,
      fixture.expectOutput,
      fixture.ignore
        ? { ignore: fixture.ignore, message: "output packet differs" }
        : { message: "output packet differs" },
    );
  }
  if (fixture.expectFields !== undefined)
    assertFields(run.packet, fixture.expectFields, "output fields differ");
  if (fixture.expectCtx !== undefined) {
    assert.ok(run.ctx, "ctx: expected ctx_out, the program returned none");
    for (const [k, v] of Object.entries(fixture.expectCtx))
      assert.deepEqual(run.ctx[k as keyof SkbCtx], v, `ctx.${k}`);
  }
  await fixture.check?.(run);
  return run;
}

/**
 * testPacketFixtures registers a node:test test named `title` whose subtests are the rows. The
 * program is obtained once, inside the test, so a skipped table never tries to load anything.
 */
export function testPacketFixtures(
  title: string,
  fixtures: readonly PacketFixture[],
  options: FixtureTableOptions,
): void {
  test(title, { skip: options.skip ?? false }, async (t) => {
    const prog = await options.program();
    try {
      for (const f of fixtures) {
        await t.test(f.description, { skip: f.skip ?? false }, async () => {
          await checkFixture(prog, f, options.kind ?? "tc");
        });
      }
    } finally {
      await options.cleanup?.(prog);
    }
  });
}
