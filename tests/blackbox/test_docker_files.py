"""Static checks of docker/Dockerfile, docker/compose.yaml and .dockerignore.

No Docker engine runs in CI, so `docker build` never proves the image. Instead
this test checks what a build would trip over: every file the Dockerfile
copies exists (and is not hidden by .dockerignore), every script it runs is
one CI runs too, the binaries it copies out of the build stage are the ones
that stage builds, the runtime packages exist in Debian 12 and provide every
shared library the real binaries load, and the compose services agree with
the image (healthcheck, volumes, the deployer's real flags).

HANGAR_EMULATOR and HANGAR_CLI (set by ctest) name the built binaries; checks
that need one skip, saying why, when it is missing.
"""
import fnmatch
import functools
import json
import os
import re
import shlex
import shutil
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCKERFILE = os.path.join(REPO, "docker", "Dockerfile")
COMPOSE = os.path.join(REPO, "docker", "compose.yaml")
DOCKERIGNORE = os.path.join(REPO, ".dockerignore")

# What the build stage produces: path inside the build stage -> CMake target.
# The Dockerfile's build RUN must configure into build/release under WORKDIR
# /src and build exactly these targets (checked below).
BUILD_OUTPUTS = {
    "/src/build/release/hangar-emulator": "hangar-emulator",
    "/src/build/release/hangar": "hangar",
}
PORT = "4566"
HEALTH_PATH = "/_hangar/health"
# Libraries every Debian image has, and sanitizer runtimes (present only when
# ctest runs the ASan+UBSan build; the image is a Release build without them).
BASE_PACKAGES = {"libc6", "libgcc-s1"}
SANITIZER_LIB = re.compile(r"^lib(asan|ubsan|lsan|tsan)\.so")


# ---- parsing -----------------------------------------------------------------------------

