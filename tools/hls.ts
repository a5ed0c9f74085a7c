/** Reading HLS playlists in tests: tag values, attributes, the parts and segments a playlist lists. */

/** The values of every `#TAG:` line of `text`. */
export function hlsTags(text: string, tag: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`#${tag}:`))
    .map((l) => l.slice(tag.length + 2));
}

/** Attribute `name` of an attribute list (`A=1,B="x"`), quotes removed. */
export function hlsAttr(value: string, name: string): string | undefined {
  return new RegExp(`(?:^|,)${name}=("[^"]*"|[^,]*)`).exec(value)?.[1]?.replace(/^"|"$/g, '');
}

/** Segment and part of a media URI `…/s<msn>.m4s` or `…/s<msn>.<part>.m4s`. */
export function hlsPosition(uri: string): { msn: number; part?: number } {
  const m = /s(\d+)(?:\.(\d+))?\.m4s$/.exec(uri);
  if (!m) throw new Error(`not an HLS media URI: ${uri}`);
  return m[2] === undefined ? { msn: Number(m[1]) } : { msn: Number(m[1]), part: Number(m[2]) };
}

/** The URI of the preload hint of a playlist (the next part), or undefined. */
export function hlsHint(text: string): string | undefined {
  const hint = hlsTags(text, 'EXT-X-PRELOAD-HINT')[0];
  return hint === undefined ? undefined : hlsAttr(hint, 'URI');
}

/** Every part URI a playlist lists, in order. */
export function hlsParts(text: string): string[] {
  return hlsTags(text, 'EXT-X-PART').map((p) => hlsAttr(p, 'URI') ?? '');
}

/** Every complete segment URI a playlist lists (the lines that are not tags), in order. */
export function hlsSegments(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}
