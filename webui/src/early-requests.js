/**
 * The answers a page shows first (the session, the event catalogue, the
 * page's data), there before the modules ran: carried in the page by the
 * server for a signed-in browser (backend webui-pages.ts), or else asked for
 * by index.html's early script. Each is taken once, by the request for the
 * same URL. Only a fresh, successful answer is taken: anything else (a 401
 * before signing in, a page opened much later) is asked for again, so an
 * early answer never changes what a page shows.
 *
 * Each asked-for answer's body is read as soon as this module runs, so that
 * a request taking it waits for nothing more (no task per body read): the
 * first render, once they are all here (earlyAnswersRead, app.js), goes from
 * the session to the page with its data in one go, and the browser draws it
 * once.
 */

/** How long after the page loaded an early answer is still the page's data. */
const FRESH_MS = 10_000;

/** An early answer, read to its end. @typedef {{ ok: boolean, status: number, text: string }} EarlyAnswer */

/** @type {{ answers: Map<string, Promise<Response>> } | undefined} */
const early = /** @type {any} */ (window).vantageEarlyRequests;

/**
 * A response read to its end (api.js reads the ones it fetches itself the same way).
 * @param {Response} response @returns {Promise<EarlyAnswer>}
 */
export async function readAnswer(response) {
  return { ok: response.ok, status: response.status, text: await response.text() };
}

/** @type {Map<string, Promise<EarlyAnswer | null>>} */
const reads = new Map();
/** The URLs whose answers the server put in the page. @type {Set<string>} */
const carried = new Set();
for (const element of document.querySelectorAll('script[type="application/json"][data-answer]')) {
  const url = /** @type {string} */ (element.getAttribute('data-answer'));
  carried.add(url);
  reads.set(url, Promise.resolve({ ok: true, status: 200, text: element.textContent ?? '' }));
  element.remove(); // read once: the text lives on in the answer, not twice
}
for (const [url, answer] of early?.answers ?? []) {
  reads.set(
    url,
    answer
      .then(readAnswer)
      // Not reached, or cut off: the request for this URL asks again, and says why if that fails too.
      .catch(() => null),
  );
}

/**
 * The early answer for `url`, if there is a usable one (then it is gone).
 * @param {string} url path and query, as index.html wrote it
 * @returns {Promise<EarlyAnswer | null>}
 */
export async function takeEarlyAnswer(url) {
  const read = reads.get(url);
  if (!read) return null;
  reads.delete(url);
  if (Date.now() - performance.timeOrigin > FRESH_MS) return null;
  const answer = await read;
  return answer?.ok ? answer : null;
}

/**
 * Whether the server put the answer for `url` in the page (it does so only
 * for a valid session, webui-pages.ts), and it has not been taken yet.
 * @param {string} url
 */
export function carriesAnswer(url) {
  return carried.has(url) && reads.has(url);
}

/** Settles once every early answer has been read (or has failed). */
export function earlyAnswersRead() {
  return Promise.allSettled(reads.values());
}

/** Forgets the early answers not taken yet (the session they were asked with has ended). */
export function dropEarlyAnswers() {
  reads.clear();
}