def parse_dockerfile(path):
    """List of stages; each {"from", "name", "instrs": [(KEYWORD, args_text)]}."""
    logical, cur = [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.strip().startswith("#"):
                continue  # comments, also between continued lines
            if line.endswith("\\"):
                cur += line[:-1] + " "
                continue
            cur += line
            if cur.strip():
                logical.append(cur.strip())
            cur = ""
    if cur.strip():
        logical.append(cur.strip())
    stages = []
    for text in logical:
        kw, _, rest = text.partition(" ")
        kw, rest = kw.upper(), rest.strip()
        if kw == "FROM":
            words = rest.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append({"from": words[0], "name": name, "instrs": []})
        else:
            assert stages, "instruction before the first FROM: " + text
            stages[-1]["instrs"].append((kw, rest))
    return stages


def words_of(args):
    """Exec form (JSON array) or shell words."""
    if args.startswith("["):
        return json.loads(args)
    return shlex.split(args)


def copy_parts(args):
    """COPY args -> (flags dict, sources, dest); flags precede shell or exec form."""
    flags, rest = {}, args.strip()
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        k, _, v = flag[2:].partition("=")
        flags[k] = v
        rest = rest.lstrip()
    words = words_of(rest)
    assert len(words) >= 2, "COPY needs a source and a destination: " + args
    return flags, words[:-1], words[-1]


def instrs(stage, kw):
    return [a for k, a in stage["instrs"] if k == kw]


def load_yaml(path):
    try:
        import yaml  # Debian's python3-yaml
    except ImportError:
        pytest.skip("python3-yaml is not installed for /usr/bin/python3; cannot parse compose.yaml")
    with open(path) as f:
        return yaml.safe_load(f)


def dockerignore_patterns():
    pats = []
    with open(DOCKERIGNORE) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                pats.append(line)
    return pats


def ignored(relpath, pats):
    """Minimal .dockerignore matching: a path is excluded when it or a parent
    matches a pattern ('**/' matches any depth). No '!' patterns are used."""
    parts = relpath.strip("/").split("/")
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        for p in pats:
            assert not p.startswith("!"), "negated .dockerignore patterns are not handled by this test"
            if fnmatch.fnmatch(prefix, p):
                return True
            if p.startswith("**/") and fnmatch.fnmatch(parts[i - 1], p[3:]):
                return True
    return False


@pytest.fixture(scope="module")
def stages():
    return parse_dockerfile(DOCKERFILE)


@pytest.fixture(scope="module")
def build_stage(stages):
    named = [s for s in stages if s["name"] == "build"]
    assert len(named) == 1, "expected one stage named 'build'"
    return named[0]


@pytest.fixture(scope="module")
def runtime(stages):
    return stages[-1]


@pytest.fixture(scope="module")
def compose():
    return load_yaml(COMPOSE)


def runtime_packages(runtime):
    """Packages named by apt-get install in the final stage."""
    pkgs = []
    for run in instrs(runtime, "RUN"):
        for cmd in re.split(r"&&|;", run):
            w = shlex.split(cmd)
            if "apt-get" in w and "install" in w:
                pkgs += [x for x in w[w.index("install") + 1:] if not x.startswith("-")]
    return pkgs


def image_files(stages):
    """Destination in the final image -> repository path, for COPYs from the context."""
    out = {}
    for flags, srcs, dest in [copy_parts(a) for a in instrs(stages[-1], "COPY")]:
        if "from" not in flags and len(srcs) == 1:
            out[dest.rstrip("/")] = srcs[0].rstrip("/")
    return out


def binary_path(env):
    p = os.environ.get(env)
    if not p or not os.path.isfile(p) or not os.access(p, os.X_OK):
        return None
    return p


# ---- Dockerfile -----------------------------------------------------------------------------

def test_stages_are_debian_12(stages, build_stage, runtime):
    assert len(stages) >= 2, "the Dockerfile must be multi-stage"
    assert build_stage["from"] in ("debian:12", "debian:bookworm")
    assert runtime["from"] in ("debian:12-slim", "debian:bookworm-slim")
    assert runtime is not build_stage


def test_copy_sources_exist_and_are_in_the_context(stages):
    pats = dockerignore_patterns()
    seen = 0
    for stage in stages:
        for args in instrs(stage, "COPY") + instrs(stage, "ADD"):
            flags, srcs, _ = copy_parts(args)
            if "from" in flags:
                continue  # checked against the build outputs below
            for src in srcs:
                seen += 1
                assert not any(c in src for c in "*?["), "keep COPY sources literal: " + src
                assert os.path.exists(os.path.join(REPO, src)), "COPY source missing from the repo: " + src
                assert not ignored(src, pats), ".dockerignore hides COPY source " + src
    assert seen > 0


def test_copies_from_build_stage_are_build_outputs(stages, build_stage):
    copied = set()
    for stage in stages:
        for args in instrs(stage, "COPY"):
            flags, srcs, _ = copy_parts(args)
            if "from" in flags:
                assert flags["from"] == "build", "COPY --from an unknown stage: " + args
                for s in srcs:
                    assert s in BUILD_OUTPUTS, "not a build output: %s (outputs: %s)" % (s, sorted(BUILD_OUTPUTS))
                    copied.add(s)
    assert copied == set(BUILD_OUTPUTS), "every build output is shipped"
    # ... and the build stage really produces them, with the CMake targets the repo defines.
    assert instrs(build_stage, "WORKDIR") == ["/src"]
    runs = " ".join(instrs(build_stage, "RUN"))
    assert re.search(r"cmake -S \. -B build/release\b", runs), "configure into build/release as CI does"
    m = re.search(r"cmake --build build/release\b[^&]*--target ([\w\- ]+)", runs)
    assert m, "build the targets explicitly"
    targets = set(m.group(1).split())
    assert set(BUILD_OUTPUTS.values()) <= targets
    with open(os.path.join(REPO, "CMakeLists.txt")) as f:
        cmake = f.read()
    for t in BUILD_OUTPUTS.values():
        assert re.search(r"add_executable\(%s\s" % re.escape(t), cmake), "CMakeLists.txt lacks target " + t


def test_build_stage_copies_everything_cmake_reads(build_stage):
    """Every top-level folder CMakeLists.txt globs or adds must be copied in."""
    with open(os.path.join(REPO, "CMakeLists.txt")) as f:
        cmake = f.read()
    needed = set(re.findall(r"\b(common|emulator|deployer)/[\w/*.]+", cmake))
    needed |= set(re.findall(r"add_subdirectory\((\w+)\)", cmake))
    needed.add("CMakeLists.txt")
    copied = set()
    for args in instrs(build_stage, "COPY"):
        _, srcs, _ = copy_parts(args)
        copied |= {s.rstrip("/") for s in srcs}
    if "." in copied:
        return
    assert needed <= copied, "build stage misses %s" % sorted(needed - copied)


def test_scripts_exist_and_ci_runs_them(stages):
    with open(os.path.join(REPO, "scripts", "test.sh")) as f:
        ci = f.read()
    found = set()
    for stage in stages:
        for run in instrs(stage, "RUN"):
            found |= set(re.findall(r"(?<![\w/])(scripts/[\w.\-]+)", run))
    assert "scripts/install-deps.sh" in found, "the build stage installs packages with scripts/install-deps.sh"
    for s in found:
        p = os.path.join(REPO, s)
        assert os.path.isfile(p), "script missing: " + s
        assert os.access(p, os.X_OK), "script not executable: " + s
        assert s in ci, "%s is not run by scripts/test.sh (CI), so nothing proves it works" % s


def test_runtime_user_port_volume_health(runtime):
    users = instrs(runtime, "USER")
    assert users, "the runtime stage must set USER"
    assert users[-1].split(":")[0] not in ("root", "0"), "must not run as root"
    assert any(PORT in e.split() for e in instrs(runtime, "EXPOSE")), "EXPOSE " + PORT
    volumes = [v for a in instrs(runtime, "VOLUME") for v in words_of(a)]
    assert "/var/lib/hangar" in volumes
    hc = instrs(runtime, "HEALTHCHECK")
    assert len(hc) == 1
    assert "127.0.0.1:%s%s" % (PORT, HEALTH_PATH) in hc[0] or "localhost:%s%s" % (PORT, HEALTH_PATH) in hc[0]
    tool = "curl" if "curl" in hc[0] else "wget" if "wget" in hc[0] else None
    assert tool, "the healthcheck uses curl or wget"
    assert tool in runtime_packages(runtime), "%s must be installed in the runtime image" % tool


def test_entrypoint(stages, runtime):
    eps = instrs(runtime, "ENTRYPOINT")
    assert len(eps) == 1
    ep = words_of(eps[0])
    assert ep[0] == "hangar-emulator"
    args = dict(zip(ep[1::2], ep[2::2]))
    assert args == {"--host": "0.0.0.0", "--port": PORT, "--data": "/var/lib/hangar"}
    dests = {d.rstrip("/") for f, _, d in map(copy_parts, instrs(runtime, "COPY")) if "from" in f}
    assert "/usr/local/bin/hangar-emulator" in dests and "/usr/local/bin/hangar" in dests
    emu = binary_path("HANGAR_EMULATOR")
    if not emu:
        pytest.skip("HANGAR_EMULATOR is not set to a built binary; cannot check the flags exist")
    help_text = subprocess.run([emu, "--help"], capture_output=True, text=True, timeout=30).stdout
    for flag in ep[1::2]:
        assert re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(flag), help_text), "hangar-emulator has no " + flag


