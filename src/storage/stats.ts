/** Message counts and sizes from the index files (Go: index.Stat), without loading them. */
import { type IndexParams, INDEX_HEADER_SIZE, detectIndexVersion, indexItemSize } from './format/index-format.js';
import { type SegmentFiles, fileSize, readFileHead } from './segment/segment-files.js';

export function indexStats(seg: SegmentFiles, params: IndexParams): { size: number; messages: number } {
  const size = fileSize(seg.indexPath);
  if (size <= 0) return { size: Math.max(size, 0), messages: 0 };
  const version = detectIndexVersion(readFileHead(seg.indexPath, INDEX_HEADER_SIZE), seg.offset, params, seg.indexPath);
  const data = version === 'V2' ? size - INDEX_HEADER_SIZE : size;
  return { size, messages: Math.floor(data / indexItemSize(params)) };
}
