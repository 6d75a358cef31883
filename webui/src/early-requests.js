/**
 * The answers index.html asked for before the modules loaded (the session,
 * the event catalogue, the data of the page in the hash), each taken once by
 * the request for the same URL. Only a fresh, successful answer is taken:
 * anything else (a 401 before signing in, a page opened much later) is asked
 * for again, so an early answer never changes what a page shows.
 */

/** How long after the page loaded an early answer is still the page's data. */
const FRESH_MS = 10_000;

/** @type {{ answers: Map<string, Promise<Response>>, at: number } | undefined} */
const early = /** @type {any} */ (window).vantageEarlyRequests;

/**
 * The early answer for `url`, if there is a usable one (then it is gone).
 * @param {string} url path and query, as index.html wrote it
 * @returns {Promise<Response | null>}
 */
export async function takeEarlyAnswer(url) {
  const answer = early?.answers.get(url);
  if (!early || !answer) return null;
  early.answers.delete(url);
  if (Date.now() - early.at > FRESH_MS) return null;
  try {
    const response = await answer;
    return response.ok ? response : null;
  } catch {
    return null;
  }
}

/** Forgets the early answers not taken yet (the session they were asked with has ended). */
export function dropEarlyAnswers() {
  early?.answers.clear();
}
