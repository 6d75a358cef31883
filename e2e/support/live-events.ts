/**
 * A reader of GET /api/live (Server-Sent Events) for tests: it keeps every
 * event the stream delivered, in order, so a test can wait for one and count
 * how often each id came.
 */
import { adminFetch } from '@vantage/backend/testing';

export interface LiveEvent {
  id: number;
  uei: string;
  location: string | null;
  monitorId: string | null;
  serviceId: string | null;
  params: Record<string, string>;
}

export interface LiveStream {
  readonly events: LiveEvent[];
  /** How many times the stream delivered each event id. */
  countsById(): Map<number, number>;
  close(): void;
}

/** Opens the stream at `baseUrl` (http://127.0.0.1:PORT) as the test administrator; resolves once the server answered. */
export async function openLiveStream(baseUrl: string): Promise<LiveStream> {
  const controller = new AbortController();
  const response = await adminFetch(`${baseUrl}/api/live`, { signal: controller.signal });
  if (response.status !== 200 || !response.body) throw new Error(`GET ${baseUrl}/api/live answered ${response.status}`);
  const events: LiveEvent[] = [];
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffered += value;
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const message = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = message.split('\n').find((line) => line.startsWith('data: '));
          if (data) events.push(JSON.parse(data.slice('data: '.length)) as LiveEvent);
        }
      }
    } catch {
      // Aborted by close(), or the backend went away: the events so far are what the test looks at.
    }
  })();
  return {
    events,
    countsById() {
      const counts = new Map<number, number>();
      for (const event of events) counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
      return counts;
    },
    close: () => controller.abort(),
  };
}
