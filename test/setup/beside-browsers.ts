// Every spec file but the browser specs runs its worker (its apps, and the processes it starts) at a nice value 5
// above the Jest process's, a lower priority. The browser specs run one at a time and their chain is a whole run's
// longest path: 625 s of a 721-s test phase in a clean-clone run on the slower machine (2026-12-02), against about
// 420 s for the four alone, the two cores being shared evenly with the other workers. Given precedence, Chromium and
// its app take the CPU they need and the other workers the rest (625 → 527 s in the next run).
// test/web/browser.ts puts its worker back at Jest's priority where allowed.
import { getPriority, setPriority } from 'node:os';

const jest = getPriority(process.ppid);
if (getPriority() === jest) setPriority(Math.min(jest + 5, 19));
