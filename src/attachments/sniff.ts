import { fileTypeFromBuffer } from 'file-type';
import { imageSize } from 'image-size';
import { parseStream } from 'music-metadata';
import type { AttachmentMetadata } from '../model/attachment.entity.js';
import type { StagedObject } from './storage.js';

/**
 * How much of a file the magic-number check reads: enough for file-type to walk the first
 * entries of a ZIP container (office documents). Bounded, so sniffing a huge file costs the same.
 */
const SNIFF_BYTES = 1024 * 1024;
/** How much of a file the text check reads. */
const TEXT_SNIFF_BYTES = 64 * 1024;
/** image-size needs the header; JPEG's can sit behind large EXIF blocks. */
const IMAGE_HEADER_BYTES = 512 * 1024;

/**
 * What the bytes are, ignoring what the client claimed: file-type's magic numbers first; for
 * anything without a signature, UTF-8 text is `text/plain` unless it starts like markup
 * (HTML, SVG), which browsers would render and run. Null: unrecognised binary.
 */
export async function sniffContentType(staged: StagedObject, size: number): Promise<string | null> {
  const head = await readHead(staged, Math.min(size, SNIFF_BYTES));
  const detected = await fileTypeFromBuffer(head);
  if (detected) return detected.mime;
  return textType(head.subarray(0, TEXT_SNIFF_BYTES));
}

// WHATWG MIME sniffing's "text/html" patterns, after optional whitespace.
const HTML_START = /^<(!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|!--)[\s>]/i;

function textType(head: Buffer): string | null {
  if (head.length === 0) return null;
  // Binary: NUL or control characters other than tab, newline, form feed, carriage return, escape.
  if (/[\u0000-\u0008\u000b\u000e-\u001a\u001c-\u001f\u007f]/.test(head.toString('latin1'))) return null;
  let text: string;
  try {
    // `stream: true` tolerates a character cut in half at the end of the head.
    text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    return null;
  }
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (HTML_START.test(start)) return 'text/html';
  if (/^<svg[\s>]/i.test(start)) return 'image/svg+xml';
  if (/^<\?xml[\s?]/i.test(start)) return 'application/xml';
  return 'text/plain';
}

/** Width and height for images (as displayed: EXIF rotations swap them), duration in seconds for audio and video. */
export async function readMetadata(staged: StagedObject, contentType: string, size: number): Promise<AttachmentMetadata> {
  try {
    if (contentType.startsWith('image/')) {
      const { width, height, orientation } = imageSize(await readHead(staged, Math.min(size, IMAGE_HEADER_BYTES)));
      if (!width || !height) return {};
      return orientation !== undefined && orientation >= 5 ? { width: height, height: width } : { width, height };
    }
    if (contentType.startsWith('audio/') || contentType.startsWith('video/')) {
      const source = staged.readBack();
      try {
        const { format } = await parseStream(source, { mimeType: contentType, size }, { duration: true, skipCovers: true });
        return format.duration !== undefined && Number.isFinite(format.duration) ? { duration: Math.round(format.duration * 1000) / 1000 } : {};
      } finally {
        source.destroy();
      }
    }
  } catch {
    // A file whose type was recognised but whose header a parser cannot read is still
    // accepted (players and viewers are more forgiving); it just carries no metadata.
  }
  return {};
}

async function readHead(staged: StagedObject, length: number): Promise<Buffer> {
  if (length <= 0) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of staged.readBack({ start: 0, end: length - 1 })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