def test_dockerignore_keeps_history_and_builds_out():
    pats = dockerignore_patterns()
    for p in (".git", "build", "build/release/hangar", "tests/blackbox/__pycache__"):
        assert ignored(p, pats), ".dockerignore should exclude " + p
    for p in ("CMakeLists.txt", "tests/CMakeLists.txt", "scripts/install-deps.sh", "lambdas/notes/create.lua"):
        assert not ignored(p, pats), ".dockerignore must keep " + p


# ---- runtime packages vs. the real binaries ---------------------------------------------

def dpkg_owners(paths):
    """{library path: Debian package owning it}, one dpkg -S call for all of
    them (usrmerge: each path is tried as given, resolved, and with /usr
    added or removed, since dpkg records whichever spelling the package used)."""
    spellings = {}
    for p in paths:
        cands = {p, os.path.realpath(p)}
        cands |= {c[4:] if c.startswith("/usr/") else "/usr" + c for c in list(cands)}
        for c in cands:
            spellings[c] = p
    r = subprocess.run(["dpkg", "-S"] + sorted(spellings), capture_output=True, text=True)
    owners = {}
    for line in r.stdout.splitlines():
        pkg, _, path = line.partition(": ")
        if path in spellings:
            owners[spellings[path]] = pkg.split(":")[0].split(",")[0].strip()
    return owners


