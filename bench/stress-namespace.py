#!/usr/bin/env python3
"""Randomized concurrent FS-op stress of provfs access-log outputs.

NPROC processes run NOPS seeded random operations each (create, write,
append, truncate, rename of files and directories, RENAME_EXCHANGE, hard
links, unlink, mkdir/rmdir, symlinks, reads) on one `provfs mount`; after
`provfs umount`, every output `provfs log --json` names must exist in the
backing directory with that sha256, and every file written there must be
an output.  Exit status 1 if a seed gave a wrong output.  Set NOSYM=1 to
leave symlinks out.  Work goes to $PROVFS_STRESS_DIR (default
/var/tmp/provfs-stress); a failing run's directory is kept.

usage:
  stress-namespace.py run SEED NPROC NOPS [--provfs BIN] [--keep] [--ops FILE]
  stress-namespace.py many SEED0 NSEEDS NPROC NOPS [--provfs BIN]
  stress-namespace.py replay MOUNT OPSJSON IDX STARTFILE OUTJSON     (internal)
"""
import ctypes, errno, hashlib, json, os, random, shutil, stat, subprocess, sys, time

BASE = os.environ.get('PROVFS_STRESS_DIR', '/var/tmp/provfs-stress')
DEFAULT_PROVFS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'build', 'tools',
                              'provfs')
STORE = BASE + '/store'
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2


def renameat2(a, b, flags):
    r = libc.renameat2(AT_FDCWD, a.encode(), AT_FDCWD, b.encode(), flags)
    if r != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


DIRS = ['', 'd0', 'd1', 'd0/e0', 'd1/e1', 'd0/e1']
FNAMES = ['a', 'b', 'c']
DNAMES = ['d0', 'd1', 'e0', 'e1']


def rpath(r, kind='f'):
    if r.random() < 0.1:
        kind = 'd' if kind == 'f' else 'f'
    if kind == 'd':
        d = r.choice(DIRS)
        while True:
            p = r.choice(DIRS[1:])
            if '/' in p or r.random() < 0.5:
                return p
    d = r.choice(DIRS)
    n = r.choice(FNAMES)
    return (d + '/' + n) if d else n


def gen_ops(seed, idx, nops):
    r = random.Random(seed * 1000 + idx)
    ops = []
    weights = [('write', 10), ('append', 5), ('rdwr', 3), ('truncate', 3), ('rename', 10),
               ('exchange', 4), ('link', 5), ('unlink', 8), ('mkdir', 6), ('rmdir', 4),
               ('symlink', 2), ('read', 6), ('hold', 3), ('hwrite', 3), ('hclose', 3)]
    if os.environ.get('NOSYM'):
        weights = [(o, w) for o, w in weights if o != 'symlink']
    tot = sum(w for _, w in weights)
    for _ in range(nops):
        x = r.uniform(0, tot)
        for op, w in weights:
            x -= w
            if x <= 0:
                break
        kind = 'd' if op in ('mkdir', 'rmdir') else 'f'
        if op in ('rename', 'exchange') and r.random() < 0.3:
            kind = 'd'
        o = {'op': op, 'p': rpath(r, kind)}
        if op in ('rename', 'exchange', 'link', 'symlink'):
            o['q'] = rpath(r, kind)
        if op in ('write', 'append', 'rdwr', 'hwrite'):
            o['data'] = '%d.%d.%d;' % (seed, idx, len(ops)) * r.randint(1, 5)
        if op == 'truncate':
            o['n'] = r.randint(0, 30)
        ops.append(o)
    return ops


def do_ops(mount, ops, outjson):
    os.chdir(mount)
    held = {}
    log = []
    for i, o in enumerate(ops):
        op, p = o['op'], o['p']
        t0 = time.time_ns()
        res = 0
        try:
            if op == 'write':
                fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.write(fd, o['data'].encode()); os.close(fd)
            elif op == 'append':
                fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                os.write(fd, o['data'].encode()); os.close(fd)
            elif op == 'rdwr':
                fd = os.open(p, os.O_RDWR)
                os.pread(fd, 10, 0); os.pwrite(fd, o['data'].encode(), 3); os.close(fd)
            elif op == 'truncate':
                os.truncate(p, o['n'])
            elif op == 'rename':
                os.rename(p, o['q'])
            elif op == 'exchange':
                renameat2(p, o['q'], RENAME_EXCHANGE)
            elif op == 'link':
                os.link(p, o['q'])
            elif op == 'unlink':
                os.unlink(p)
            elif op == 'mkdir':
                os.mkdir(p)
            elif op == 'rmdir':
                os.rmdir(p)
            elif op == 'symlink':
                os.symlink(o['q'], p)
            elif op == 'read':
                with open(p, 'rb') as f:
                    f.read()
            elif op == 'hold':
                if len(held) < 3:
                    held[i] = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            elif op == 'hwrite':
                if held:
                    os.write(held[min(held)], o['data'].encode())
            elif op == 'hclose':
                if held:
                    os.close(held.pop(min(held)))
        except OSError as e:
            res = e.errno
        log.append([i, t0, time.time_ns(), res])
    for fd in held.values():
        os.close(fd)
    os.chdir('/')
    with open(outjson, 'w') as f:
        json.dump(log, f)


