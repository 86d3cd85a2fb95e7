/** Messages between EvtxPool and its workers that are not tasks. */

/** Asks a worker to end its thread. */
export const STOP = 'stop';
