// Vendors the page's libraries: copies the minified builds of cytoscape (graphs) and uPlot
// (charts) with their licences from node_modules (installed from package-lock.json by
// `npm ci`) into the Python package, so `pip install` needs no node and the page loads
// nothing from a CDN.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, "static", "vendor");
// package -> [file in the package, name in static/vendor]
const libraries = {
  cytoscape: [
    ["dist/cytoscape.min.js", "cytoscape.min.js"],
    ["LICENSE", "cytoscape-LICENSE.txt"],
  ],
  uplot: [
    ["dist/uPlot.iife.min.js", "uPlot.iife.min.js"],
    ["dist/uPlot.min.css", "uPlot.min.css"],
    ["LICENSE", "uPlot-LICENSE.txt"],
  ],
};

mkdirSync(target, { recursive: true });
for (const [name, files] of Object.entries(libraries)) {
  const source = join(here, "node_modules", name);
  const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
  for (const [from, to] of files) copyFileSync(join(source, from), join(target, to));
  console.log(`vendored ${name} ${version} into ${target}`);
}
