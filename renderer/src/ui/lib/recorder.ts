// Recording a voice message (issue 13): MediaRecorder (Opus in WebM or Ogg where supported)
// and an AnalyserNode sampled ten times a second for the live level and the 64-value waveform.

import { frameLevel, recorderType, waveformOf } from './files';

/** The longest recording: 30 minutes (the level samples stay bounded). */
export const MAX_RECORDING_MS = 30 * 60 * 1000;
const SAMPLE_MS = 100;

export interface Recording {
  blob: Blob;
  durationMs: number;
  waveform: number[];
}

export class VoiceRecording {
  levels: number[] = [];
  private chunks: Blob[] = [];
  private started = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private constructor(
    private readonly stream: MediaStream,
    private readonly recorder: MediaRecorder,
    private readonly audio: AudioContext,
    private readonly analyser: AnalyserNode,
    private readonly onlevel: (level: number, elapsedMs: number) => void,
    private readonly onlimit: () => void,
  ) {}

  /** Asks for the microphone and starts; rejects with plain words when it cannot. */
  static async start(
    onlevel: (level: number, elapsedMs: number) => void,
    onlimit: () => void,
  ): Promise<VoiceRecording> {
    if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === 'undefined') {
      throw new Error('This browser cannot record audio.');
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      console.warn('voice: no microphone', e);
      const denied = e instanceof DOMException && e.name === 'NotAllowedError';
      throw new Error(
        denied
          ? "Ferry may not use the microphone. Allow it in the browser's or the system's settings, then try again."
          : 'No microphone was found. Connect one, then try again.',
        { cause: e },
      );
    }
    const type = recorderType((t) => MediaRecorder.isTypeSupported(t));
    const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const audio = new AudioContext();
    const analyser = audio.createAnalyser();
    analyser.fftSize = 1024;
    audio.createMediaStreamSource(stream).connect(analyser);
    const r = new VoiceRecording(stream, recorder, audio, analyser, onlevel, onlimit);
    r.begin();
    return r;
  }

  private begin() {
    this.recorder.ondataavailable = (e) => {
      if (e.data.size > 0) this.chunks.push(e.data);
    };
    this.recorder.start(250);
    this.started = performance.now();
    const frame = new Uint8Array(this.analyser.fftSize);
    this.timer = setInterval(() => {
      this.analyser.getByteTimeDomainData(frame);
      const level = frameLevel(frame);
      this.levels.push(level);
      const elapsed = performance.now() - this.started;
      this.onlevel(level, elapsed);
      if (elapsed >= MAX_RECORDING_MS) this.onlimit();
    }, SAMPLE_MS);
  }

  /** Stops and gives the recording. */
  async stop(): Promise<Recording> {
    const durationMs = Math.round(performance.now() - this.started);
    const stopped = new Promise<void>((resolve) => {
      this.recorder.onstop = () => resolve();
    });
    if (this.recorder.state !== 'inactive') this.recorder.stop();
    await stopped;
    this.release();
    const type = this.recorder.mimeType || 'audio/webm';
    return {
      blob: new Blob(this.chunks, { type: type.split(';')[0] }),
      durationMs,
      waveform: waveformOf(this.levels),
    };
  }

  /** Throws the recording away. */
  cancel(): void {
    if (this.recorder.state !== 'inactive') this.recorder.stop();
    this.release();
    this.chunks = [];
  }

  private release() {
    clearInterval(this.timer);
    for (const t of this.stream.getTracks()) t.stop();
    void this.audio.close().catch(() => undefined);
  }
}
