// Run Python code in real Pyodide (xlwings Lite's runtime) under Node, offline.
//
//   node pyodide_run.mjs PYODIDE_DIR JOB.json
//
// PYODIDE_DIR is what .ci/pyodide.sh prepared: node_modules/pyodide and wheels/ (pydantic and its
// dependencies for Pyodide's ABI, micropip). JOB.json: {"files": {"/pyodide/path": "/host/path"},
// "micropip": ["emfs:/pyodide/path/x.whl"], "code": "...python whose last expression is a JSON string"}.
// Prints one JSON line: {"result": <the code's JSON>, "load_ms": ..., "python": "3.14.x", "pyodide": "..."}.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, jobPath] = process.argv.slice(2);
const job = JSON.parse(readFileSync(jobPath, "utf8"));
const moduleUrl = pathToFileURL(join(pyodideDir, "node_modules", "pyodide", "pyodide.mjs")).href;
const { loadPyodide, version } = await import(moduleUrl);

const started = performance.now();
const py = await loadPyodide({
  stdout: (line) => process.stderr.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});
const wheelsDir = join(pyodideDir, "wheels");
const wheels = readdirSync(wheelsDir)
  .filter((name) => name.endsWith(".whl"))
  .map((name) => join(wheelsDir, name));
await py.loadPackage(wheels, { messageCallback: () => {} });
for (const [dest, src] of Object.entries(job.files || {})) {
  py.FS.mkdirTree(dirname(dest));
  py.FS.writeFile(dest, readFileSync(src));
}
if (job.micropip && job.micropip.length) {
  py.globals.set("_wheels", py.toPy(job.micropip));
  await py.runPythonAsync("import micropip\nawait micropip.install(list(_wheels), deps=False)");
}
const loadMs = performance.now() - started;
const result = await py.runPythonAsync(job.code);
const pythonVersion = py.runPython("import sys; sys.version.split()[0]");
process.stdout.write(
  JSON.stringify({ result: JSON.parse(result), load_ms: loadMs, python: pythonVersion, pyodide: version }) + "\n",
);
