// The first embedded app on a machine builds the PGlite template (test/helpers/app.ts): about 8 s alone, several
// times that while the other workers load both cores, which a spec's beforeAll (30 s, the app's start included) could
// not absorb on a fresh machine. It is built here, in a hook of its own that runs before the spec's hooks; once it
// exists, this hook costs one file check.
import { embeddedTemplate } from '../helpers/app.js';

beforeAll(() => embeddedTemplate(), 180_000);
