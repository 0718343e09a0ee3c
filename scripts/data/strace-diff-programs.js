// The programs scripts/strace-diff runs under strace and under bpftrace-ts: real programs
// Debian 12 installs (scripts/setup.sh), each with deterministic inputs that prepare() writes
// into the private work directory before every run (the same path, the same bytes, the same
// times). Loopback only; nothing outside the work directory is written.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const PY = '/usr/bin/python3';

const PYTHON = {
  'py-files': `
import os
with open('data.txt') as f: text = f.read()
with open('copy.txt', 'w') as f: f.write(text.upper())
os.rename('copy.txt', 'moved.txt')
print(os.stat('moved.txt').st_size, sorted(os.listdir('.')))
os.unlink('moved.txt')
`,
  'py-fork': `
import os
pid = os.fork()
if pid == 0:
    os.write(1, b'child\\n')
    os._exit(3)
_, status = os.waitpid(pid, 0)
print('parent', os.WEXITSTATUS(status))
`,
  'py-subprocess': `
import signal, subprocess
# SIGCHLD stays pending: where it would arrive among the reads of the pipes is a race.
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
out = subprocess.run(['/usr/bin/cat', 'data.txt'], capture_output=True, check=True).stdout
print(len(out))
subprocess.run(['/bin/sh', '-c', 'exit 2'])
`,
  'py-threads': `
import threading, os
def work(n):
    with open('data.txt', 'rb') as f: f.read(n)
for n in (1, 2, 3):
    t = threading.Thread(target=work, args=(n,))
    t.start()
    t.join()
print('done')
`,
  'py-sockets': `
import socket, os
path = os.path.abspath('sock')
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
client.connect(path)
conn, _ = server.accept()
client.sendall(b'ping')
print(conn.recv(16))
conn.close(); client.close(); server.close()
a, b = socket.socketpair()
a.send(b'x'); print(b.recv(1))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(('127.0.0.1', 0))
u.sendto(b'dgram', u.getsockname())
print(u.recvfrom(16)[0])
`,
  'py-select': `
import os, select
r, w = os.pipe()
print(select.select([r], [w], [], 0)[1] == [w])
os.write(w, b'x')
print(select.select([r], [], [], 1)[0] == [r])
p = select.poll(); p.register(r, select.POLLIN)
print(len(p.poll(0)))
os.read(r, 1)
print(p.poll(0))
`,
  'py-signals': `
import os, signal
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
os.kill(os.getpid(), signal.SIGUSR1)
signal.signal(signal.SIGUSR2, signal.SIG_IGN)
os.kill(os.getpid(), signal.SIGUSR2)
print(got)
`,
  'py-shutil': `
import shutil, os
shutil.copy('data.txt', 'c.txt'); shutil.copytree('sub', 'sub2'); shutil.rmtree('sub2')
print(os.path.getsize('c.txt'))
`,
  'py-fcntl': `
import fcntl, os
fd = os.open('data.txt', os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX); fcntl.lockf(fd, fcntl.LOCK_UN)
fcntl.flock(fd, fcntl.LOCK_SH); fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); fcntl.flock(fd, fcntl.LOCK_UN)
print(fcntl.fcntl(fd, fcntl.F_GETFD), os.get_blocking(fd)); os.set_blocking(fd, False)
os.close(fd)
`,
  'py-misc': `
import os, resource, time
print(resource.getrlimit(resource.RLIMIT_NOFILE)[0] > 0)
print(len(os.sched_getaffinity(0)) > 0, os.getgroups() is not None)
st = os.statvfs('.'); print(st.f_bsize > 0)
os.truncate('data.txt', 10); print(os.path.getsize('data.txt'))
os.utime('data.txt', (0, 0)); os.chmod('data.txt', 0o600); print(oct(os.stat('data.txt').st_mode))
r, w = os.pipe2(os.O_CLOEXEC); os.dup2(r, 10); os.close(10)
print(os.readlink('/proc/self/exe').startswith('/'))
time.sleep(0.001)
`,
  // 70 descriptors in one poll: strace shows -s (64) of them, and the result until its text is full.
  'py-poll': `
import os, select
fds = [os.open('data.txt', os.O_RDONLY) for _ in range(70)]
p = select.poll()
for fd in fds: p.register(fd, select.POLLIN)
print(len(p.poll(0)))
for fd in fds: os.close(fd)
`,
};

