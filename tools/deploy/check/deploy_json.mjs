// The deploy.json of a coex deploy folder, or exit 2 with a message (shared by the checkers).
import fs from 'node:fs';
import path from 'node:path';

export function readDeploy(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'deploy.json'), 'utf8'));
  } catch (e) {
    console.error(`${dir}: no readable deploy.json (${e.message}); give a folder coex deploy wrote`);
    process.exit(2);
  }
}
