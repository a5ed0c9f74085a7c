import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CLUSTER_ID_BYTES,
  ID_BLOCK,
  ID_BLOCK_GROUP,
  ID_CLUSTER,
  ID_CRC32,
  ID_CUES,
  ID_EBML,
  ID_INFO,
  ID_SEGMENT,
  ID_SIMPLE_BLOCK,
  ID_TIMECODE,
  ID_TRACKS,
  ID_VOID,
  isClusterChild,
  isGlobal,
  isSegmentChild,
  isSegmentLevel,
} from '../../../src/server/webm/ids.js';
import { encodeId } from '../../../tools/webm.js';

describe('element ID table', () => {
  it('writes the Cluster ID bytes as the ID encodes', () => {
    assert.deepEqual([...CLUSTER_ID_BYTES], [...encodeId(ID_CLUSTER)]);
  });

  it('puts the Segment level masters under Segment, and Void and CRC-32 anywhere', () => {
    for (const id of [ID_CLUSTER, ID_INFO, ID_TRACKS, ID_CUES]) {
      assert.ok(isSegmentLevel(id));
      assert.ok(isSegmentChild(id));
      assert.ok(!isClusterChild(id));
    }
    for (const id of [ID_VOID, ID_CRC32]) {
      assert.ok(isGlobal(id));
      assert.ok(!isSegmentLevel(id), 'a global does not end an unknown-size Cluster');
      assert.ok(isSegmentChild(id));
      assert.ok(isClusterChild(id));
    }
  });

  it('keeps blocks inside a Cluster and the top level out of the Segment', () => {
    for (const id of [ID_SIMPLE_BLOCK, ID_BLOCK_GROUP, ID_TIMECODE]) {
      assert.ok(isClusterChild(id));
      assert.ok(!isSegmentChild(id));
    }
    for (const id of [ID_EBML, ID_SEGMENT, ID_BLOCK]) {
      assert.ok(!isSegmentChild(id));
      assert.ok(!isClusterChild(id));
    }
  });
});
