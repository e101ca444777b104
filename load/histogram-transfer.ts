import * as hdr from 'hdr-histogram-js';

type Histogram = ReturnType<typeof hdr.build>;

/** A histogram as one process hands it to another: HDR's compressed encoding, and its exact largest value. */
export interface TransferredHistogram {
  encoded: string;
  /**
   * HDR's encoding keeps counts per bucket, so a decoded histogram's max is the top of its
   * highest bucket, not the value recorded; the exact one travels beside it.
   */
  maxValue: number;
}

export function transferHistogram(histogram: Histogram): TransferredHistogram {
  return { encoded: hdr.encodeIntoCompressedBase64(histogram), maxValue: histogram.totalCount > 0 ? histogram.maxValue : 0 };
}

/**
 * Adds another process's histogram into `into`, without loss: the same counts in the same
 * buckets (so every percentile is that of one histogram of all the samples), and the exact
 * largest value of both. `into` must have the other's bucket layout (the same build options).
 */
export function addTransferredHistogram(into: Histogram, part: TransferredHistogram): void {
  const ownMax = into.totalCount > 0 ? into.maxValue : 0;
  const decoded = hdr.decodeFromCompressedBase64(part.encoded);
  if (decoded.totalCount === 0) return;
  into.add(decoded);
  // hdr-histogram-js keeps `maxValue` as a plain field of its JS histograms (the kind `build` makes by default).
  (into as unknown as { maxValue: number }).maxValue = Math.max(ownMax, part.maxValue);
}
