// -u USER: the launched command runs as this user with its groups (like strace -u), so
// root is needed for tracing only. Checked before anything is started.
import { loadAddon, type UserIdentity } from './native-addon';
import { UsageError } from '../user-errors';

export function runAsUser(name: string, hasCommand: boolean): UserIdentity {
  if (!hasCommand) throw new UsageError('-u runs a launched command as that user: give a command after --');
  const user = loadAddon().lookupUser(name);
  if (!user) throw new UsageError(`unknown user '${name}'`);
  return user;
}