const SHELL_SCRIPT = `set -e
for f in data.txt words.txt; do wc -c "$f"; done
x=builtin
echo "$x" > upper.txt
cat upper.txt
( cd sub && ls )
test -f upper.txt && rm upper.txt
`;

const PERL = `open(my $f, '<', 'data.txt') or die; my @l = <$f>; close $f;
printf "%d\\n", scalar @l; opendir(my $d, '.'); my @e = sort readdir $d; print "@e\\n";
`;

const MAKEFILE = `all: out.txt sum.txt
out.txt: data.txt
\tsort data.txt > out.txt
sum.txt: out.txt
\twc -l out.txt > sum.txt
`;

const programs = [
  { name: 'ls', command: ['ls', '-l', '.'] },
  { name: 'cat', command: ['cat', 'data.txt'] },
  { name: 'wc', command: ['wc', 'data.txt', 'words.txt'] },
  { name: 'sort', command: ['sort', 'words.txt'] },
  { name: 'uniq', command: ['uniq', '-c', 'words.txt'] },
  { name: 'head-tail', command: ['sh', '-c', 'head -n 3 data.txt; tail -n 2 data.txt'] },
  { name: 'cut-tr', command: ['sh', '-c', 'cut -d" " -f1 data.txt | tr a-z A-Z'] },
  { name: 'cp-mv-rm', command: ['sh', '-c', 'cp data.txt a.txt && mv a.txt b.txt && ln -s b.txt c.txt && readlink c.txt && rm b.txt c.txt'] },
  { name: 'mkdir-rmdir', command: ['sh', '-c', 'mkdir -p d/e/f && rmdir -p d/e/f'] },
  { name: 'stat', command: ['stat', '-c', '%n %s %a %F', 'data.txt', 'sub'] },
  { name: 'du', command: ['du', '-s', 'sub'] },
  { name: 'md5sum', command: ['md5sum', 'data.txt', 'words.txt'] },
  { name: 'date', command: ['date', '-u', '-d', '@0', '+%F %T'] },
  { name: 'id', command: ['id'] },
  { name: 'uname', command: ['uname', '-srm'] },
  { name: 'find', command: ['find', '.', '-name', '*.txt'] },
  { name: 'grep', command: ['grep', '-rn', 'brown', '.'] },
  { name: 'sed', command: ['sed', '-n', 's/fox/cat/p', 'data.txt'] },
  { name: 'gzip', command: ['sh', '-c', 'gzip -n -k data.txt && gzip -d -c data.txt.gz'] },
  { name: 'xz', command: ['sh', '-c', 'xz -k data.txt && xz -d -c data.txt.xz'] },
  { name: 'tar', command: ['sh', '-c', 'tar -cf sub.tar sub && tar -tvf sub.tar'] },
  { name: 'bash-script', command: ['bash', 'script.sh'] },
  { name: 'dash-script', command: ['dash', 'script.sh'] },
  ...Object.keys(PYTHON).map((name) => ({ name, command: [PY, '-B', `${name}.py`] })),
  { name: 'perl', command: ['perl', 'script.pl'] },
  { name: 'make', command: ['make', '-s'] },
  { name: 'git-log', command: ['git', '-C', 'repo', 'log', '--oneline'] },
  { name: 'git-diff', command: ['git', '-C', 'repo', 'diff', '--stat'] },
  { name: 'sqlite3', command: ['sqlite3', 'db.sqlite', 'pragma journal_mode=memory; create table t(a); insert into t values (1),(2); select sum(a) from t;'] },
  { name: 'jq', command: ['jq', '.b[1]', 'data.json'] },
  { name: 'awk', command: ['awk', '{ n += NF } END { print n }', 'data.txt'] },
  { name: 'getent', command: ['getent', 'passwd', 'root'] },
  { name: 'env-printenv', command: ['env', 'printenv', 'TZ'] },
  { name: 'sleep', command: ['sleep', '0.01'] },
  { name: 'diff', command: ['sh', '-c', 'diff data.txt words.txt; cmp data.txt words.txt; exit 0'] },
  { name: 'touch-chmod', command: ['sh', '-c', 'touch -d @0 f && chmod 600 f && ls -l --time-style=+%s f && truncate -s 1K f && stat -c %s f'] },
  // dd's signal handlers: sa_flags with bits above 32.
  { name: 'dd', command: ['dd', 'if=data.txt', 'of=out', 'bs=16', 'count=2', 'status=none'] },
  { name: 'fifo-ln', command: ['sh', '-c', 'mkfifo p && ln data.txt hard && realpath hard && stat -c %h data.txt && rm p hard'] },
  // Priorities, a POSIX timer (timeout), CPU affinity, sessions.
  { name: 'nice-timeout', command: ['sh', '-c', 'nice -n 5 true; timeout 5 true; taskset -c 0 true; setsid true; env -i /usr/bin/true'] },
  { name: 'flock-fallocate', command: ['sh', '-c', 'flock f.lock true; fallocate -l 4096 g && stat -c %s g; sync g'] },
  { name: 'stat-f', command: ['stat', '-f', '-c', '%T', '.'] },
  // install copies the file's ACL as an extended attribute.
  { name: 'install', command: ['sh', '-c', 'install -m 644 data.txt inst.txt && install -d dd/ee && ls -ld dd/ee'] },
];

