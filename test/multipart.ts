import { randomBytes } from 'node:crypto';

/** One part of a multipart/form-data body: a file when `filename` is given, else a plain field. */
export interface FormPart {
  name: string;
  filename?: string;
  type?: string;
  data: string | Buffer;
}

/** Builds a multipart/form-data body by hand (filenames go in verbatim, unescaped). */
export function multipartBody(parts: FormPart[]): { payload: Buffer; headers: { 'content-type': string } } {
  const boundary = `----cloop-test-${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename === undefined ? '' : `; filename="${p.filename}"`}`;
    const head = `--${boundary}\r\ncontent-disposition: ${disposition}\r\n${p.filename === undefined ? '' : `content-type: ${p.type ?? 'application/octet-stream'}\r\n`}\r\n`;
    chunks.push(Buffer.from(head, 'utf8'), typeof p.data === 'string' ? Buffer.from(p.data) : p.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** A body with one file in the `file` field. */
export function fileUpload(filename: string, data: string | Buffer, type?: string) {
  return multipartBody([{ name: 'file', filename, data, ...(type ? { type } : {}) }]);
}
