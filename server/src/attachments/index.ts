// Attachments: files in conversations, uploaded over HTTP, stored behind a BlobStore (the database
// by default), logged as message events, served only after an access check (docs/attachments.md).
export { createAttachments, attachmentLimits, widgetAttachmentConfig, cleanFileName, infoOf } from './attachments.js';
export type { Attachments, AttachmentsOptions, UploadInput, UploadResult } from './attachments.js';
export { createDatabaseBlobStore } from './store.js';
export type { BlobStore } from './store.js';
export { sniffType, INLINE_TYPES, SNIFF_BYTES } from './sniff.js';
export { rewriterFor, exifOrientation, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE } from './rewrite.js';
export type { Rewriter, ImageFacts } from './rewrite.js';
