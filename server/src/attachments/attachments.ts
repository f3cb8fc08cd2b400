// Files in conversations, both ways. An upload streams through in chunks: its type is sniffed from
// its first bytes, images are rewritten without their metadata (rewrite.ts), the bytes go to the
// blob store chunk by chunk, and only then does one command log the message that shows the file,
// once per cid (a retried upload finds its committed event and is answered with it). A download
// checks that the caller may see the conversation, with the same answer for "not yours" and "not
// there". Uploads that never committed (a dropped connection, a crash) are swept by a durable job.
import {
  ATTACHMENT_DEFAULTS,
  ErrorCode,
  type AckFrame,
  type AttachmentInfo,
  type AttachmentSettings,
  type WidgetAttachmentConfig,
} from '@servus/shared';
import type { Kysely } from 'kysely';
import type { AgentActor, VisitorActor } from '../core/actors.js';
import { ServusError, notFound } from '../core/errors.js';
import { randomId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { SharedRateLimiter } from '../core/rate-limit.js';
import type { Conversations } from '../conversations/index.js';
import type { Jobs } from '../jobs/jobs.js';
import type { SiteDirectory } from '../sites/sites.js';
import type { AttachmentsTable, Database } from '../storage/schema.js';
import { rewriterFor } from './rewrite.js';
import { INLINE_TYPES, SNIFF_BYTES, sniffType } from './sniff.js';
import type { BlobStore } from './store.js';

export interface AttachmentsOptions {
  db: Kysely<Database>;
  store: BlobStore;
  sites: SiteDirectory;
  conversations: Conversations;
  /** Uploads per visitor (shared across instances). */
  visitorUploads: SharedRateLimiter;
  jobs?: Jobs | undefined;
  logger?: Logger | undefined;
  /** Bytes per stored chunk. */
  chunkBytes?: number;
  /** An upload not committed after this long is swept (its connection died, or its instance). */
  abandonAfterMs?: number;
  now?: () => number;
}

export interface UploadInput {
  cid: string;
  /** The visitor's conversation (optional: their current or a new one); an agent's (required). */
  conversationId?: string | undefined;
  /** The file name the client gives (sanitised). */
  name: string;
  /** The request's Content-Length. */
  length: number | null;
  body: AsyncIterable<Uint8Array>;
  lang?: string | null;
}

export interface UploadResult {
  ack: AckFrame;
  attachment: AttachmentInfo;
}

type Actor = VisitorActor | AgentActor;

const ID = /^f_[A-Za-z0-9_-]{22}$/;
const SWEEP_JOB = 'attachments.sweep';

/** A site's attachment limits, each absent one at its default. */
export function attachmentLimits(settings: AttachmentSettings | undefined) {
  return {
    enabled: settings?.enabled ?? true,
    maxBytes: settings?.maxBytes ?? ATTACHMENT_DEFAULTS.maxBytes,
    maxPerConversation: settings?.maxPerConversation ?? ATTACHMENT_DEFAULTS.maxPerConversation,
    types: settings?.types ?? [...ATTACHMENT_DEFAULTS.types],
  };
}

/** What the widget is told (null: the site takes no files). */
export function widgetAttachmentConfig(settings: AttachmentSettings | undefined): WidgetAttachmentConfig | null {
  const limits = attachmentLimits(settings);
  return limits.enabled ? { maxBytes: limits.maxBytes, types: limits.types } : null;
}

/** A file name without a path, control characters or markup-relevant surprises; at most 200 characters. */
export function cleanFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069"]/g, '').trim();
  return (clean || 'file').slice(0, 200);
}

export function infoOf(row: Pick<AttachmentsTable, 'id' | 'name' | 'type' | 'size' | 'width' | 'height'>): AttachmentInfo {
  const info: AttachmentInfo = { id: row.id, name: row.name, type: row.type, size: Number(row.size), inline: INLINE_TYPES.has(row.type) };
  if (row.width !== null && row.height !== null) {
    info.width = row.width;
    info.height = row.height;
  }
  return info;
}

export type Attachments = ReturnType<typeof createAttachments>;