def ldd_libs(binary):
    """{soname: resolved path} for every shared library the binary loads."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libs = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+)\s+=>\s+(/\S+)", line)
        if m:
            libs[m.group(1)] = m.group(2)
    return libs


def needed(binary):
    out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))


def dlopened(binary):
    """{soname: resolved path} for the libraries binary names in its data to dlopen
    (common/hg_dl.h: the emulator loads libcrypto and libzip on first use), which
    ldd cannot see: soname-shaped strings that are not in its NEEDED list."""
    with open(binary, "rb") as f:
        names = {m.decode() for m in re.findall(rb"(lib[A-Za-z0-9_+\-]+\.so\.[0-9]+)\x00", f.read())}
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    where = dict(re.findall(r"^\s*(\S+) \(libc6,x86-64[^)]*\) => (\S+)$", cache, re.M))
    return {name: where.get(name) for name in names - needed(binary)}


@functools.lru_cache(maxsize=None)
def dependency_closure(pkgs):
    """The packages apt would install for pkgs (Depends/PreDepends only, as --no-install-recommends)."""
    r = subprocess.run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
                        "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"] + list(pkgs),
                       capture_output=True, text=True, check=True)
    closure = set(pkgs)
    for line in r.stdout.splitlines():
        if not line.startswith(" "):
            closure.add(line.strip().split(":")[0])
        else:
            m = re.match(r"\s*\|?(?:Pre)?Depends:\s+<?([\w.+\-]+)", line)
            if m:
                closure.add(m.group(1))
    return frozenset(closure)


def test_runtime_packages_exist_in_debian(runtime):
    if not shutil.which("apt-cache"):
        pytest.skip("apt-cache not available")
    pkgs = runtime_packages(runtime)
    assert pkgs, "the runtime stage installs its libraries with apt-get install"
    # One apt-cache call for all (each call reloads the package cache): "pkg:" then "  Candidate: v".
    out = subprocess.run(["apt-cache", "policy"] + pkgs, capture_output=True, text=True).stdout
    candidates, cur = {}, None
    for line in out.splitlines():
        if line and not line.startswith(" "):
            cur = line.rstrip(":").split(":")[0]
        m = re.match(r"\s+Candidate:\s*(\S+)", line)
        if m and cur:
            candidates[cur] = m.group(1)
    for p in pkgs:
        assert candidates.get(p, "(none)") != "(none)", "no Debian candidate for runtime package " + p


@pytest.mark.parametrize("env", ["HANGAR_EMULATOR", "HANGAR_CLI"])
def test_runtime_packages_cover_every_shared_library(runtime, env):
    binary = binary_path(env)
    if not binary:
        pytest.skip("%s is not set to a built binary; cannot ldd it" % env)
    if not (shutil.which("dpkg") and shutil.which("apt-cache") and shutil.which("readelf")):
        pytest.skip("dpkg, apt-cache or readelf not available")
    pkgs = runtime_packages(runtime)
    closure = dependency_closure(tuple(pkgs)) | BASE_PACKAGES
    libs = ldd_libs(binary)
    direct = needed(binary)
    owners = dpkg_owners(libs.values())
    for soname, path in sorted(libs.items()):
        if SANITIZER_LIB.match(soname):
            continue
        owner = owners.get(path)
        assert owner, "no Debian package owns %s (%s)" % (soname, path)
        # Libraries the binary names itself must be installed by name, not by luck.
        if soname in direct:
            assert owner in set(pkgs) | BASE_PACKAGES, \
                "%s needs %s from %s, which the runtime stage does not install" % (env, soname, owner)
        assert owner in closure, "%s loads %s from %s, not pulled in by %s" % (env, soname, owner, pkgs)
    # Libraries it opens itself: installed by name as well, or the first use fails in the image.
    for soname, path in sorted(dlopened(binary).items()):
        assert path, "%s opens %s, which ldconfig does not know" % (env, soname)
        owner = dpkg_owners([path]).get(path)
        assert owner in set(pkgs) | BASE_PACKAGES, \
            "%s opens %s from %s, which the runtime stage does not install" % (env, soname, owner)


# ---- compose.yaml ---------------------------------------------------------------------------

def test_compose_emulator_service(compose, runtime):
    svc = compose["services"]["emulator"]
    build = svc["build"]
    ctx = os.path.normpath(os.path.join(os.path.dirname(COMPOSE), build["context"]))
    assert ctx == REPO, "the build context is the repository root"
    assert os.path.samefile(os.path.join(ctx, build["dockerfile"]), DOCKERFILE)
    test = svc["healthcheck"]["test"]
    test = " ".join(test) if isinstance(test, list) else test
    assert HEALTH_PATH in test and PORT in test
    tool = "curl" if "curl" in test else "wget" if "wget" in test else None
    assert tool and tool in runtime_packages(runtime)
    mounts = [v.split(":") for v in svc["volumes"]]
    data = [m for m in mounts if m[1] == "/var/lib/hangar"]
    assert data and data[0][0] in (compose.get("volumes") or {}), "the data folder is a named volume"
    assert any(str(p).endswith(PORT) for p in svc.get("ports", [])), "publish " + PORT


def test_compose_deploy_service_paths(compose, stages, runtime):
    svc = compose["services"]["deploy"]
    emu = compose["services"]["emulator"]
    assert svc.get("image") == emu.get("image"), "deploy runs the emulator's image"
    assert svc["depends_on"]["emulator"]["condition"] == "service_healthy"
    assert svc.get("restart", "no") == "no", "deploy is one-shot"
    ep = svc["entrypoint"]
    ep = ep if isinstance(ep, list) else shlex.split(ep)
    assert ep == ["hangar"]
    cmd = svc["command"] if isinstance(svc["command"], list) else shlex.split(svc["command"])
    assert cmd[0] == "up" and "--all" in cmd and "--yes" in cmd and "--skip-preview" in cmd
    # -C names a folder of the image; map it back to the repository through the COPYs.
    folder = cmd[cmd.index("-C") + 1]
    repo_path = None
    for dest, src in image_files(stages).items():
        if folder == dest or folder.startswith(dest + "/"):
            repo_path = os.path.join(REPO, src + folder[len(dest):])
    assert repo_path, "%s is not copied into the image" % folder
    assert os.path.isdir(repo_path), "deploy's project folder is missing from the repo: " + \
        os.path.relpath(repo_path, REPO)
    assert os.path.isfile(os.path.join(repo_path, "Pulumi.yaml")), "no Pulumi.yaml in " + repo_path
    # The handlers the stacks package travel with them.
    assert "/opt/hangar/lambdas" in image_files(stages)
    endpoint = cmd[cmd.index("--endpoint") + 1]
    assert endpoint == "http://emulator:%s" % PORT, "deploy talks to the emulator service"
    # The deployer's state volume sits where the image says HANGAR_HOME is.
    env = dict(e.split("=", 1) if "=" in e else e.split(None, 1) for e in instrs(runtime, "ENV"))
    home = env.get("HANGAR_HOME")
    mounts = {v.split(":")[1]: v.split(":")[0] for v in svc.get("volumes", [])}
    assert home and home in mounts and mounts[home] in (compose.get("volumes") or {})


def test_compose_deploy_flags_are_real(compose):
    cli = binary_path("HANGAR_CLI")
    if not cli:
        pytest.skip("HANGAR_CLI is not set to a built binary; cannot check `hangar up` flags")
    cmd = compose["services"]["deploy"]["command"]
    cmd = cmd if isinstance(cmd, list) else shlex.split(cmd)
    r = subprocess.run([cli, cmd[0], "--help"], capture_output=True, text=True, timeout=30)
    help_text = r.stdout + r.stderr
    if r.returncode != 0 or "--all" not in help_text:
        pytest.skip("`hangar %s --help` does not document its flags yet (exit %d): %s"
                    % (cmd[0], r.returncode, help_text.strip()[:200]))
    for word in cmd[1:]:
        if word.startswith("-"):
            assert re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(word), help_text), \
                "`hangar %s` has no flag %s" % (cmd[0], word)


def test_deployed_stacks_find_their_code_in_the_image(compose, stages):
    """The stacks name their Lua code by relative paths (fn::fileAsset ../../../lambdas/...);
    each must land inside what the image copies, at the same relative place."""
    cmd = compose["services"]["deploy"]["command"]
    cmd = cmd if isinstance(cmd, list) else shlex.split(cmd)
    folder = cmd[cmd.index("-C") + 1]
    copies = image_files(stages)  # image dest -> repo src
    src_of = lambda image_path: next(
        (os.path.join(REPO, s + image_path[len(d):]) for d, s in copies.items()
         if image_path == d or image_path.startswith(d + "/")), None)
    root = src_of(folder)
    if not root or not os.path.isdir(root):
        pytest.skip("the deploy folder is missing (test_compose_deploy_service_paths says so)")
    ref = re.compile(r"fn::file(?:Asset|Archive):\s*['\"]?([^'\"\s#]+)")
    checked = 0
    for dirpath, _, files in os.walk(root):
        for name in files:
            if not name.endswith((".yaml", ".yml")):
                continue
            with open(os.path.join(dirpath, name)) as f:
                text = f.read()
            image_dir = folder + dirpath[len(root):]
            for rel in ref.findall(text):
                if os.path.isabs(rel) or "${" in rel:
                    continue
                image_path = os.path.normpath(os.path.join(image_dir, rel))
                repo_path = src_of(image_path)
                where = "%s: %s" % (os.path.relpath(os.path.join(dirpath, name), REPO), rel)
                assert repo_path, "%s resolves to %s, which the image does not contain" % (where, image_path)
                assert os.path.exists(repo_path), "%s: no such file in the repo" % where
                checked += 1
    if not checked:
        pytest.skip("the deployed stacks reference no code files by relative path")


def test_compose_deploy_runs_against_the_entrypoint(compose, stages, runtime, tmp_path):
    """The closest thing to `docker compose up` without an engine: lay out the
    image's copied folders under a temporary root, start hangar-emulator with
    the image's entrypoint flags (only the port, host and data folder moved),
    wait for the healthcheck path, then run the deploy service's command with
    its environment, twice: the second run must find nothing to do, as it
    will with the deployer-state volume."""
    import urllib.request

    emu, cli = binary_path("HANGAR_EMULATOR"), binary_path("HANGAR_CLI")
    if not emu or not cli:
        pytest.skip("HANGAR_EMULATOR and HANGAR_CLI must name built binaries")
    root = tmp_path / "image"
    copies = image_files(stages)
    skip = shutil.ignore_patterns("__pycache__", ".hangar", "node_modules")
    for dest, src in copies.items():
        shutil.copytree(os.path.join(REPO, src), str(root) + dest, ignore=skip)
    in_root = lambda p: str(root) + p if any(p == d or p.startswith(d + "/") for d in copies) else p

    ep = words_of(instrs(runtime, "ENTRYPOINT")[0])
    args = dict(zip(ep[1::2], ep[2::2]))
    args.update({"--host": "127.0.0.1", "--port": "0", "--data": str(tmp_path / "data")})
    argv = [emu] + [x for kv in args.items() for x in kv] + ["--log-level", "warn"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        m = re.search(r"listening on (http://\S+)", line)
        assert m, "hangar-emulator did not start: " + line
        endpoint = m.group(1)
        with urllib.request.urlopen(endpoint + HEALTH_PATH, timeout=10) as r:
            assert r.status == 200

        svc = compose["services"]["deploy"]
        cmd = svc["command"] if isinstance(svc["command"], list) else shlex.split(svc["command"])
        cmd = list(cmd)
        cmd[cmd.index("-C") + 1] = in_root(cmd[cmd.index("-C") + 1])
        cmd[cmd.index("--endpoint") + 1] = endpoint
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HANGAR_", "PULUMI_"))}
        env.update({k: str(v) for k, v in (svc.get("environment") or {}).items()})
        env["HANGAR_HOME"] = str(tmp_path / "deployer-state")
        workdir = str(root) + instrs(runtime, "WORKDIR")[-1]
        os.makedirs(workdir, exist_ok=True)
        first = subprocess.run([cli] + cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
        assert first.returncode == 0, "deploy failed:\n" + first.stdout[-3000:] + first.stderr[-3000:]
        again = subprocess.run([cli] + cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, "second deploy failed:\n" + again.stdout[-3000:] + again.stderr[-3000:]
        assert not re.search(r"\bcreated\b", again.stdout), "second deploy changed things:\n" + again.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()
