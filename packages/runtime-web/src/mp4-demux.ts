/**
 * MP4/MOV demuxing (with mp4box.js) into what WebCodecs' `VideoDecoder` needs: the decoder
 * configuration and the encoded samples of the first video track.
 *
 * @module
 */
import { DataStream, Endianness, MP4BoxBuffer, createFile, type Sample } from 'mp4box';

/** The first video track of an MP4, ready for `VideoDecoder`. */
export interface Mp4VideoTrack {
  /** `VideoDecoder.configure` argument (codec string, coded size, codec description box). */
  config: VideoDecoderConfig;
  /** Display size. */
  width: number;
  height: number;
  /** Samples in decode order. */
  samples: Sample[];
  /** Track timescale (ticks per second). */
  timescale: number;
  /** Frames per second from the track's sample count and duration (undefined when the duration is 0). */
  fps: number | undefined;
  /** YUV matrix and range from the sample entry's `colr` (nclx) box; undefined when the file does not say. */
  colorSpace: { matrix: VideoMatrixCoefficients; fullRange: boolean } | undefined;
}

/** ISO/IEC 23091-2 matrix coefficient codes the SDK converts. */
const MATRIX_CODES: Record<number, VideoMatrixCoefficients> = { 1: 'bt709', 5: 'bt470bg', 6: 'smpte170m' };

function colourOf(entry: Record<string, unknown>): Mp4VideoTrack['colorSpace'] {
  const colr = entry.colr as { colour_type?: string; matrix_coefficients?: number; full_range_flag?: number } | undefined;
  if (colr?.colour_type !== 'nclx' || colr.matrix_coefficients === undefined) return undefined;
  const matrix = MATRIX_CODES[colr.matrix_coefficients];
  return matrix === undefined ? undefined : { matrix, fullRange: colr.full_range_flag === 1 };
}

/** A container recognised from its first bytes, or `null`. */
export type ContainerKind = 'mp4' | 'webm' | 'avi' | 'ogg' | 'mpeg-ts' | 'flv';

/**
 * Recognises common video containers from their first bytes (magic numbers only; it does not
 * check that the file is whole).
 */
export function sniffContainer(head: Uint8Array): ContainerKind | null {
  const ascii = (from: number, to: number): string => String.fromCharCode(...head.subarray(from, to));
  if (head.length >= 12 && ['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip'].includes(ascii(4, 8))) return 'mp4';
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'webm';
  if (head.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 11) === 'AVI') return 'avi';
  if (head.length >= 4 && ascii(0, 4) === 'OggS') return 'ogg';
  if (head.length >= 3 && ascii(0, 3) === 'FLV') return 'flv';
  if (head.length >= 189 && head[0] === 0x47 && head[188] === 0x47) return 'mpeg-ts';
  return null;
}

interface CodecBox {
  write(stream: DataStream): void;
}

function codecDescription(entry: Record<string, unknown>): Uint8Array | undefined {
  const box = (entry.avcC ?? entry.hvcC ?? entry.vpcC ?? entry.av1C) as CodecBox | undefined;
  if (box === undefined) return undefined;
  const stream = new DataStream(undefined, 0, Endianness.BIG_ENDIAN);
  box.write(stream);
  // Skip the 8-byte box header (size + fourcc): WebCodecs wants the box's payload.
  return new Uint8Array(stream.buffer as ArrayBuffer, 8);
}

/**
 * Demuxes the first video track of an MP4/MOV file held in memory.
 * @param bytes - the whole file
 * @returns the track, or `null` when the file has no video track
 * @throws Error with mp4box's message for a file mp4box cannot parse
 */
export function demuxMp4(bytes: ArrayBuffer): Mp4VideoTrack | null {
  const file = createFile();
  let failure: string | null = null;
  file.onError = (module: string, message: string) => {
    failure = `${module}: ${message}`;
  };
  let result: Mp4VideoTrack | null = null;
  let trackId = -1;
  const samples: Sample[] = [];
  file.onReady = (info) => {
    const track = info.videoTracks[0];
    if (track === undefined) return;
    trackId = track.id;
    const trak = file.getTrackById(track.id);
    const entry = trak.mdia.minf.stbl.stsd.entries[0] as unknown as Record<string, unknown>;
    const description = codecDescription(entry);
    const seconds = track.duration / track.timescale;
    result = {
      config: {
        codec: track.codec.startsWith('vp08') ? 'vp8' : track.codec,
        codedWidth: track.video?.width ?? track.track_width,
        codedHeight: track.video?.height ?? track.track_height,
        ...(description !== undefined && { description }),
      },
      width: track.video?.width ?? track.track_width,
      height: track.video?.height ?? track.track_height,
      samples,
      timescale: track.timescale,
      fps: seconds > 0 ? track.nb_samples / seconds : undefined,
      colorSpace: colourOf(entry),
    };
    file.setExtractionOptions(track.id, null, { nbSamples: track.nb_samples });
    file.start();
  };
  file.onSamples = (id: number, _user: unknown, batch: Sample[]) => {
    if (id === trackId) samples.push(...batch);
  };
  file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(bytes, 0), true);
  file.flush();
  if (failure !== null && result === null) throw new Error(failure);
  return result;
}
