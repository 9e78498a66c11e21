// File uploads with per-file progress: XMLHttpRequest, because fetch reports no upload progress.
import { accessToken, ApiError, networkMessage, refreshTokens } from './api.ts';
import { clearTokens } from './session.ts';

/** A running upload: its result and a way to stop it. */
export interface Upload<T> {
  done: Promise<T>;
  abort(): void;
}

function errorOf(xhr: XMLHttpRequest): ApiError {
  try {
    const body = JSON.parse(xhr.responseText) as { error?: { code?: string; message?: string; requestId?: string; details?: unknown } };
    if (body.error?.code) return new ApiError(body.error.code, body.error.message ?? body.error.code, xhr.status, body.error.requestId, body.error.details);
  } catch {
    // not JSON (a proxy's page)
  }
  if (xhr.status === 413) return new ApiError('payload_too_large', 'This file is too large.', 413);
  return new ApiError(`http_${xhr.status}`, `The upload failed (${xhr.status}). Try again.`, xhr.status);
}

/** Uploads `file` as multipart field `file` to `/api{path}`; `onProgress` gets 0…1. */
export function uploadFile<T>(path: string, file: File, onProgress: (fraction: number) => void): Upload<T> {
  let xhr: XMLHttpRequest | null = null;
  let aborted = false;
  const attempt = async (retried: boolean): Promise<T> => {
    const token = await accessToken();
    if (!token) throw new ApiError('unauthorized', 'Sign in to continue.', 401);
    const result = await new Promise<{ status: number; request: XMLHttpRequest }>((resolve, reject) => {
      const request = new XMLHttpRequest();
      xhr = request;
      request.open('POST', `/api${path}`);
      request.setRequestHeader('authorization', `Bearer ${token}`);
      request.responseType = 'text';
      request.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
      };
      request.onload = () => resolve({ status: request.status, request });
      request.onerror = () => reject(new ApiError('network', networkMessage, 0));
      request.onabort = () => reject(new ApiError('aborted', 'The upload was cancelled.', 0));
      const form = new FormData();
      form.append('file', file, file.name);
      if (aborted) return request.onabort?.(new ProgressEvent('abort'));
      request.send(form);
    });
    if (result.status >= 200 && result.status < 300) {
      onProgress(1);
      return JSON.parse(result.request.responseText) as T;
    }
    if (result.status === 401 && !retried && (await refreshTokens())) return attempt(true);
    if (result.status === 401) clearTokens('expired');
    throw errorOf(result.request);
  };
  return {
    done: attempt(false),
    abort() {
      aborted = true;
      xhr?.abort();
    },
  };
}
