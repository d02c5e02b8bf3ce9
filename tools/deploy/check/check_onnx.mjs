// Runs a coex deploy folder's model.onnx with ONNX Runtime (onnxruntime-node from the npm
// registry: someone else's runtime) on the reference images, and compares with LibTorch's logits:
//   node check_onnx.mjs DEPLOY_DIR [--min-agreement 0.999] [--max-diff 1e-4]
// Prints one JSON line {images, argmax_agreement, max_abs_logit_diff, ok}; exit 0 when both
// bounds hold, 1 when not, 2 for unreadable input.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { readDeploy } from './deploy_json.mjs';
const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const args = process.argv.slice(2);
const dir = args[0];
let minAgreement = 0.999, maxDiff = 1e-4;
for (let i = 1; i < args.length; i += 2) {
  if (args[i] === '--min-agreement') minAgreement = Number(args[i + 1]);
  else if (args[i] === '--max-diff') maxDiff = Number(args[i + 1]);
  else { console.error(`unknown argument ${args[i]}`); process.exit(2); }
}
if (!dir) { console.error('usage: node check_onnx.mjs DEPLOY_DIR'); process.exit(2); }

function floats(file) {
  const b = fs.readFileSync(path.join(dir, file));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}
const deploy = readDeploy(dir);
const ref = deploy.reference;
const inputs = floats(ref.inputs.file), logits = floats(ref.logits.file);
const [n, c, h, w] = ref.inputs.shape;
const k = ref.logits.shape[1];
const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'),
                                                  { intraOpNumThreads: 1 });
const per = c * h * w, batch = 100;
let same = 0, worst = 0;
for (let b = 0; b < n; b += batch) {
  const m = Math.min(batch, n - b);
  const x = new ort.Tensor('float32', inputs.slice(b * per, (b + m) * per), [m, c, h, w]);
  const out = (await session.run({ input: x })).logits.data;
  for (let i = 0; i < m; ++i) {
    let a1 = 0, a2 = 0;
    for (let j = 0; j < k; ++j) {
      const o = out[i * k + j], t = logits[(b + i) * k + j];
      worst = Math.max(worst, Math.abs(o - t));
      if (o > out[i * k + a1]) a1 = j;
      if (t > logits[(b + i) * k + a2]) a2 = j;
    }
    if (a1 === a2) ++same;
  }
}
const agreement = same / n;
const ok = agreement >= minAgreement && worst <= maxDiff;
console.log(JSON.stringify({ images: n, argmax_agreement: agreement, max_abs_logit_diff: worst,
                             runtime: `onnxruntime-node ${ort.env.versions?.node ?? ''}`.trim(), ok }));
process.exit(ok ? 0 : 1);
