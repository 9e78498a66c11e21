import zlib from 'node:zlib';

/** One archive entry: content to deflate, or deflated bytes with their real size and CRC. */
export type ZipEntryInput =
  | { name: string; content: Buffer }
  | { name: string; deflated: Buffer; size: number; crc: number; declaredSize?: number };

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/** A minimal ZIP (deflate, no data descriptors) for tests; `declaredSize` lets an entry lie about its size. */
export function zipArchive(entries: ZipEntryInput[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const data = 'content' in entry ? zlib.deflateRawSync(entry.content) : entry.deflated;
    const crc = 'content' in entry ? zlib.crc32(entry.content) : entry.crc;
    const size = 'content' in entry ? entry.content.length : (entry.declaredSize ?? entry.size);
    const common = [u16(20), u16(0), u16(8), u16(0), u16(0x21), u32(crc), u32(data.length), u32(size), u16(name.length), u16(0)];
    const local = Buffer.concat([u32(0x04034b50), ...common, name]);
    centrals.push(Buffer.concat([u32(0x02014b50), u16(20), ...common, u16(0), u16(0), u16(0), u32(0), u32(offset), name]));
    locals.push(local, data);
    offset += local.length + data.length;
  }
  const central = Buffer.concat(centrals);
  const end = Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(central.length), u32(offset), u16(0)]);
  return Buffer.concat([...locals, central, end]);
}

/**
 * `megabytes` MB of spaces as a raw deflate stream, built without holding them: one MB is deflated
 * once, ending on a sync flush (so it is self-contained and byte-aligned), and repeated.
 */
export function deflatedSpaces(megabytes: number): { deflated: Buffer; size: number; crc: number } {
  const mb = Buffer.alloc(1 << 20, 0x20);
  const block = zlib.deflateRawSync(mb, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  let crc = 0;
  for (let i = 0; i < megabytes; i++) crc = zlib.crc32(mb, crc);
  // 0x03 0x00: a final, empty block with fixed Huffman codes.
  return { deflated: Buffer.concat([...Array<Buffer>(megabytes).fill(block), Buffer.from([0x03, 0x00])]), size: megabytes << 20, crc };
}

const contentTypes = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`;
const rels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`;

/**
 * A DOCX whose word/document.xml inflates to `megabytes` MB of spaces (about 1 KB per MB packed).
 * With `lie`, the headers claim 1 KB instead.
 */
export function docxBomb(megabytes: number, lie = false): Buffer {
  const body = deflatedSpaces(megabytes);
  return zipArchive([
    { name: '[Content_Types].xml', content: Buffer.from(contentTypes) },
    { name: '_rels/.rels', content: Buffer.from(rels) },
    { name: 'word/document.xml', ...body, ...(lie ? { declaredSize: 1024 } : {}) },
  ]);
}
