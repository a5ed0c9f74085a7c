import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  ID_INFO,
  ID_SEGMENT,
  ID_SIMPLE_TAG,
  ID_TAG,
  ID_TAG_NAME,
  ID_TAG_STRING,
  ID_TAG_TRACK_UID,
  ID_TAGS,
  ID_TARGETS,
  ID_TITLE,
  ID_TRACKS,
} from '../../../src/server/webm/ids.js';
import { webmTitleTags } from '../../../src/server/webm/opus-demuxer.js';
import { concatBytes, mulberry32, randomBytes } from '../../../tools/bytes.js';
import {
  ebmlElement,
  ebmlHeader,
  stringElement,
  uintElement,
  unknownSizeElement,
} from '../../../tools/webm.js';
import { FFMPEG, trackEntry } from '../../helpers/opus-webm.js';

const simpleTag = (name: string, value: string) =>
  ebmlElement(ID_SIMPLE_TAG, [stringElement(ID_TAG_NAME, name), stringElement(ID_TAG_STRING, value)]);

function initWith(info: Uint8Array[], tags: Uint8Array[]): Uint8Array {
  return concatBytes([
    ebmlHeader(),
    unknownSizeElement(ID_SEGMENT),
    ebmlElement(ID_INFO, info),
    ebmlElement(ID_TRACKS, [trackEntry()]),
    ebmlElement(ID_TAGS, tags),
  ]);
}

describe('webmTitleTags', () => {
  it("reads ffmpeg's -metadata title and artist from the bytes before the first Cluster", () => {
    const webm = execFileSync(FFMPEG, [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=f=440:d=0.2'],
      ...[
        '-c:a',
        'libopus',
        '-metadata',
        'title=Morning lesson',
        '-metadata',
        'artist=Room 4',
        '-f',
        'webm',
        '-',
      ],
    ]);
    const cluster = webm.indexOf(Buffer.from([0x1f, 0x43, 0xb6, 0x75]));
    assert.ok(cluster > 0);
    const tags = webmTitleTags(new Uint8Array(webm.subarray(0, cluster)));
    assert.ok(tags.includes('TITLE=Morning lesson'), tags.join(', '));
    assert.ok(tags.includes('ARTIST=Room 4'), tags.join(', '));
  });

  it('keeps Segment-wide tags only, and leaves out values too long to be a title', () => {
    const init = initWith(
      [stringElement(ID_TITLE, 'Show')],
      [
        ebmlElement(ID_TAG, [ebmlElement(ID_TARGETS, []), simpleTag('artist', 'Host')]),
        ebmlElement(ID_TAG, [
          ebmlElement(ID_TARGETS, [uintElement(ID_TAG_TRACK_UID, 1)]),
          simpleTag('ARTIST', 'the track, not the show'),
        ]),
        ebmlElement(ID_TAG, [simpleTag('COMMENT', 'x'.repeat(2000))]),
      ],
    );
    assert.deepEqual(webmTitleTags(init), ['TITLE=Show', 'ARTIST=Host']);
  });

  it('never throws on a cut or random init', () => {
    const init = initWith([stringElement(ID_TITLE, 'Show')], [ebmlElement(ID_TAG, [simpleTag('A', 'b')])]);
    for (let cut = 0; cut < init.length; cut++) webmTitleTags(init.subarray(0, cut));
    const rand = mulberry32(7);
    for (let i = 0; i < 200; i++) webmTitleTags(randomBytes(Math.floor(rand() * 400), rand));
    assert.deepEqual(webmTitleTags(init), ['TITLE=Show', 'A=b']);
  });
});
