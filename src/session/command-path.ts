// Resolves the command to launch the way execvp would, so a missing or non-executable
// command is reported before anything is started.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../user-errors';

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function resolveCommand(command: string, searchPath = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string {
  if (command.includes('/')) {
    if (!fs.existsSync(command)) throw new UserError(`cannot run '${command}': no such file`);
    if (!isExecutableFile(command)) throw new UserError(`cannot run '${command}': not an executable file`);
    return path.resolve(command);
  }
  for (const dir of searchPath.split(':')) {
    const candidate = path.join(dir || '.', command);
    if (isExecutableFile(candidate)) return path.resolve(candidate);
  }
  throw new UserError(`command not found: ${command}`);
}
