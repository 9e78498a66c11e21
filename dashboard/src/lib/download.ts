// Downloads that need the Authorization header: fetch, then hand the browser a blob.
import { apiResponse } from './api.ts';

/** Fetches `/api{path}` and saves it as `filename`. */
export async function download(path: string, filename: string): Promise<void> {
  const res = await apiResponse(path);
  const url = URL.createObjectURL(await res.blob());
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
