// The docs against what they describe: every configuration variable has its row, every relative link leads to a
// file, every page is reachable from the README, and the README stays short.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** Pages other engineers write; a link to them may lead nowhere until they land. */
const WRITTEN_ELSEWHERE = new Set(['docs/architecture.md', 'docs/reliability.md']);

function markdownFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

const pages = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', ...markdownFiles('docs')];

/** Relative link targets of a Markdown file (code spans and blocks left out), resolved from the repository root. */
function relativeLinks(file: string): string[] {
  const text = read(file)
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '');
  const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  return targets
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#'))
    .map((t) => relative(root, resolve(root, dirname(file), decodeURI(t.split('#')[0]))));
}

/** Relative links with a fragment, as [file, target path, fragment]. */
function fragmentLinks(file: string): [string, string][] {
  const text = read(file).replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s#:]*)#([^)\s]+)\)/g)].map((m) => [
    m[1] ? relative(root, resolve(root, dirname(file), m[1])) : file,
    m[2],
  ]);
}

/** GitHub's anchors of a Markdown file: its headings' slugs and explicit ids. */
function anchors(file: string): Set<string> {
  const text = read(file).replace(/```[\s\S]*?```/g, '');
  const headings = [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
    m[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-'),
  );
  return new Set([...headings, ...[...text.matchAll(/id="([^"]+)"/g)].map((m) => m[1])]);
}

/** The variables of the environment schema: the properties of its class. */
function schemaVariables(): string[] {
  const source = read('src/config/environment.ts');
  const body = source.slice(source.indexOf('export class EnvironmentVariables'));
  const end = body.indexOf('\n}\n');
  return [...body.slice(0, end).matchAll(/^ {2}([A-Z][A-Z0-9_]+)\??\s*[=:;]/gm)].map((m) => m[1]);
}

/** The variables with a row in docs/configuration.md, above its "Not read by the server" section. */
function documentedVariables(): string[] {
  const page = read('docs/configuration.md').split(/^## Not read by the server/m)[0];
  return [...page.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
}

/** Variables the docs name that scripts, examples and tests read (listed under "Not read by the server"). */
function scriptVariables(): string[] {
  const section = read('docs/configuration.md').split(/^## Not read by the server/m)[1] ?? '';
  return [...section.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]);
}

/** `NAME=` assignments in the shell blocks of a Markdown file, leaving out shell locals (`NAME=$(...)`). */
function shellAssignments(file: string): string[] {
  const blocks = [...read(file).matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((block) => [...block.matchAll(/(?:^|[\s'"])([A-Z][A-Z0-9_]+)=(?!\$\()/gm)].map((m) => m[1]));
}

describe('Docs', () => {
  it('should have a row in docs/configuration.md for every variable of src/config/environment.ts, and no other', () => {
    const schema = schemaVariables();
    expect(schema.length).toBeGreaterThan(30);
    const documented = documentedVariables();
    expect(documented.filter((v, i) => documented.indexOf(v) !== i)).toEqual([]);
    expect([...documented].sort()).toEqual([...schema].sort());
  });

  it.each(pages)('should have every relative link of %s lead to a file', (file) => {
    const broken = relativeLinks(file).filter(
      (target) => !existsSync(join(root, target)) && !WRITTEN_ELSEWHERE.has(target),
    );
    expect(broken).toEqual([]);
  });

  it('should have every #fragment of a relative link name a heading of its page', () => {
    const broken = pages.flatMap((file) =>
      fragmentLinks(file)
        .filter(([target]) => target.endsWith('.md') && existsSync(join(root, target)))
        .filter(([target, fragment]) => !anchors(target).has(fragment))
        .map(([target, fragment]) => `${file} → ${target}#${fragment}`),
    );
    expect(broken).toEqual([]);
  });

  it('should link every page of docs/ from the README, and the pages other engineers write', () => {
    const fromReadme = new Set(relativeLinks('README.md'));
    expect(markdownFiles('docs').filter((page) => !fromReadme.has(page))).toEqual([]);
    for (const page of WRITTEN_ELSEWHERE) expect(fromReadme.has(page)).toBe(true);
  });

  it('should name only variables the server or a documented script reads, in every shell block of the docs', () => {
    const known = new Set([...schemaVariables(), ...scriptVariables()]);
    const unknown = pages.flatMap((file) => shellAssignments(file).map((name) => `${file}: ${name}`));
    expect(unknown.filter((entry) => !known.has(entry.split(': ')[1]))).toEqual([]);
  });

  it('should give Compose only variables the server reads, from .env (no command needs one exported)', () => {
    const schema = new Set(schemaVariables());
    const example = [...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect(example).toContain('JWT_SECRET');
    expect(example.filter((name) => !schema.has(name))).toEqual([]);
    // The Docker test image leaves the Compose file out (.dockerignore); everywhere else it is checked.
    if (!existsSync(join(root, 'docker-compose.yml'))) return;
    const compose = read('docker-compose.yml');
    expect(compose).not.toMatch(/\$\{[A-Z_]+:?\?/);
    expect(compose).toMatch(/env_file:\s+- path: \.env\s+required: false/);
    const app = compose.slice(compose.indexOf('x-app:'), compose.indexOf('\nservices:'));
    const set = [...app.matchAll(/^ {4}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
    expect(set.filter((name) => !schema.has(name))).toEqual([]);
  });

  it('should keep the nginx config sticky, upgrading WebSockets, and telling the app the client address', () => {
    const conf = read('deploy/nginx/realtime-hub.conf');
    expect(conf).toMatch(/^\s*hash \$remote_addr consistent;/m);
    expect(conf).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(conf).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    expect(conf).toMatch(/proxy_http_version 1\.1;/);
    expect(conf).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
    expect(Number(/proxy_read_timeout (\d+)s;/.exec(conf)?.[1])).toBeGreaterThan(45);
  });

  it('should keep the README under 8 KB', () => {
    expect(Buffer.byteLength(read('README.md'))).toBeLessThan(8 * 1024);
  });
});
