// Vendors the page's graph library: copies cytoscape's minified build and its licence from
// node_modules (installed from package-lock.json by `npm ci`) into the Python package, so
// `pip install` needs no node and the page loads nothing from a CDN.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "node_modules", "cytoscape");
const target = join(here, "static", "vendor");
const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));

mkdirSync(target, { recursive: true });
copyFileSync(join(source, "dist", "cytoscape.min.js"), join(target, "cytoscape.min.js"));
copyFileSync(join(source, "LICENSE"), join(target, "cytoscape-LICENSE.txt"));
console.log(`vendored cytoscape ${version} into ${target}`);
