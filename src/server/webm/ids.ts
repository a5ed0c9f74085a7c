/**
 * The EBML element IDs the kit reads and writes, in one table, with the names error messages use and
 * where the elements may appear. The splitter, the demuxer and the muxer all take theirs from here.
 */

// Level 0.
export const ID_EBML = 0x1a45dfa3;
export const ID_SEGMENT = 0x18538067;
// Children of the EBML header.
export const ID_EBML_VERSION = 0x4286;
export const ID_EBML_READ_VERSION = 0x42f7;
export const ID_EBML_MAX_ID_LENGTH = 0x42f2;
export const ID_EBML_MAX_SIZE_LENGTH = 0x42f3;
export const ID_DOC_TYPE = 0x4282;
export const ID_DOC_TYPE_VERSION = 0x4287;
export const ID_DOC_TYPE_READ_VERSION = 0x4285;
// Children of Segment.
export const ID_SEEK_HEAD = 0x114d9b74;
export const ID_INFO = 0x1549a966;
export const ID_TRACKS = 0x1654ae6b;
export const ID_CLUSTER = 0x1f43b675;
/** The Cluster ID as it is written: where a sync point begins. */
export const CLUSTER_ID_BYTES = [0x1f, 0x43, 0xb6, 0x75] as const;
export const ID_CUES = 0x1c53bb6b;
export const ID_ATTACHMENTS = 0x1941a469;
export const ID_CHAPTERS = 0x1043a770;
export const ID_TAGS = 0x1254c367;
export const ID_TAG = 0x7373;
export const ID_TARGETS = 0x63c0;
export const ID_TAG_TRACK_UID = 0x63c5;
export const ID_SIMPLE_TAG = 0x67c8;
export const ID_TAG_NAME = 0x45a3;
export const ID_TAG_STRING = 0x4487;
// Children of SeekHead and of a Seek.
export const ID_SEEK = 0x4dbb;
export const ID_SEEK_ID = 0x53ab;
export const ID_SEEK_POSITION = 0x53ac;
// Children of Info.
export const ID_TIMECODE_SCALE = 0x2ad7b1;
export const ID_DURATION = 0x4489;
/** Info's Title: ffmpeg writes `-metadata title=…` here. */
export const ID_TITLE = 0x7ba9;
export const ID_MUXING_APP = 0x4d80;
export const ID_WRITING_APP = 0x5741;
// Children of Tracks and of a TrackEntry.
export const ID_TRACK_ENTRY = 0xae;
export const ID_TRACK_NUMBER = 0xd7;
export const ID_TRACK_UID = 0x73c5;
export const ID_TRACK_TYPE = 0x83;
export const ID_CODEC_ID = 0x86;
export const ID_CODEC_PRIVATE = 0x63a2;
export const ID_CODEC_DELAY = 0x56aa;
export const ID_SEEK_PRE_ROLL = 0x56bb;
export const ID_CONTENT_ENCODINGS = 0x6d80;
export const ID_AUDIO = 0xe1;
// Children of Audio.
export const ID_SAMPLING_FREQUENCY = 0xb5;
export const ID_CHANNELS = 0x9f;
// Children of Cluster.
export const ID_TIMECODE = 0xe7;
export const ID_SILENT_TRACKS = 0x5854;
export const ID_POSITION = 0xa7;
export const ID_PREV_SIZE = 0xab;
export const ID_SIMPLE_BLOCK = 0xa3;
export const ID_BLOCK_GROUP = 0xa0;
export const ID_ENCRYPTED_BLOCK = 0xaf;
// Children of BlockGroup.
export const ID_BLOCK = 0xa1;
// Children of Cues, of a CuePoint and of its CueTrackPositions.
export const ID_CUE_POINT = 0xbb;
export const ID_CUE_TIME = 0xb3;
export const ID_CUE_TRACK_POSITIONS = 0xb7;
export const ID_CUE_TRACK = 0xf7;
export const ID_CUE_CLUSTER_POSITION = 0xf1;
// Global: allowed inside any master element.
export const ID_VOID = 0xec;
export const ID_CRC32 = 0xbf;

/**
 * Names of the elements that error messages name: the structure the splitter checks (any other ID
 * is named by its hex value).
 */
const ELEMENT_NAMES: ReadonlyMap<number, string> = new Map([
  [ID_EBML, 'EBML header'],
  [ID_SEGMENT, 'Segment'],
  [ID_SEEK_HEAD, 'SeekHead'],
  [ID_INFO, 'Info'],
  [ID_TRACKS, 'Tracks'],
  [ID_CLUSTER, 'Cluster'],
  [ID_CUES, 'Cues'],
  [ID_ATTACHMENTS, 'Attachments'],
  [ID_CHAPTERS, 'Chapters'],
  [ID_TAGS, 'Tags'],
  [ID_TIMECODE, 'Timecode'],
  [ID_SILENT_TRACKS, 'SilentTracks'],
  [ID_POSITION, 'Position'],
  [ID_PREV_SIZE, 'PrevSize'],
  [ID_SIMPLE_BLOCK, 'SimpleBlock'],
  [ID_BLOCK_GROUP, 'BlockGroup'],
  [ID_ENCRYPTED_BLOCK, 'EncryptedBlock'],
  [ID_VOID, 'Void'],
  [ID_CRC32, 'CRC-32'],
]);

/** An element ID as hex, the way the Matroska spec writes it: `0x1F43B675`. */
export function hexId(id: number): string {
  const hex = id.toString(16).toUpperCase();
  return `0x${hex.length % 2 === 0 ? hex : `0${hex}`}`;
}

/** An element ID for error messages: `Cluster (0x1F43B675)`, or `unknown element 0x43C6`. */
export function describeId(id: number): string {
  const name = ELEMENT_NAMES.get(id);
  return name === undefined ? `unknown element ${hexId(id)}` : `${name} (${hexId(id)})`;
}

/** True for Void and CRC-32, which may appear inside any master element. */
export function isGlobal(id: number): boolean {
  return id === ID_VOID || id === ID_CRC32;
}

/**
 * True for the master elements of the Segment's own level (Cluster, Tracks, Cues, …; not the global
 * Void and CRC-32). One of them ends a Cluster of unknown size, and none may appear in a BlockGroup.
 */
export function isSegmentLevel(id: number): boolean {
  switch (id) {
    case ID_SEEK_HEAD:
    case ID_INFO:
    case ID_TRACKS:
    case ID_CLUSTER:
    case ID_CUES:
    case ID_ATTACHMENTS:
    case ID_CHAPTERS:
    case ID_TAGS:
      return true;
    default:
      return false;
  }
}

/** True for every element a Segment may hold directly: its own level plus the globals. */
export function isSegmentChild(id: number): boolean {
  return isSegmentLevel(id) || isGlobal(id);
}

/** True for every element a Cluster may hold directly, globals included. */
export function isClusterChild(id: number): boolean {
  switch (id) {
    case ID_TIMECODE:
    case ID_SIMPLE_BLOCK:
    case ID_BLOCK_GROUP:
    case ID_VOID:
    case ID_CRC32:
    case ID_SILENT_TRACKS:
    case ID_POSITION:
    case ID_PREV_SIZE:
    case ID_ENCRYPTED_BLOCK:
      return true;
    default:
      return false;
  }
}
