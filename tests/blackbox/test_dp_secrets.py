"""Secrets end to end: `hangar config set --secret` encrypts with Pulumi's
passphrase provider, the value reaches a resource (a Lambda environment
variable, read back with boto3) while neither Pulumi.dev.yaml nor the state
database (sqlite3 .dump) holds the plaintext; outputs print [secret] unless
--show-secrets; a wrong or missing passphrase fails clearly; a stack file
made by real Pulumi (its own test vector) is read.
"""

import json
import os
import subprocess
import textwrap

import pytest

from conftest import make_client

CLI = os.environ.get("HANGAR_CLI")
pytestmark = pytest.mark.skipif(not CLI, reason="HANGAR_CLI is not set (path to the hangar binary)")

PLAIN = "Tr0ub4dor&3-plaintext-marker"
PASS = "correct horse battery staple"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))


class Hangar:
    def __init__(self, home, endpoint):
        self.home, self.endpoint = home, endpoint

    def run(self, *args, cwd=None, passphrase=PASS, extra_env=None, check=None):
        env = dict(os.environ)
        env["HANGAR_HOME"] = self.home
        for k in ("HANGAR_STACK", "PULUMI_STACK", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
            env.pop(k, None)
        if passphrase is not None:
            env["PULUMI_CONFIG_PASSPHRASE"] = passphrase
        env.update(extra_env or {})
        cmd = [CLI] + list(args)
        if cwd:
            cmd += ["-C", cwd]
        if args and args[0] in ("up", "preview", "destroy", "refresh"):
            cmd += ["--endpoint", self.endpoint]
        p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        assert "runtime error:" not in p.stderr and "AddressSanitizer" not in p.stderr, p.stderr
        if check:
            assert p.returncode == 0, "%s\nstdout:\n%s\nstderr:\n%s" % (cmd, p.stdout, p.stderr)
        return p


@pytest.fixture
def hangar(endpoint, tmp_path):
    return Hangar(str(tmp_path / "home"), endpoint)


def lambda_project(d):
    write(os.path.join(d, "code", "hello.lua"),
          "local M = {}\nfunction M.handler(event)\n  return {statusCode = 200, body = 'hi'}\nend\nreturn M\n")
    write(os.path.join(d, "Pulumi.yaml"), """\
        name: secretive
        runtime: yaml
        config:
          dbPassword:
            type: string
        resources:
          role:
            type: aws:iam:Role
            properties:
              assumeRolePolicy:
                fn::toJSON:
                  Version: "2012-10-17"
                  Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
          fn:
            type: aws:lambda:Function
            properties:
              runtime: lua5.4
              handler: hello.handler
              role: ${role.arn}
              code:
                fn::fileArchive: ./code
              environment:
                variables:
                  DB_PASSWORD: ${dbPassword}
                  TOKEN:
                    fn::secret: literal-token-value
        outputs:
          functionName: ${fn.name}
          password: ${dbPassword}
          token:
            fn::secret: literal-token-value
    """)


def sqlite_dump(home):
    return subprocess.run(["sqlite3", os.path.join(home, "state.db"), ".dump"],
                          capture_output=True, text=True, check=True).stdout


def test_secret_config_reaches_lambda_but_no_file_holds_it(hangar, tmp_path, endpoint):
    d = str(tmp_path / "proj")
    lambda_project(d)
    write(os.path.join(d, "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n")
    hangar.run("config", "set", "dbPassword", PLAIN, "--secret", "--stack", "dev", cwd=d, check=True)

    stack_file = open(os.path.join(d, "Pulumi.dev.yaml")).read()
    assert PLAIN not in stack_file
    assert stack_file.startswith("encryptionsalt: v1:"), stack_file
    assert "secure: v1:" in stack_file and "aws:region: us-east-1" in stack_file

    got = hangar.run("config", "get", "dbPassword", "--stack", "dev", cwd=d, check=True)
    assert got.stdout.strip() == PLAIN
    ls = hangar.run("config", "--stack", "dev", cwd=d, check=True)
    assert "[secret]" in ls.stdout and PLAIN not in ls.stdout

    p = hangar.run("up", "--stack", "dev", "--yes", "--skip-preview", cwd=d, check=True)
    assert PLAIN not in p.stdout + p.stderr
    assert "literal-token-value" not in p.stdout + p.stderr
    assert "password: [secret]" in p.stdout

    out = json.loads(hangar.run("stack", "output", "--json", "--stack", "dev", cwd=d, check=True).stdout)
    fn = out["functionName"]
    cfg = make_client(endpoint, service="lambda").get_function_configuration(FunctionName=fn)
    assert cfg["Environment"]["Variables"]["DB_PASSWORD"] == PLAIN
    assert cfg["Environment"]["Variables"]["TOKEN"] == "literal-token-value"

    dump = sqlite_dump(hangar.home)
    assert PLAIN not in dump
    assert "literal-token-value" not in dump
    assert '"ciphertext":"v1:' in dump

    # outputs: hidden by default, shown on request
    assert out["password"] == "[secret]" and out["token"] == "[secret]"
    text = hangar.run("stack", "output", "--stack", "dev", cwd=d, passphrase=None, check=True).stdout
    assert "[secret]" in text and PLAIN not in text
    shown = json.loads(hangar.run("stack", "output", "--json", "--show-secrets", "--stack", "dev", cwd=d,
                                  check=True).stdout)
    assert shown["password"] == PLAIN and shown["token"] == "literal-token-value"
    one = hangar.run("stack", "output", "password", "--show-secrets", "--stack", "dev", cwd=d, check=True)
    assert one.stdout.strip() == PLAIN

    # export keeps ciphertext (and the salt, as Pulumi's secrets_providers); --show-secrets reveals
    exp = hangar.run("stack", "export", "--stack", "dev", cwd=d, passphrase=None, check=True).stdout
    assert PLAIN not in exp and '"ciphertext"' in exp and '"passphrase"' in exp
    exp2 = hangar.run("stack", "export", "--show-secrets", "--stack", "dev", cwd=d, check=True).stdout
    assert PLAIN in exp2

    # a second up is a no-op: decrypted state compares equal to the program
    p = hangar.run("up", "--stack", "dev", "--yes", "--skip-preview", cwd=d, check=True)
    assert "2 unchanged" in p.stdout, p.stdout

    # wrong passphrase: clear error, nothing changes
    bad = hangar.run("up", "--stack", "dev", "--yes", "--skip-preview", cwd=d, passphrase="wrong")
    assert bad.returncode != 0
    assert "incorrect passphrase" in bad.stderr and "PULUMI_CONFIG_PASSPHRASE" in bad.stderr
    bad = hangar.run("config", "get", "dbPassword", "--stack", "dev", cwd=d, passphrase="wrong")
    assert bad.returncode != 0 and "incorrect passphrase" in bad.stderr

    # no passphrase and no terminal: the error names both variables
    none = hangar.run("up", "--stack", "dev", "--yes", "--skip-preview", cwd=d, passphrase=None)
    assert none.returncode != 0
    assert "PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE" in none.stderr

    # the passphrase from a file works too
    pf = tmp_path / "pass.txt"
    pf.write_text(PASS + "\n")
    got = hangar.run("config", "get", "dbPassword", "--stack", "dev", cwd=d, passphrase=None,
                     extra_env={"PULUMI_CONFIG_PASSPHRASE_FILE": str(pf)}, check=True)
    assert got.stdout.strip() == PLAIN


def test_reads_a_stack_file_pulumi_wrote(hangar, tmp_path):
    # the encryption state from pulumi/pulumi's passphrase manager tests (passphrase "password");
    # its check value is "pulumi" encrypted as any secure value is
    d = str(tmp_path / "vec")
    write(os.path.join(d, "Pulumi.yaml"), """\
        name: vec
        runtime: yaml
        resources: {}
        outputs:
          word: ${word}
    """)
    write(os.path.join(d, "Pulumi.dev.yaml"), """\
        encryptionsalt: v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==
        config:
          vec:word:
            secure: v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==
    """)
    got = hangar.run("config", "get", "word", "--stack", "dev", cwd=d, passphrase="password", check=True)
    assert got.stdout.strip() == "pulumi"
    p = hangar.run("up", "--stack", "dev", "--yes", "--skip-preview", cwd=d, passphrase="password", check=True)
    assert "word: [secret]" in p.stdout
    out = hangar.run("stack", "output", "word", "--show-secrets", "--stack", "dev", cwd=d, passphrase="password",
                     check=True)
    assert out.stdout.strip() == "pulumi"
    bad = hangar.run("up", "--stack", "dev", "--yes", "--skip-preview", cwd=d, passphrase="password123")
    assert bad.returncode != 0 and "incorrect passphrase" in bad.stderr
    assert "Pulumi.dev.yaml" in bad.stderr


def test_old_b64_form_still_reads_with_a_warning(hangar, tmp_path):
    d = str(tmp_path / "old")
    write(os.path.join(d, "Pulumi.yaml"), "name: old\nruntime: yaml\nresources: {}\noutputs:\n  v: ${k}\n")
    write(os.path.join(d, "Pulumi.dev.yaml"), "config:\n  old:k:\n    secure: b64:aGVsbG8=\n")
    # state encrypts the secret, so a passphrase is needed (the salt is made on first use)
    p = hangar.run("up", "--stack", "dev", "--yes", "--skip-preview", cwd=d, check=True)
    assert "v: [secret]" in p.stdout
    assert "b64:" in p.stderr and "not encrypted" in p.stderr
    out = hangar.run("stack", "output", "v", "--show-secrets", "--stack", "dev", cwd=d, check=True)
    assert out.stdout.strip() == "hello"
    assert "hello" not in sqlite_dump(hangar.home)


def secret_output_project(d):
    write(os.path.join(d, "Pulumi.yaml"), """\
        name: shown
        runtime: yaml
        resources: {}
        outputs:
          plain: visible-value
          token:
            fn::secret: %s
          nested:
            list: [1, {fn::secret: nested-%s}]
    """ % (PLAIN, PLAIN))
    write(os.path.join(d, "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n")


def outputs_event(stdout):
    events = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    got = [e["outputs"] for e in events if e.get("type") == "outputsEvent"]
    assert len(got) == 1, stdout
    return got[0]


def test_up_and_preview_hide_secret_outputs_unless_show_secrets(hangar, tmp_path):
    d = str(tmp_path / "shown")
    secret_output_project(d)

    pv = hangar.run("preview", "--stack", "dev", cwd=d, check=True)
    assert "token: [secret]" in pv.stdout and PLAIN not in pv.stdout + pv.stderr, pv.stdout
    pv = hangar.run("preview", "--stack", "dev", "--show-secrets", cwd=d, check=True)
    assert 'token: "%s"' % PLAIN in pv.stdout, pv.stdout

    up = hangar.run("up", "--stack", "dev", "--yes", cwd=d, check=True)
    assert "token: [secret]" in up.stdout, up.stdout
    assert 'plain: "visible-value"' in up.stdout
    # a secret inside a list is hidden too, not printed as its wrapper
    assert PLAIN not in up.stdout + up.stderr, up.stdout
    assert '"list":[1,"[secret]"]' in up.stdout, up.stdout

    up = hangar.run("up", "--stack", "dev", "--yes", "--show-secrets", cwd=d, check=True)
    assert 'token: "%s"' % PLAIN in up.stdout, up.stdout
    assert '"list":[1,"nested-%s"]' % PLAIN in up.stdout, up.stdout

    js = outputs_event(hangar.run("up", "--stack", "dev", "--yes", "--json", cwd=d, check=True).stdout)
    assert js["token"] == "[secret]" and js["nested"]["list"][1] == "[secret]" and js["plain"] == "visible-value"
    js = outputs_event(hangar.run("up", "--stack", "dev", "--yes", "--json", "--show-secrets", cwd=d,
                                  check=True).stdout)
    assert js["token"] == PLAIN and js["nested"]["list"][1] == "nested-" + PLAIN
    js = outputs_event(hangar.run("preview", "--stack", "dev", "--json", "--show-secrets", cwd=d,
                                  check=True).stdout)
    assert js["token"] == PLAIN

    # showing is display only: the state keeps the ciphertext
    dump = sqlite_dump(hangar.home)
    assert PLAIN not in dump and '"ciphertext":"v1:' in dump

    # the flag is documented, and refused where no outputs are printed
    assert "--show-secrets" in hangar.run("up", "--help", check=True).stdout
    assert "--show-secrets" in hangar.run("preview", "--help", check=True).stdout
    bad = hangar.run("destroy", "--stack", "dev", "--yes", "--show-secrets", cwd=d)
    assert bad.returncode == 2 and "unknown option '--show-secrets'" in bad.stderr
