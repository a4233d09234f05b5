// Recordings over ARI: bridge recordings, pause and resume, stored files (download, delete), and
// Asterisk's RecordingFinished/RecordingFailed for the names this feature gives ("rec-…").
import { AriHttpError } from '../platform/ari/errors';
import type { AriRest } from '../platform/ari/rest';
import type { AriRouter } from '../platform/ari/router';
import type { RecordingService, RecordingTelephony } from './service';

export class AriRecordingTelephony implements RecordingTelephony {
  constructor(
    private readonly rest: AriRest,
    private readonly ari: { url: string; user: string; password: string },
  ) {}

  recordBridge(bridgeId: string, name: string, format: string): Promise<void> {
    return this.rest.recordBridge(bridgeId, { name, format });
  }

  async stop(name: string): Promise<void> {
    try {
      await this.rest.stopRecording(name);
    } catch (err) {
      if (!(err instanceof AriHttpError && err.notFound)) throw err;
    }
  }

  pause(name: string, paused: boolean): Promise<void> {
    return this.rest.pauseRecording(name, paused);
  }

  deleteStored(name: string): Promise<void> {
    return this.rest.deleteStoredRecordingQuietly(name);
  }

  /** The stored file's bytes; undefined when Asterisk has no such file. */
  async file(name: string): Promise<Buffer | undefined> {
    const res = await fetch(`${this.ari.url}/ari/recordings/stored/${encodeURIComponent(name)}/file`, { headers: { Authorization: `Basic ${Buffer.from(`${this.ari.user}:${this.ari.password}`).toString('base64')}` } });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new AriHttpError(res.status, 'GET', `/recordings/stored/${name}/file`, await res.text());
    return Buffer.from(await res.arrayBuffer());
  }
}

export const RECORDING_PREFIX = 'rec-';

export function registerRecordingAriHandlers(router: AriRouter, recordings: RecordingService, onError: (err: unknown) => void): void {
  router.onRecordings((ev) => void recordings.finished(ev.recording.name, ev.type === 'RecordingFinished', ev.recording.duration).catch(onError), RECORDING_PREFIX);
}
