// The form for a site's files (settings `attachments`, docs/attachments.md): the stored settings as
// form values (the size in MB, the types as kinds a person recognises), the checks with a message
// per field, and the settings to save. The kinds group the types the server sniffs from the bytes.
import { ATTACHMENT_DEFAULTS, ATTACHMENT_MAX_BYTES, type AttachmentSettings } from '@servus/shared';
import { fieldOf, type FieldMap } from './field-errors.js';

export const MB = 1024 * 1024;
/** The smallest largest-file a form may set (the server takes 1 KB and more). */
export const MIN_MB = 0.1;
export const MAX_MB = ATTACHMENT_MAX_BYTES / MB;
export const MAX_PER_CONVERSATION = 1000;

/** Kinds of files, in the order shown; each names the sniffed types it allows. */
export const FILE_KINDS = {
  images: ['image/jpeg', 'image/png', 'image/gif', 'image/webp'],
  heic: ['image/heic', 'image/heif'],
  pdf: ['application/pdf'],
  text: ['text/plain'],
  office: ['application/zip'],
  other: ['application/octet-stream'],
  markup: ['image/svg+xml', 'text/html', 'application/xml'],
} as const satisfies Record<string, readonly string[]>;
export type FileKind = keyof typeof FILE_KINDS;
export const KINDS = Object.keys(FILE_KINDS) as FileKind[];

/** A kind is on when all its types are allowed, partly on when some are (set through the API). */
export type KindState = 'on' | 'off' | 'some';

export interface AttachmentFormValues {
  enabled: boolean;
  maxMb: string;
  perConversation: string;
  kinds: Record<FileKind, KindState>;
}

export type AttachmentField = 'maxMb' | 'perConversation' | 'kinds';
export type AttachmentErrors = Partial<Record<AttachmentField, 'range' | 'none'>>;

/** A size in MB as a person writes it: at most one decimal, no trailing zero. */
export const formatMb = (bytes: number) => String(Math.round((bytes / MB) * 10) / 10);

export function attachmentFormFromSettings(settings: AttachmentSettings | undefined): AttachmentFormValues {
  const types = new Set(settings?.types ?? ATTACHMENT_DEFAULTS.types);
  const kinds = {} as Record<FileKind, KindState>;
  for (const kind of KINDS) {
    const allowed = FILE_KINDS[kind].filter((t) => types.has(t)).length;
    kinds[kind] = allowed === FILE_KINDS[kind].length ? 'on' : allowed ? 'some' : 'off';
  }
  return {
    enabled: settings?.enabled ?? true,
    maxMb: formatMb(settings?.maxBytes ?? ATTACHMENT_DEFAULTS.maxBytes),
    perConversation: String(settings?.maxPerConversation ?? ATTACHMENT_DEFAULTS.maxPerConversation),
    kinds,
  };
}

/** A decimal number as typed in German or English ("2,5" or "2.5"); NaN for anything else. */
const decimal = (text: string) => (/^\d+(?:[.,]\d+)?$/.test(text.trim()) ? Number(text.trim().replace(',', '.')) : NaN);

/**
 * The settings to save, or the fields in error. A kind left partly on keeps the types it had
 * (`previous`); turned on or off, it allows all or none of its types.
 */
export function attachmentSettingsFromForm(
  values: AttachmentFormValues,
  previous: AttachmentSettings | undefined,
): { settings: Required<AttachmentSettings> } | { errors: AttachmentErrors } {
  const errors: AttachmentErrors = {};
  const mb = decimal(values.maxMb);
  if (!(mb >= MIN_MB && mb <= MAX_MB)) errors.maxMb = 'range';
  const per = /^\d+$/.test(values.perConversation.trim()) ? Number(values.perConversation) : NaN;
  if (!(per >= 1 && per <= MAX_PER_CONVERSATION)) errors.perConversation = 'range';
  const before = new Set(previous?.types ?? ATTACHMENT_DEFAULTS.types);
  const types = KINDS.flatMap((kind) => {
    const state = values.kinds[kind];
    return FILE_KINDS[kind].filter((t) => state === 'on' || (state === 'some' && before.has(t)));
  });
  if (values.enabled && !types.length) errors.kinds = 'none';
  if (Object.keys(errors).length) return { errors };
  return {
    settings: {
      enabled: values.enabled,
      maxBytes: Math.min(ATTACHMENT_MAX_BYTES, Math.round(mb * MB)),
      maxPerConversation: per,
      types,
    },
  };
}

/** The API paths of the form's fields, for the settings forms' shared mapping (field-errors.ts). */
const ATTACHMENT_FIELDS: FieldMap = {
  'settings.attachments.maxBytes': 'maxMb',
  'settings.attachments.maxPerConversation': 'perConversation',
  'settings.attachments.types': 'kinds',
};

/** The form field a server error's path (`settings.attachments.maxBytes`) belongs to. */
export function attachmentFieldOf(path: string | undefined): AttachmentField | null {
  return path ? ((fieldOf(path, ATTACHMENT_FIELDS)?.spec.field as AttachmentField | undefined) ?? null) : null;
}
