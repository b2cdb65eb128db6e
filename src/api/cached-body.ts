// Bodies serialised once and sent from memory (the VM list, polled under load), gzipped once for the clients
// that accept it: browsers, curl --compressed and the usual HTTP libraries send Accept-Encoding: gzip, and a
// list of VMs is mostly UUIDs and names that compress to about a fifth.
import { gzipSync } from 'node:zlib';

/** Below this, gzip's header and the work cost more than the bytes saved. */
const MIN_GZIP_BYTES = 1024;

export class CachedBody {
  private gz: Uint8Array<ArrayBuffer> | null | undefined;
  constructor(readonly raw: Uint8Array<ArrayBuffer>) {}

  /** The gzipped body, made on first use; null when the body is too small to be worth it. */
  gzipped(): Uint8Array<ArrayBuffer> | null {
    if (this.gz === undefined) this.gz = this.raw.byteLength < MIN_GZIP_BYTES ? null : new Uint8Array(gzipSync(this.raw));
    return this.gz;
  }
}

/** Whether an Accept-Encoding header (RFC 9110 §12.5.3) allows gzip: `gzip`/`x-gzip`, else `*`, with q > 0. */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';');
    const coding = name.trim().toLowerCase();
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (coding !== '*') return q > 0; // named explicitly: that decides, whatever `*` says
    star = q > 0;
  }
  return star;
}