const FIXED_TIME = new Date('2020-01-01T00:00:00Z');

/** Sets every file's times under dir (links themselves) to FIXED_TIME. */
function fixTimes(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) fixTimes(file);
    if (!entry.isSymbolicLink()) fs.utimesSync(file, FIXED_TIME, FIXED_TIME);
  }
  fs.utimesSync(dir, FIXED_TIME, FIXED_TIME);
}

/** Writes the inputs of program into work (an empty directory but for home/). */
function prepare(work, program) {
  const write = (name, text) => fs.writeFileSync(path.join(work, name), text);
  write('data.txt', 'the quick brown fox\njumps over\nthe lazy dog\n0123456789\nbrown bread\n');
  write('words.txt', 'pear\napple\napple\nfig\npear\npear\n');
  write('data.json', '{"a": 1, "b": [true, "two", 3.5]}\n');
  write('script.sh', SHELL_SCRIPT);
  write('script.pl', PERL);
  write('Makefile', MAKEFILE);
  fs.mkdirSync(path.join(work, 'sub', 'deeper'), { recursive: true });
  fs.writeFileSync(path.join(work, 'sub', 'one.txt'), 'one\n');
  fs.writeFileSync(path.join(work, 'sub', 'deeper', 'two.txt'), 'two\n');
  if (PYTHON[program.name]) write(`${program.name}.py`, PYTHON[program.name].trimStart());
  if (program.name.startsWith('git-')) {
    const repo = path.join(work, 'repo');
    fs.mkdirSync(repo);
    const git = (...args) => execFileSync('git', args, { cwd: repo, stdio: 'ignore', env: gitEnv(work) });
    git('init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(repo, 'a.txt'), 'a\n');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'first');
    fs.writeFileSync(path.join(repo, 'a.txt'), 'changed\n');
    fs.writeFileSync(path.join(repo, 'new.txt'), 'new\n');
  }
  fixTimes(work);
}

function gitEnv(work) {
  return {
    PATH: '/usr/bin:/bin', HOME: path.join(work, 'home'), GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_DATE: '2020-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2020-01-01T00:00:00Z',
    GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@example.org', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@example.org',
  };
}

module.exports = { programs, prepare };
