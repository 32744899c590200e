import type { ErrorCode, GlimpseErrorObject } from '../engine/errors';
import type { TurnStats } from '../engine/types';
import type { StoredConversation, StoredImage, StoredMessage } from './conversation-types';

/**
 * The export file: conversations with their images inlined as data URLs, so one JSON file carries a
 * whole chat history from one browser to another.
 */
export const exportFormat = 'glimpse-conversations';
export const exportVersion = 2;

/** Version 1 files carry one `image` per message; version 2 a list, `images`. Both are read. */
const readableVersions: readonly unknown[] = [1, exportVersion];

interface ExportedImage {
  readonly dataUrl: string;
  readonly name?: string;
}

interface ExportedMessage extends Omit<StoredMessage, 'images'> {
  readonly images?: readonly ExportedImage[];
}

interface ExportedConversation extends Omit<StoredConversation, 'messages'> {
  readonly messages: readonly ExportedMessage[];
}

export class ConversationImportError extends Error {
  override readonly name = 'ConversationImportError';
}

export async function toExportJson(conversations: readonly StoredConversation[]): Promise<string> {
  const exported: ExportedConversation[] = [];
  for (const conversation of conversations) {
    const messages: ExportedMessage[] = [];
    for (const { images, ...message } of conversation.messages) {
      const exportedImages: ExportedImage[] = [];
      for (const image of images ?? [])
        exportedImages.push({ dataUrl: await blobToDataUrl(image.blob), name: image.name });
      messages.push(exportedImages.length > 0 ? { ...message, images: exportedImages } : message);
    }
    exported.push({ ...conversation, messages });
  }
  return JSON.stringify({ format: exportFormat, version: exportVersion, conversations: exported });
}

/** Parses and checks an export file; anything malformed is refused as a whole, with the reason. */
export function fromExportJson(text: string): StoredConversation[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ConversationImportError('This file is not JSON; choose a file exported from Glimpse.');
  }
  if (!isRecord(data) || data.format !== exportFormat || !Array.isArray(data.conversations)) {
    throw new ConversationImportError('This file is not a Glimpse conversation export.');
  }
  if (!readableVersions.includes(data.version)) {
    throw new ConversationImportError(
      `This export has version ${String(data.version)}; this Glimpse reads ${exportVersion}.`,
    );
  }
  return data.conversations.map((item: unknown, index: number) => {
    const conversation = parseConversation(item);
    if (!conversation)
      throw new ConversationImportError(`Conversation ${index + 1} of the file is malformed.`);
    return conversation;
  });
}

function parseConversation(item: unknown): StoredConversation | undefined {
  if (
    !isRecord(item) ||
    typeof item.id !== 'string' ||
    typeof item.title !== 'string' ||
    typeof item.modelId !== 'string' ||
    typeof item.createdAt !== 'number' ||
    typeof item.updatedAt !== 'number' ||
    !Array.isArray(item.messages)
  ) {
    return undefined;
  }
  const messages: StoredMessage[] = [];
  for (const raw of item.messages) {
    const message = parseMessage(raw);
    if (!message) return undefined;
    messages.push(message);
  }
  const { id, title, modelId, createdAt, updatedAt } = item;
  return { id, title, modelId, createdAt, updatedAt, messages };
}

function parseMessage(raw: unknown): StoredMessage | undefined {
  if (
    !isRecord(raw) ||
    typeof raw.id !== 'string' ||
    (raw.role !== 'user' && raw.role !== 'assistant') ||
    typeof raw.text !== 'string'
  ) {
    return undefined;
  }
  let message: StoredMessage = { id: raw.id, role: raw.role, text: raw.text };
  const rawImages = raw.image !== undefined ? [raw.image] : raw.images;
  if (rawImages !== undefined) {
    if (!Array.isArray(rawImages)) return undefined;
    const images = rawImages.map(parseImage);
    if (images.some((image) => image === undefined)) return undefined;
    message = { ...message, images: images.filter((image) => image !== undefined) };
  }
  if (raw.stats !== undefined) {
    if (!isTurnStats(raw.stats)) return undefined;
    message = { ...message, stats: raw.stats };
  }
  if (raw.error !== undefined) {
    if (!isErrorObject(raw.error)) return undefined;
    message = { ...message, error: raw.error };
  }
  return message;
}

function parseImage(raw: unknown): StoredImage | undefined {
  if (!isRecord(raw) || typeof raw.dataUrl !== 'string') return undefined;
  const blob = dataUrlToBlob(raw.dataUrl);
  if (!blob) return undefined;
  return typeof raw.name === 'string' ? { blob, name: raw.name } : { blob };
}

const statsFields = [
  'promptTokens',
  'prefillTokens',
  'generatedTokens',
  'visionMs',
  'prefillMs',
  'timeToFirstTokenMs',
  'decodeTokensPerSecond',
  'totalMs',
] as const satisfies readonly (keyof TurnStats)[];

function isTurnStats(value: unknown): value is TurnStats {
  return isRecord(value) && statsFields.every((field) => typeof value[field] === 'number');
}

const errorCodes: Record<ErrorCode, true> = {
  'package-file-missing': true,
  'package-invalid': true,
  'download-failed': true,
  'quota-exceeded': true,
  'image-invalid': true,
  'model-text-only': true,
  'model-unknown': true,
  'model-not-loaded': true,
  'context-overflow': true,
  'backend-unavailable': true,
  'device-lost': true,
  'out-of-memory': true,
  busy: true,
  aborted: true,
  internal: true,
};

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value);
}

function isErrorObject(value: unknown): value is GlimpseErrorObject {
  return (
    isRecord(value) &&
    value.name === 'GlimpseError' &&
    isErrorCode(value.code) &&
    typeof value.message === 'string' &&
    (value.details === undefined ||
      (isRecord(value.details) && Object.values(value.details).every(isDetailValue)))
  );
}

function isDetailValue(value: unknown): value is string | number | boolean | null {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function blobToDataUrl(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  // String.fromCharCode takes its arguments on the stack: go in slices.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:${blob.type || 'application/octet-stream'};base64,${btoa(binary)}`;
}

function dataUrlToBlob(dataUrl: string): Blob | undefined {
  const match = /^data:([\w.+-]+\/[\w.+-]+)?;base64,([A-Za-z0-9+/=]*)$/.exec(dataUrl);
  if (!match) return undefined;
  const [, type = 'application/octet-stream', base64 = ''] = match;
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type });
}
