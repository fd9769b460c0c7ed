/**
 * Highlights come out of ts_headline with these private-use characters around each match
 * (stripped from the content beforehand, so a message cannot forge one), and are then
 * HTML-escaped with the markers turned into <mark>…</mark>: a client can insert the result as
 * HTML, and nothing else in it is markup.
 */
export const MATCH_START = '\uE000';
export const MATCH_END = '\uE001';

/** Fragments, words and characters: a highlight stays short whatever the message's length. */
export const HEADLINE_OPTIONS = `StartSel=${MATCH_START}, StopSel=${MATCH_END}, MaxWords=24, MinWords=8, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;
export const MAX_HIGHLIGHT_CHARS = 300;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function renderHighlight(headline: string): string {
  let text = headline.length > MAX_HIGHLIGHT_CHARS ? `${headline.slice(0, MAX_HIGHLIGHT_CHARS)}…` : headline;
  // Cutting may leave a match open.
  if (text.lastIndexOf(MATCH_START) > text.lastIndexOf(MATCH_END)) text += MATCH_END;
  return text
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!)
    .replaceAll(MATCH_START, '<mark>')
    .replaceAll(MATCH_END, '</mark>');
}
