// Reads a coex deploy folder's circuit.qasm with the npm package quantum-circuit (its own OpenQASM
// 2.0 parser and state-vector simulator), and compares each output qubit's probability of 1 with
// the probabilities coex's simulator gave (deploy.json, circuit.probabilities):
//   node check_qasm.mjs DEPLOY_DIR [--tolerance 1e-9]
// Prints one JSON line {qubits, gates, outputs, max_abs_diff, ok}; exit 0 when within the
// tolerance, 1 when not, 2 for unreadable input.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { readDeploy } from './deploy_json.mjs';
const require = createRequire(import.meta.url);
process.removeAllListeners('warning');  // the parser's own circular-import warnings
const QuantumCircuit = require('quantum-circuit');

const args = process.argv.slice(2);
const dir = args[0];
let tolerance = 1e-9;
if (args[1] === '--tolerance') tolerance = Number(args[2]);
if (!dir) { console.error('usage: node check_qasm.mjs DEPLOY_DIR'); process.exit(2); }
const deploy = readDeploy(dir);
const expected = deploy.circuit.probabilities, outputs = deploy.circuit.outputs;
const qc = new QuantumCircuit();
let errors = [];
qc.importQASM(fs.readFileSync(path.join(dir, 'circuit.qasm'), 'utf8'), (e) => { errors = e || []; });
if (errors.length) { console.error(JSON.stringify(errors)); process.exit(2); }
qc.run();
// P(qubit q = 1) from the amplitudes (basis index bit q = qubit q).
const p1 = new Array(qc.numQubits).fill(0);
for (const s of qc.stateAsArray(true)) {
  const pr = s.amplitude.re * s.amplitude.re + s.amplitude.im * s.amplitude.im;
  for (let q = 0; q < qc.numQubits; ++q) if ((s.index >> q) & 1) p1[q] += pr;
}
let worst = 0;
const got = outputs.map((q) => p1[q]);
got.forEach((p, i) => { worst = Math.max(worst, Math.abs(p - expected[i])); });
const ok = worst <= tolerance && got.length === expected.length;
console.log(JSON.stringify({ qubits: qc.numQubits, outputs: got.length, probabilities: got,
                             max_abs_diff: worst, ok }));
process.exit(ok ? 0 : 1);
