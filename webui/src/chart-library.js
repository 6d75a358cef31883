/**
 * The chart library (uPlot), a module of its own that only pages with charts
 * load: chart.js imports it at the first chart. A page that draws a chart as
 * soon as it shows (a service's page, loaded from its address) also runs it
 * as a module script before app.js (backend webui-routes.ts), and it leaves
 * the library where chart.js finds it at once: through `import()` alone, it
 * came a task after app.js ran, and meanwhile the browser laid out and
 * painted the page's "Loading" line.
 */
import uPlot from 'uplot';

// globalThis: the same as window in a page, and there where the bundle is tried in Node (the tests).
/** @type {any} */ (globalThis).vantageUPlot = uPlot;

export default uPlot;
