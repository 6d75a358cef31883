/**
 * The effect a component starts its requests from. Preact runs `useEffect`
 * after the next frame (requestAnimationFrame, then a timeout), which a
 * headless or background tab delays further; a page's data waits on a chain
 * of such steps (the session, then the event catalogue, then the page's own
 * requests), each a frame later. A layout effect runs as soon as the render
 * is in the document, so each request starts at once. Only for effects that
 * start requests: the work there is a call that returns at once.
 */
import { useLayoutEffect } from 'preact/hooks';

export const useLoadEffect = useLayoutEffect;
