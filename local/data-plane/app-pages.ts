/**
 * The pages templates/app.yaml really ships, extracted from the launch template's UserData (not a
 * copy), and what php-cli needs to serve them as an instance's httpd would: a document root with
 * the files, a router that applies the shipped httpd Aliases (php -S has none), and an `rpm` on
 * PATH for details.php's package query. The details-page contract test and the local data plane
 * both serve the app through this module, so they run the same pages the same way.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import { parseCfnTemplate } from '../../actions/lib/cfn-yaml';
import { REPO_ROOT } from '../env';

export const APP_TEMPLATE = join(REPO_ROOT, 'templates', 'app.yaml');

export interface ShippedApp {
  /** Files the bootstrap writes, by absolute path on the instance. */
  files: Map<string, string>;
  /** The bootstrap script itself (Fn::Sub template text). */
  script: string;
}

/**
 * Reads the UserData script of a launch template (AppLaunchTemplate of templates/app.yaml unless
 * told otherwise, e.g. BlueLaunchTemplate of templates/app-slots.yaml) and the files its
 * `cat > … <<'APP_FILE'` write.
 */
export function readShippedApp(templatePath = APP_TEMPLATE, launchTemplate = 'AppLaunchTemplate'): ShippedApp {
  const template = parseCfnTemplate(readFileSync(templatePath, 'utf8'), templatePath) as {
    Resources: Record<string, { Properties: { LaunchTemplateData: { UserData: unknown } } }>;
  };
  const userData = template.Resources[launchTemplate].Properties.LaunchTemplateData.UserData as {
    'Fn::Base64': { 'Fn::Sub': [string, Record<string, unknown>] | string };
  };
  const sub = userData['Fn::Base64']['Fn::Sub'];
  const script = Array.isArray(sub) ? sub[0] : sub;
  const files = new Map<string, string>();
  for (const match of script.matchAll(/^cat > (\S+) <<'APP_FILE'\n([\s\S]*?)\nAPP_FILE$/gm)) {
    files.set(match[1], `${match[2]}\n`);
  }
  return { files, script };
}

/** `Alias <url-path> <file>` lines of the shipped httpd config, as url-path → file name. */
export function aliasesOf(httpdConf: string): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const match of httpdConf.matchAll(/^Alias\s+(\S+)\s+(\S+)$/gm)) aliases[match[1]] = basename(match[2]);
  return aliases;
}

/** One installed package as `rpm -qa` knows it. */
export interface RpmPackage {
  name: string;
  version: string;
  release: string;
  arch: string;
}

export interface AppRoot {
  /** The document root (the shipped /var/www/html files). */
  docroot: string;
  /** router.php for `php -S … -t docroot router.php`. */
  router: string;
  /** Put first on PATH: holds the `rpm` the pages call. */
  binDir: string;
}

/**
 * Writes what `php -S` serves for one instance into `dir`: the shipped pages, the router and an
 * `rpm` that answers from `packages`. `rpmDatabase: 'corrupt'` makes that rpm fail as it does on
 * an image whose RPM database a bad patch broke (details.php then answers 503 through its own
 * error path, while the health page still answers ok).
 */
export function writeAppRoot(dir: string, packages: readonly RpmPackage[], options: { rpmDatabase?: 'ok' | 'corrupt'; app?: ShippedApp } = {}): AppRoot {
  const app = options.app ?? readShippedApp();
  const docroot = join(dir, 'docroot');
  const binDir = join(dir, 'bin');
  mkdirSync(docroot, { recursive: true });
  mkdirSync(binDir, { recursive: true });
  for (const [path, content] of app.files) {
    if (path.startsWith('/var/www/html/')) writeFileSync(join(docroot, basename(path)), content);
  }
  const router = join(dir, 'router.php');
  writeFileSync(router, routerSource(aliasesOf(app.files.get('/etc/httpd/conf.d/app.conf') ?? '')));
  writeFakeRpm(binDir, packages, options.rpmDatabase ?? 'ok');
  return { docroot, router, binDir };
}

/** Applies the shipped Aliases; everything else is served from the document root as httpd would (PHP executed, the rest static). */
function routerSource(aliases: Record<string, string>): string {
  return `<?php
$aliases = json_decode(${JSON.stringify(JSON.stringify(aliases))}, true);
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if (isset($aliases[$path])) { require __DIR__ . '/docroot/' . $aliases[$path]; return true; }
return false;
`;
}

/**
 * A stand-in `rpm` for `rpm -qa --queryformat FMT`: one awk over a package table, honouring the
 * format's %{NAME} %{VERSION} %{RELEASE} %{ARCH} and its \t/\n escapes as rpm does, so a wrong
 * query format in details.php shows up. A shell script, not Node: the data plane calls it on
 * every details request, and a Node start per request would cost more than PHP itself.
 */
function writeFakeRpm(binDir: string, packages: readonly RpmPackage[], database: 'ok' | 'corrupt'): void {
  const table = join(binDir, 'rpm-packages.tsv');
  writeFileSync(table, packages.map((p) => `${p.name}\t${p.version}\t${p.release}\t${p.arch}\n`).join(''));
  const corrupt = `echo 'error: rpmdb: BDB0113 Thread/process failed: Thread died in Berkeley DB library' >&2
echo 'error: cannot open Packages index using db5 - (-30973)' >&2
exit 1
`;
  const answer = `exec awk -v fmt="$3" 'BEGIN { FS = "\\t" }
{ line = fmt; gsub(/%\\{NAME\\}/, $1, line); gsub(/%\\{VERSION\\}/, $2, line); gsub(/%\\{RELEASE\\}/, $3, line); gsub(/%\\{ARCH\\}/, $4, line); printf "%s", line }' '${table}'
`;
  const source = `#!/bin/sh
# STAND-IN rpm (local data plane / contract test): answers rpm -qa --queryformat FMT only.
if [ "$1" != -qa ] || [ "$2" != --queryformat ] || [ -z "$3" ]; then
  echo "fake rpm: unexpected arguments $*" >&2
  exit 2
fi
${database === 'corrupt' ? corrupt : answer}`;
  const path = join(binDir, 'rpm');
  writeFileSync(path, source);
  chmodSync(path, 0o755);
}
