/** Text with its http(s) URLs turned into links (error messages name the address to open). */
import type { ComponentChild } from 'preact';

const URL_PATTERN = /https?:\/\/[^\s"]+/g;
/** Sentence punctuation that ends a message but is not part of the URL before it. */
const TRAILING_PUNCTUATION = /[.,;:!?)]+$/;

export function Linkified({ text }: { text: string }) {
  const parts: ComponentChild[] = [];
  let at = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(TRAILING_PUNCTUATION, '');
    const start = match.index ?? 0;
    parts.push(text.slice(at, start));
    parts.push(
      <a key={start} href={url}>
        {url}
      </a>,
    );
    at = start + url.length;
  }
  parts.push(text.slice(at));
  return <>{parts}</>;
}