def wait_start(startfile):
    while not os.path.exists(startfile):
        time.sleep(0.001)


def sha(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        h.update(f.read())
    return h.hexdigest()


def check(backing, logjson):
    outs = {o['path']: o for o in logjson['outputs']}
    wrong, missing = [], []
    for p, o in sorted(outs.items()):
        real = backing + p
        try:
            st = os.lstat(real)
        except (FileNotFoundError, NotADirectoryError):
            wrong.append((p, 'output but absent', o.get('sha256')))
            continue
        if not stat.S_ISREG(st.st_mode):
            wrong.append((p, 'output but not a regular file (%o)' % st.st_mode, o.get('sha256')))
            continue
        h = sha(real)
        if h != o.get('sha256'):
            wrong.append((p, 'digest mismatch real=%s' % h, o.get('sha256')))
    for root, dirs, files in os.walk(backing):
        for n in files:
            real = os.path.join(root, n)
            p = real[len(backing):]
            if stat.S_ISREG(os.lstat(real).st_mode) and p not in outs:
                missing.append((p, os.path.getsize(real), sha(real)))
    return wrong, missing


def run(seed, nproc, nops, provfs, keep=False, opsfile=None, quiet=False):
    work = '%s/run-%d-%d-%d' % (BASE, seed, nproc, nops)
    os.makedirs(BASE, exist_ok=True)
    if opsfile:
        work += '-min'
    if os.path.exists(work):
        subprocess.run(['umount', '-l', work + '/mnt'], stderr=subprocess.DEVNULL)
        shutil.rmtree(work)
    back, mnt, logdb = work + '/back', work + '/mnt', work + '/log.db'
    os.makedirs(back); os.makedirs(mnt)
    for d in DIRS[1:]:
        os.makedirs(back + '/' + d, exist_ok=True)
    subprocess.run(['timeout', '60', provfs, 'mount', back, mnt, '--store', STORE, '--log', logdb],
                   check=True, stdout=subprocess.DEVNULL)
    startfile = work + '/go'
    if opsfile:
        allops = json.load(open(opsfile))
    else:
        allops = [gen_ops(seed, i, nops) for i in range(nproc)]
    json.dump(allops, open(work + '/ops.json', 'w'))
    procs = []
    for i in range(len(allops)):
        procs.append(subprocess.Popen([sys.executable, __file__, 'replay', mnt, work + '/ops.json',
                                       str(i), startfile, '%s/w%d.json' % (work, i)]))
    time.sleep(0.3)
    open(startfile, 'w').close()
    for pr in procs:
        pr.wait(timeout=300)
    um = subprocess.run(['timeout', '120', provfs, 'umount', mnt, '--store', STORE]
                        if False else ['timeout', '120', provfs, 'umount', mnt],
                        capture_output=True, text=True)
    lg = subprocess.run(['timeout', '120', provfs, 'log', '--json', logdb], capture_output=True, text=True)
    errs = um.stderr
    try:
        lj = json.loads(lg.stdout)
    except Exception:
        print('seed', seed, 'log failed', lg.stderr[:500]); return None
    wrong, missing = check(back, lj)
    res = {'seed': seed, 'nproc': nproc, 'nops': nops, 'wrong': wrong, 'missing': missing,
           'umount_rc': um.returncode, 'umount_err': errs.strip()[:300],
           'status': [m['status'] for m in lj['mounts']], 'work': work}
    if not quiet:
        print(json.dumps({k: v for k, v in res.items() if k != 'missing'}),
              'missing=%d' % len(missing), flush=True)
    if not wrong and not keep and not errs.strip() and um.returncode == 0:
        shutil.rmtree(work)
    return res


def main():
    a = sys.argv[1:]
    if a[0] == 'replay':
        mount, opsf, idx, startfile, outjson = a[1], a[2], int(a[3]), a[4], a[5]
        ops = json.load(open(opsf))[idx]
        wait_start(startfile)
        do_ops(mount, ops, outjson)
    elif a[0] == 'run':
        provfs = DEFAULT_PROVFS
        if '--provfs' in a:
            provfs = a[a.index('--provfs') + 1]
        opsfile = a[a.index('--ops') + 1] if '--ops' in a else None
        r = run(int(a[1]), int(a[2]), int(a[3]), provfs, '--keep' in a, opsfile)
        sys.exit(1 if r is None or r['wrong'] else 0)
    elif a[0] == 'many':
        # many SEED0 NSEEDS NPROC NOPS [--provfs]
        provfs = DEFAULT_PROVFS
        if '--provfs' in a:
            provfs = a[a.index('--provfs') + 1]
        s0, ns, npr, nops = map(int, a[1:5])
        fails = 0
        for s in range(s0, s0 + ns):
            r = run(s, npr, nops, provfs)
            if r is None or r['wrong']:
                fails += 1
        print('SUMMARY nproc=%d nops=%d seeds=%d..%d failing=%d/%d' % (npr, nops, s0, s0 + ns - 1, fails, ns), flush=True)


if __name__ == '__main__':
    main()
