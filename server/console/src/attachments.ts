// Files from the console: an upload to `POST /api/conversations/:id/attachments` with progress
// (XMLHttpRequest: fetch reports none), and the download address of a file. A retried upload keeps
// its cid, so a file whose answer was lost is stored once.
import type { AttachmentUploadResponse } from '@servus/shared';
import { ApiError } from './api.js';

export interface Upload {
  cid: string;
  file: File;
  conversationId: string;
  progress: number;
  error?: string;
  abort?: () => void;
}

export const attachmentUrl = (id: string, download = false) => `/api/attachments/${encodeURIComponent(id)}${download ? '?download' : ''}`;

/** The size a person reads: 820 KB, 4.2 MB. */
export const fileSize = (bytes: number) =>
  bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export function upload(u: Upload, onProgress: () => void): Promise<AttachmentUploadResponse> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const q = new URLSearchParams({ cid: u.cid, name: u.file.name || 'image.png' });
    xhr.open('POST', `/api/conversations/${encodeURIComponent(u.conversationId)}/attachments?${q}`);
    xhr.upload.onprogress = (e) => {
      u.progress = e.lengthComputable ? e.loaded / e.total : 0;
      onProgress();
    };
    xhr.onload = () => {
      let data: unknown = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        // a proxy's page
      }
      if (xhr.status < 300) return resolve(data as AttachmentUploadResponse);
      const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
      reject(new ApiError(xhr.status, err?.code ?? `HTTP_${xhr.status}`, err?.message ?? xhr.statusText));
    };
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'The connection dropped.'));
    xhr.onabort = () => reject(new ApiError(0, 'ABORTED', 'Cancelled.'));
    u.abort = () => xhr.abort();
    xhr.send(u.file);
  });
}

/** Fills `{name}`-style placeholders of a translated string. */
export const fill = (text: string, params: Record<string, string>) => text.replace(/\{(\w+)\}/g, (m, k: string) => params[k] ?? m);
