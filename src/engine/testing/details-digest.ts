// What a resumed or recovered run must give back of its details (GPU tests of checkpoints): the parts
// that do not depend on timing.
/** The method details that do not depend on timing: TEQ's losses and held-out selection, the blocks
 *  TesseraQ, AWQ and GPTQ reported (with their losses and scales). */
export function detailsDigest(details: Record<string, unknown> | undefined): string {
  type Reports = { block: number; rtnLoss?: number; finalLoss?: number; subsets?: { scales: number[] }[] }[];
  const d = (details ?? {}) as {
    teq?: { losses?: number[]; selection?: unknown };
    tesseraq?: { blocks: Reports };
    awq?: Reports;
    gptq?: { blocks: unknown[] };
  };
  return JSON.stringify({
    teq: d.teq && { losses: d.teq.losses, selection: d.teq.selection },
    tesseraq: d.tesseraq?.blocks.map((r) => [r.block, r.rtnLoss, r.finalLoss]),
    awq: d.awq?.map((r) => [r.block, r.subsets?.map((s) => s.scales)]),
    gptq: d.gptq?.blocks.length,
  });
}