export function createAttachments({
  db,
  store,
  sites,
  conversations,
  visitorUploads,
  jobs,
  logger,
  chunkBytes = 256 * 1024,
  abandonAfterMs = 3_600_000,
  now = Date.now,
}: AttachmentsOptions) {
  const uploaderKey = (actor: Actor) => `${actor.kind === 'visitor' ? 'v' : 'a'}:${actor.id}`;

  /** The committed upload of this (uploader, cid), as its ack and attachment. */
  async function committed(actor: Actor, cid: string): Promise<UploadResult | null> {
    const row = await db
      .selectFrom('attachments')
      .innerJoin('events', 'events.id', 'attachments.event_id')
      .selectAll('attachments')
      .select(['events.seq', 'events.visitor_seq'])
      .where('attachments.uploader_key', '=', uploaderKey(actor))
      .where('attachments.cid', '=', cid)
      .where('attachments.status', '=', 'stored')
      .executeTakeFirst();
    if (!row) return null;
    const seq = actor.kind === 'visitor' ? row.visitor_seq : row.seq;
    const ack: AckFrame = { type: 'ack', cid, conversationId: row.conversation_id!, id: row.event_id!, duplicate: true };
    if (seq !== null) ack.seq = Number(seq);
    return { ack, attachment: infoOf(row) };
  }

  async function discard(id: string): Promise<void> {
    await store.delete([id]);
    await db.deleteFrom('attachments').where('id', '=', id).execute();
  }

  async function upload(actor: Actor, input: UploadInput): Promise<UploadResult> {
    if (!/^[\x21-\x7e]{1,64}$/.test(input.cid))
      throw new ServusError(ErrorCode.BAD_FRAME, 'cid: 1 to 64 visible ASCII characters.', { path: 'cid' });
    // The site whose limits apply: the visitor's, or that of the agent's conversation.
    let siteKey: string;
    let conversationId = input.conversationId;
    if (actor.kind === 'agent') {
      if (!conversationId) throw notFound();
      siteKey = (await conversations.agentConversation(actor, conversationId)).site_key;
    } else {
      siteKey = actor.siteKey;
      if (conversationId) conversationId = (await conversations.visitorConversation(actor, conversationId)).id;
    }
    const site = await sites.get(siteKey);
    const limits = attachmentLimits(site?.settings.attachments);
    if (!limits.enabled) throw new ServusError(ErrorCode.FORBIDDEN, 'This site takes no files.');

    const earlier = await committed(actor, input.cid);
    if (earlier) return earlier;
    if (actor.kind === 'visitor' && !(await visitorUploads.hit(actor.id))) {
      throw new ServusError(ErrorCode.RATE_LIMITED, 'Too many files at once; try again in a minute.');
    }
    const length = input.length;
    if (length === null || !Number.isSafeInteger(length) || length < 0) {
      throw new ServusError(ErrorCode.LENGTH_REQUIRED, 'An upload needs a Content-Length.');
    }
    if (length === 0) throw new ServusError(ErrorCode.BAD_FRAME, 'The file is empty.');
    if (length > limits.maxBytes) throw new ServusError(ErrorCode.TOO_LARGE, `A file has at most ${limits.maxBytes} bytes here.`);

    const id = randomId('f', 16);
    const name = cleanFileName(input.name);
    const row: AttachmentsTable = {
      id,
      site_key: siteKey,
      conversation_id: null,
      event_id: null,
      uploader_key: uploaderKey(actor),
      cid: input.cid,
      name,
      type: 'application/octet-stream',
      size: 0,
      width: null,
      height: null,
      chunks: 0,
      status: 'uploading',
      created_at: now(),
    };
    await db.insertInto('attachments').values(row).execute();
    let info: AttachmentInfo;
    try {
      info = await receive(id, name, input.body, length, limits.types);
      await db
        .updateTable('attachments')
        .set({ type: info.type, size: info.size, width: info.width ?? null, height: info.height ?? null, chunks: chunksOf(info.size) })
        .where('id', '=', id)
        .execute();
    } catch (err) {
      await discard(id).catch((e: unknown) => logger?.warn({ err: e, id }, 'could not discard an upload'));
      throw err;
    }
    let ack: AckFrame;
    try {
      ack = await conversations.commands.sendAttachment(actor, {
        cid: input.cid,
        conversationId,
        lang: input.lang ?? null,
        attachment: info,
        maxPerConversation: limits.maxPerConversation,
      });
    } catch (err) {
      await discard(id).catch(() => {});
      throw err;
    }
    if (ack.duplicate) {
      // The same cid committed by a parallel attempt (a retry while the first was still arriving).
      await discard(id);
      const first = await committed(actor, input.cid);
      if (first) return first;
      throw new ServusError(ErrorCode.CID_REUSED, 'This cid was already used for another command; send each command with a new cid.');
    }
    return { ack, attachment: info };
  }

  const chunksOf = (size: number) => Math.ceil(size / chunkBytes);

  /**
   * Reads the body: sniffs, checks, rewrites and stores it chunk by chunk. The first chunk is
   * written last (a WebP's length is patched into it at the end); every other chunk as soon as it
   * is full, before more is read, so memory stays at a chunk or two whatever the file's size.
   */
  async function receive(id: string, name: string, body: AsyncIterable<Uint8Array>, length: number, types: readonly string[]) {
    let received = 0;
    let head: Buffer[] = [];
    let headBytes = 0;
    // Set inside the closures below: held in objects so the compiler does not narrow them to null.
    const state: { rewriter: ReturnType<typeof rewriterFor> | null; first: Buffer | null; type: string } = {
      rewriter: null,
      first: null,
      type: '',
    };
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let n = 0;
    let size = 0;

    const flush = async (final: boolean) => {
      while (pendingBytes >= chunkBytes || (final && pendingBytes > 0)) {
        const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
        const chunk = Buffer.from(all.subarray(0, Math.min(chunkBytes, all.length)));
        const rest = all.subarray(chunk.length);
        pending = rest.length ? [rest] : [];
        pendingBytes = rest.length;
        size += chunk.length;
        if (n === 0) state.first = chunk;
        else await store.put(id, n, chunk);
        n += 1;
      }
    };
    const feed = async (bytes: Buffer) => {
      for (const out of state.rewriter!.push(bytes)) {
        pending.push(out);
        pendingBytes += out.length;
      }
      await flush(false);
    };
    const start = async () => {
      const sniffed = Buffer.concat(head);
      head = [];
      state.type = sniffType(sniffed.subarray(0, SNIFF_BYTES));
      if (!types.includes(state.type))
        throw new ServusError(ErrorCode.UNSUPPORTED_TYPE, `Files of type ${state.type} are not accepted here.`);
      state.rewriter = rewriterFor(state.type);
      await feed(sniffed);
    };

    for await (const piece of body) {
      received += piece.length;
      if (received > length) throw new ServusError(ErrorCode.TOO_LARGE, 'The body is longer than its Content-Length.');
      const bytes = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      if (state.rewriter) await feed(bytes);
      else {
        head.push(bytes);
        headBytes += bytes.length;
        if (headBytes >= SNIFF_BYTES) await start();
      }
    }
    if (received < length) throw new ServusError(ErrorCode.LENGTH_REQUIRED, 'The upload ended before its Content-Length.');
    if (!state.rewriter) await start();
    const { patches } = state.rewriter!.end();
    await flush(true);
    const { type, first } = state;
    const facts = state.rewriter!.facts;
    if ((INLINE_TYPES.has(type) && !facts) || !first) throw new ServusError(ErrorCode.UNSUPPORTED_TYPE, 'The file is not a valid image.');
    for (const p of patches) p.bytes.copy(first, p.at);
    await store.put(id, 0, first);
    const info: AttachmentInfo = { id, name, type, size, inline: INLINE_TYPES.has(type) };
    if (facts) {
      info.width = facts.width;
      info.height = facts.height;
    }
    return info;
  }

  /** The file, when this visitor or agent may see its conversation; otherwise the same NOT_FOUND as for no file. */
  async function open(actor: Actor, id: string): Promise<{ info: AttachmentInfo; chunks: AsyncIterable<Buffer> }> {
    if (!ID.test(id)) throw notFound('file');
    const row = await db
      .selectFrom('attachments')
      .innerJoin('conversations', 'conversations.id', 'attachments.conversation_id')
      .selectAll('attachments')
      .select(['conversations.visitor_id', 'conversations.site_key as conversation_site'])
      .where('attachments.id', '=', id)
      .where('attachments.status', '=', 'stored')
      .executeTakeFirst();
    // A visitor's own conversation, or one of the same verified user on another device (continued there).
    const allowed =
      row &&
      (actor.kind === 'visitor'
        ? row.visitor_id === actor.id || (await conversations.linkedVisitors(actor.id)).includes(row.visitor_id)
        : actor.siteKeys.includes(row.conversation_site));
    if (!row || !allowed) throw notFound('file');
    return { info: infoOf(row), chunks: store.read(row.id, row.chunks) };
  }

  /** Every committed file of a conversation, oldest first (privacy export). */
  async function listForConversation(conversationId: string): Promise<(AttachmentInfo & { createdAt: number; eventId: string })[]> {
    const rows = await db
      .selectFrom('attachments')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('status', '=', 'stored')
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({ ...infoOf(r), createdAt: r.created_at, eventId: r.event_id! }));
  }

  /** Deletes the files of these conversations, bytes and rows (erasure); resolves with how many. */
  async function deleteForConversation(conversationIds: readonly string[]): Promise<number> {
    let deleted = 0;
    for (let i = 0; i < conversationIds.length; i += 200) {
      const rows = await db
        .selectFrom('attachments')
        .select('id')
        .where('conversation_id', 'in', conversationIds.slice(i, i + 200))
        .execute();
      const ids = rows.map((r) => r.id);
      if (!ids.length) continue;
      await store.delete(ids);
      await db.deleteFrom('attachments').where('id', 'in', ids).execute();
      deleted += ids.length;
    }
    return deleted;
  }

  /** Removes uploads never committed within `abandonAfterMs`; resolves with how many. */
  async function sweep(): Promise<number> {
    const rows = await db
      .selectFrom('attachments')
      .select('id')
      .where('status', '=', 'uploading')
      .where('created_at', '<', now() - abandonAfterMs)
      .limit(500)
      .execute();
    for (const { id } of rows) await discard(id);
    return rows.length;
  }

  if (jobs) {
    jobs.handle(SWEEP_JOB, async () => {
      const n = await sweep();
      if (n) logger?.info({ uploads: n }, 'swept abandoned uploads');
      await jobs.schedule(SWEEP_JOB, 'all', now() + Math.min(abandonAfterMs, 900_000));
    });
  }

  return {
    upload,
    open,
    listForConversation,
    deleteForConversation,
    sweep,
    /** Plans the sweep unless one is pending (call once at start; the job plans its next run itself). */
    async start(): Promise<void> {
      if (jobs && !(await jobs.find(SWEEP_JOB, 'all'))) await jobs.schedule(SWEEP_JOB, 'all', now() + Math.min(abandonAfterMs, 900_000));
    },
  };
}
