// What a resumed or recovered run must give back of its details (GPU tests of checkpoints): the parts
// that do not depend on timing.
/** The method details that do not depend on timing: TEQ's losses, held-out selection and learned α
 *  per block, the blocks TesseraQ, AWQ and GPTQ reported (with their losses and scales). */
export function detailsDigest(details: Record<string, unknown> | undefined): string {
  type Reports = { block: number; rtnLoss?: number; finalLoss?: number; subsets?: { scales: number[] }[] }[];
  const d = (details ?? {}) as {
    teq?: { losses?: number[]; selection?: unknown; blocks?: { block: number; alpha: unknown }[] };
    tesseraq?: { blocks: Reports };
    awq?: Reports;
    gptq?: { blocks: { block: number }[] };
  };
  return JSON.stringify({
    teq: d.teq && { losses: d.teq.losses, selection: d.teq.selection, alpha: d.teq.blocks?.map((b) => [b.block, b.alpha]) },
    tesseraq: d.tesseraq?.blocks.map((r) => [r.block, r.rtnLoss, r.finalLoss]),
    awq: d.awq?.map((r) => [r.block, r.subsets?.map((s) => s.scales)]),
    gptq: d.gptq?.blocks.map((r) => r.block),
  });
}
