"""Black-box tests for Lambda's control plane: functions, permissions, tags,
reserved concurrency and waiters, spoken to with boto3 as a user of AWS Lambda
would.  Invoke behaviour lives in test_lambda_invoke.py; here a function is
invoked only to show that a control-plane change reached the invoke path.
"""

import base64
import hashlib
import json
import os
import shutil
import tempfile
import urllib.parse
import uuid

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import http.client
import pytest

from conftest import (ACCESS_KEY, ACCOUNT_ID, REGION, SECRET_KEY, assert_client_error, make_client,
                      zip_bytes)

ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/lambda-role"
HANDLER_SRC = 'function handler(event, context) return {answer = 42} end\n'


ZIP = zip_bytes({"index.lua": HANDLER_SRC})


def fname(prefix="fn"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def lam(endpoint):
    # botocore's own checks (min/max, patterns) would hide the server's
    return make_client(endpoint, service="lambda", parameter_validation=False)


def create(lam, name=None, code=None, **kw):
    args = dict(FunctionName=name or fname(), Runtime="lua5.4", Role=ROLE, Handler="index.handler",
                Code=code or {"ZipFile": ZIP})
    args.update(kw)
    return lam.create_function(**args)


def raw_lambda(endpoint, method, path, body=b""):
    """A signed request to Lambda's REST API with an arbitrary path/body."""
    if isinstance(body, str):
        body = body.encode()
    url = endpoint + path
    req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body,
                                         headers={"Content-Type": "application/json"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(ACCESS_KEY, SECRET_KEY),
                            "lambda", REGION).add_auth(req)
    u = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=dict(req.headers.items()))
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


# ---------------------------------------------------------------- CreateFunction

def test_create_returns_the_full_configuration(lam):
    name = fname()
    r = create(lam, name, Description="notes", Environment={"Variables": {"TABLE": "notes"}},
               Tags={"team": "core"})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert r["FunctionName"] == name
    assert r["FunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
    assert r["Runtime"] == "lua5.4"
    assert r["Role"] == ROLE
    assert r["Handler"] == "index.handler"
    assert r["Description"] == "notes"
    assert r["Timeout"] == 3
    assert r["MemorySize"] == 128
    assert r["CodeSize"] == len(ZIP)
    assert r["CodeSha256"] == base64.b64encode(hashlib.sha256(ZIP).digest()).decode()
    assert r["Version"] == "$LATEST"
    assert r["Environment"] == {"Variables": {"TABLE": "notes"}}
    assert r["TracingConfig"] == {"Mode": "PassThrough"}
    assert r["State"] == "Active"
    assert r["LastUpdateStatus"] == "Successful"
    assert r["PackageType"] == "Zip"
    assert r["Architectures"] == ["x86_64"]
    assert r["EphemeralStorage"] == {"Size": 512}
    assert r["SnapStart"] == {"ApplyOn": "None", "OptimizationStatus": "Off"}
    uuid.UUID(r["RevisionId"])
    # "2026-11-28T08:00:00.000+0000"
    lm = r["LastModified"]
    assert len(lm) == 28 and lm[10] == "T" and lm[19] == "." and lm.endswith("+0000"), lm


def test_create_logging_config_names_the_log_group(lam, endpoint):
    name = fname()
    create(lam, name)
    status, _, body = raw_lambda(endpoint, "GET", f"/2015-03-31/functions/{name}/configuration")
    assert status == 200
    assert json.loads(body)["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}


def test_create_settings_and_arm64_are_echoed(lam):
    r = create(lam, Timeout=900, MemorySize=10240, Architectures=["arm64"], Publish=True)
    assert (r["Timeout"], r["MemorySize"], r["Architectures"], r["Version"]) == (900, 10240, ["arm64"], "$LATEST")


def test_duplicate_function_is_409(lam):
    name = fname()
    create(lam, name)
    with pytest.raises(lam.exceptions.ResourceConflictException) as e:
        create(lam, name)
    assert_client_error(e, "ResourceConflictException", f"Function already exist: {name}", status=409)


@pytest.mark.parametrize("runtime", ["python3.12", "nodejs20.x", "lua5.3"])
def test_other_runtimes_are_refused_naming_the_supported_one(lam, runtime):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, Runtime=runtime)
    assert_client_error(e, "InvalidParameterValueException", runtime, "lua5.4")


def test_missing_runtime_is_refused(lam):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_function(FunctionName=fname(), Role=ROLE, Handler="index.handler", Code={"ZipFile": ZIP})
    assert_client_error(e, "InvalidParameterValueException", "Runtime", "lua5.4")


def test_missing_handler_is_refused(lam):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_function(FunctionName=fname(), Role=ROLE, Runtime="lua5.4", Code={"ZipFile": ZIP})
    assert_client_error(e, "InvalidParameterValueException", "Handler")


@pytest.mark.parametrize("role", ["not-an-arn", "arn:aws:iam::123:role/x", "arn:aws:iam::000000000000:user/x",
                                  "arn:aws:iam::000000000000:role/"])
def test_role_arn_format_is_checked(lam, role):
    with pytest.raises(lam.exceptions.ClientError) as e:
        create(lam, Role=role)
    assert_client_error(e, "ValidationException", "1 validation error detected", f"Value '{role}' at 'role'",
                        "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?")


def test_role_arn_of_other_partitions_and_paths_is_accepted(lam):
    assert create(lam, Role="arn:aws-cn:iam::123456789012:role/service-role/my.role+x")["Role"].endswith("my.role+x")


@pytest.mark.parametrize("name,words", [
    ("a" * 65, ["functionName", "length less than or equal to 64"]),
    ("bad name", ["functionName", "regular expression pattern"]),
    ("bad.name", ["functionName", "regular expression pattern"]),
])
def test_function_name_is_checked(lam, name, words):
    with pytest.raises(lam.exceptions.ClientError) as e:
        create(lam, name)
    assert_client_error(e, "ValidationException", *words)


def test_function_name_of_64_characters_is_fine(lam):
    name = "n" + uuid.uuid4().hex + "x" * 31
    assert len(name) == 64
    assert create(lam, name)["FunctionName"] == name


@pytest.mark.parametrize("kw,words", [
    (dict(Timeout=0), ["timeout", "greater than or equal to 1"]),
    (dict(Timeout=901), ["timeout", "less than or equal to 900"]),
    (dict(MemorySize=127), ["memorySize", "greater than or equal to 128"]),
    (dict(MemorySize=10241), ["memorySize", "less than or equal to 10240"]),
    (dict(Description="d" * 257), ["description", "256"]),
    (dict(Architectures=["sparc"]), ["architectures", "x86_64", "arm64"]),
    (dict(Architectures=["x86_64", "arm64"]), ["architectures", "length"]),
    (dict(Environment={"Variables": {"1BAD": "x"}}), ["environment", "[a-zA-Z]([a-zA-Z0-9_])+"]),
])
def test_shape_constraints_are_validation_errors(lam, kw, words):
    with pytest.raises(lam.exceptions.ClientError) as e:
        create(lam, **kw)
    assert_client_error(e, "ValidationException", "1 validation error detected", *words)


def test_environment_over_4kb_is_refused(lam):
    big = {f"K{i}": "v" * 100 for i in range(40)}
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, Environment={"Variables": big})
    assert_client_error(e, "InvalidParameterValueException", "exceeded the 4KB limit")


def test_environment_just_under_4kb_is_accepted(lam):
    # {"KK":"vvv..."} = 9 + len(value) bytes of JSON
    r = create(lam, Environment={"Variables": {"KK": "v" * 4000}})
    assert len(r["Environment"]["Variables"]["KK"]) == 4000


def test_reserved_environment_keys_are_refused(lam):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, Environment={"Variables": {"AWS_REGION": "eu-west-1"}})
    assert_client_error(e, "InvalidParameterValueException", "reserved keys", "AWS_REGION")


def test_bad_zip_gets_lambdas_clear_error(lam):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, code={"ZipFile": b"this is not a zip archive"})
    assert_client_error(e, "InvalidParameterValueException", "Could not unzip uploaded file")


def test_code_without_a_source_is_refused(lam):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, code={"S3ObjectVersion": "1"})
    assert_client_error(e, "InvalidParameterValueException", "source for function code")


def test_real_s3_code_is_refused_pointing_at_hot_reload(lam):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, code={"S3Bucket": "my-bucket", "S3Key": "code.zip"})
    assert_client_error(e, "InvalidParameterValueException", "my-bucket", "hot-reload")


def test_image_package_type_is_refused(lam):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, PackageType="Image", code={"ImageUri": "x.dkr.ecr.us-east-1.amazonaws.com/f:1"})
    assert_client_error(e, "InvalidParameterValueException", "Image")


def test_malformed_json_body_is_refused(endpoint):
    status, headers, body = raw_lambda(endpoint, "POST", "/2015-03-31/functions", b"{not json")
    assert status == 400
    assert headers["x-amzn-errortype"] == "InvalidRequestContentException"
    assert json.loads(body)["Type"] == "User"


def test_unknown_route_is_404_with_a_clear_message(endpoint):
    status, headers, body = raw_lambda(endpoint, "GET", "/2015-03-31/functions/x/nothing-here")
    assert status == 404
    assert "nothing-here" in json.loads(body)["message"]


# ---------------------------------------------------------------- hot reload

@pytest.fixture
def hot_dir():
    d = tempfile.mkdtemp(prefix="hangar-hot-")
    with open(os.path.join(d, "index.lua"), "w") as f:
        f.write(HANDLER_SRC)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_hot_reload_function_is_created_from_a_folder(lam, hot_dir):
    r = create(lam, code={"S3Bucket": "hot-reload", "S3Key": hot_dir})
    assert r["CodeSize"] == 0
    assert r["CodeSha256"] == base64.b64encode(hashlib.sha256(hot_dir.encode()).digest()).decode()
    got = lam.get_function(FunctionName=r["FunctionName"])
    assert got["Code"]["Location"] == hot_dir
    out = lam.invoke(FunctionName=r["FunctionName"])
    assert json.loads(out["Payload"].read()) == {"answer": 42}


@pytest.mark.parametrize("key", ["relative/path", "/no/such/folder/anywhere"])
def test_hot_reload_needs_an_existing_absolute_folder(lam, key):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, code={"S3Bucket": "hot-reload", "S3Key": key})
    assert_client_error(e, "InvalidParameterValueException", key)


def test_hot_reload_folder_must_be_a_directory(lam, hot_dir):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, code={"S3Bucket": "hot-reload", "S3Key": os.path.join(hot_dir, "index.lua")})
    assert_client_error(e, "InvalidParameterValueException", "not a directory")


# ---------------------------------------------------------------- Get / names

def test_get_function_has_configuration_code_and_tags(lam):
    name = fname()
    created = create(lam, name, Tags={"a": "1"})
    got = lam.get_function(FunctionName=name)
    assert got["Configuration"] == {k: v for k, v in created.items() if k != "ResponseMetadata"}
    assert got["Code"]["RepositoryType"] == "S3" and got["Code"]["Location"]
    assert got["Tags"] == {"a": "1"}
    assert "Concurrency" not in got


def test_function_can_be_named_by_arn_partial_arn_and_latest(lam):
    name = fname()
    arn = create(lam, name)["FunctionArn"]
    for ref in (name, arn, f"{ACCOUNT_ID}:function:{name}", f"{name}:$LATEST", f"{arn}:$LATEST"):
        assert lam.get_function_configuration(FunctionName=ref)["FunctionName"] == name, ref
    assert lam.get_function(FunctionName=name, Qualifier="$LATEST")["Configuration"]["FunctionName"] == name


def test_missing_function_and_other_qualifiers_are_404(lam):
    name = fname()
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_function(FunctionName=name)
    assert_client_error(e, "ResourceNotFoundException",
                        f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}", status=404)
    create(lam, name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_function(FunctionName=name, Qualifier="7")
    assert_client_error(e, "ResourceNotFoundException", f"function:{name}:7", status=404)


def test_malformed_function_reference_is_a_validation_error(lam):
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.get_function(FunctionName="arn:aws:s3:::bucket")
    assert_client_error(e, "ValidationException", "functionName")


# ---------------------------------------------------------------- ListFunctions

@pytest.fixture(scope="module")
def listed_region(endpoint):
    """A region of its own holding exactly 7 functions, so paging is exact."""
    client = make_client(endpoint, region="eu-west-3", service="lambda", parameter_validation=False)
    names = sorted(f"list-{i:02d}-{uuid.uuid4().hex[:6]}" for i in range(7))
    for n in names:
        create(client, n)
    return client, names


def test_list_returns_every_function_in_name_order(listed_region):
    client, names = listed_region
    got = client.list_functions()
    assert [f["FunctionName"] for f in got["Functions"]] == names
    assert "NextMarker" not in got
    assert all(f["FunctionArn"].startswith("arn:aws:lambda:eu-west-3:") for f in got["Functions"])


def test_list_pages_with_max_items_and_marker(listed_region):
    client, names = listed_region
    seen, marker, pages = [], None, 0
    while True:
        kw = {"MaxItems": 3}
        if marker:
            kw["Marker"] = marker
        page = client.list_functions(**kw)
        pages += 1
        assert len(page["Functions"]) <= 3
        seen += [f["FunctionName"] for f in page["Functions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert seen == names and pages == 3


def test_list_paginator_walks_every_page(listed_region):
    client, names = listed_region
    pages = list(client.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 4
    assert [f["FunctionName"] for p in pages for f in p["Functions"]] == names


def test_list_page_ending_on_the_last_function_has_no_marker(listed_region):
    client, names = listed_region
    page = client.list_functions(MaxItems=7)
    assert len(page["Functions"]) == 7 and "NextMarker" not in page


@pytest.mark.parametrize("items", [0, 10001])
def test_list_max_items_bounds(endpoint, items):
    status, headers, body = raw_lambda(endpoint, "GET", f"/2015-03-31/functions/?MaxItems={items}")
    assert status == 400
    assert headers["x-amzn-errortype"] == "ValidationException"
    assert "maxItems" in json.loads(body)["message"]


def test_functions_are_per_region(endpoint, lam):
    name = fname()
    create(lam, name)
    other = make_client(endpoint, region="ap-south-1", service="lambda")
    with pytest.raises(other.exceptions.ResourceNotFoundException):
        other.get_function(FunctionName=name)


# ---------------------------------------------------------------- updates

def test_update_code_changes_sha_revision_and_last_modified_and_runs_new_code(lam):
    name = fname()
    before = create(lam, name)
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == {"answer": 42}
    new_zip = zip_bytes({"index.lua": 'function handler() return {answer = 43} end\n'})
    after = lam.update_function_code(FunctionName=name, ZipFile=new_zip)
    assert after["CodeSha256"] == base64.b64encode(hashlib.sha256(new_zip).digest()).decode()
    assert after["CodeSize"] == len(new_zip)
    assert after["RevisionId"] != before["RevisionId"]
    assert after["LastModified"] >= before["LastModified"]
    assert after["LastUpdateStatus"] == "Successful"
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == {"answer": 43}


def test_update_code_dry_run_changes_nothing(lam):
    name = fname()
    before = create(lam, name)
    new_zip = zip_bytes({"index.lua": "function handler() return 1 end\n"})
    dry = lam.update_function_code(FunctionName=name, ZipFile=new_zip, DryRun=True)
    assert dry["CodeSha256"] == base64.b64encode(hashlib.sha256(new_zip).digest()).decode()
    now = lam.get_function_configuration(FunctionName=name)
    assert now["CodeSha256"] == before["CodeSha256"] and now["RevisionId"] == before["RevisionId"]


def test_update_code_with_a_bad_zip_keeps_the_old_code(lam):
    name = fname()
    before = create(lam, name)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_function_code(FunctionName=name, ZipFile=b"PK\x03\x04 broken")
    assert lam.get_function_configuration(FunctionName=name)["CodeSha256"] == before["CodeSha256"]


def test_update_code_can_switch_to_hot_reload(lam, hot_dir):
    name = fname()
    create(lam, name)
    r = lam.update_function_code(FunctionName=name, S3Bucket="hot-reload", S3Key=hot_dir)
    assert r["CodeSize"] == 0
    assert lam.get_function(FunctionName=name)["Code"]["Location"] == hot_dir


def test_update_code_revision_id_precondition(lam):
    name = fname()
    rev = create(lam, name)["RevisionId"]
    with pytest.raises(lam.exceptions.PreconditionFailedException) as e:
        lam.update_function_code(FunctionName=name, ZipFile=ZIP, RevisionId=str(uuid.uuid4()))
    assert_client_error(e, "PreconditionFailedException", "Revision Id", status=412)
    assert lam.update_function_code(FunctionName=name, ZipFile=ZIP, RevisionId=rev)["RevisionId"] != rev


def test_update_configuration_changes_settings(lam):
    name = fname()
    before = create(lam, name)
    after = lam.update_function_configuration(
        FunctionName=name, Timeout=30, MemorySize=256, Description="new", Handler="index.other",
        Environment={"Variables": {"AB": "b"}}, Role=f"arn:aws:iam::{ACCOUNT_ID}:role/other")
    assert (after["Timeout"], after["MemorySize"], after["Description"], after["Handler"]) == (30, 256, "new", "index.other")
    assert after["Environment"] == {"Variables": {"AB": "b"}}
    assert after["Role"].endswith("role/other")
    assert after["RevisionId"] != before["RevisionId"]
    assert after["CodeSha256"] == before["CodeSha256"]
    stored = lam.get_function_configuration(FunctionName=name)
    stored.pop("ResponseMetadata")
    after.pop("ResponseMetadata")
    assert stored == after


def test_update_configuration_reaches_the_invoke_path(lam):
    name = fname()
    create(lam, name, code={"ZipFile": zip_bytes({"index.lua": 'function handler() return os.getenv("GREETING") end\n'})},
           Environment={"Variables": {"GREETING": "hello"}})
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == "hello"
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"GREETING": "bye"}})
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == "bye"


@pytest.mark.parametrize("kw,code", [
    (dict(Timeout=1000), "ValidationException"),
    (dict(MemorySize=64), "ValidationException"),
    (dict(Role="nope"), "ValidationException"),
    (dict(Runtime="python3.12"), "InvalidParameterValueException"),
])
def test_update_configuration_validates_like_create(lam, kw, code):
    name = fname()
    before = create(lam, name)
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.update_function_configuration(FunctionName=name, **kw)
    assert_client_error(e, code)
    assert lam.get_function_configuration(FunctionName=name)["RevisionId"] == before["RevisionId"]


def test_update_configuration_revision_id_precondition(lam):
    name = fname()
    rev = create(lam, name)["RevisionId"]
    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.update_function_configuration(FunctionName=name, Timeout=5, RevisionId="0" * 8)
    assert lam.update_function_configuration(FunctionName=name, Timeout=5, RevisionId=rev)["Timeout"] == 5


def test_update_missing_function_is_404(lam):
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.update_function_configuration(FunctionName=fname(), Timeout=5)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.update_function_code(FunctionName=fname(), ZipFile=ZIP)


# ---------------------------------------------------------------- Delete

def test_delete_is_204_then_404_and_the_name_is_free_again(lam):
    name = fname()
    create(lam, name)
    r = lam.delete_function(FunctionName=name)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.delete_function(FunctionName=name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName=name)
    create(lam, name, code={"ZipFile": zip_bytes({"index.lua": "function handler() return 'second' end\n"})})
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == "second"


def test_delete_by_arn(lam):
    arn = create(lam)["FunctionArn"]
    lam.delete_function(FunctionName=arn)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=arn)


# ---------------------------------------------------------------- permissions

def test_permission_round_trip(lam):
    name = fname()
    f = create(lam, name)
    src = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:abc123/*/GET/notes"
    r = lam.add_permission(FunctionName=name, StatementId="apigw", Action="lambda:InvokeFunction",
                           Principal="apigateway.amazonaws.com", SourceArn=src)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 201
    statement = json.loads(r["Statement"])
    assert statement == {
        "Sid": "apigw", "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction", "Resource": f["FunctionArn"],
        "Condition": {"ArnLike": {"AWS:SourceArn": src}},
    }
    lam.add_permission(FunctionName=name, StatementId="acct", Action="lambda:*", Principal=ACCOUNT_ID,
                       SourceAccount=ACCOUNT_ID)
    got = lam.get_policy(FunctionName=name)
    policy = json.loads(got["Policy"])
    assert policy["Version"] == "2012-10-17" and policy["Id"] == "default"
    assert [s["Sid"] for s in policy["Statement"]] == ["apigw", "acct"]
    acct = policy["Statement"][1]
    assert acct["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    assert acct["Condition"] == {"StringEquals": {"AWS:SourceAccount": ACCOUNT_ID}}
    assert got["RevisionId"] == lam.get_function_configuration(FunctionName=name)["RevisionId"]

    r = lam.remove_permission(FunctionName=name, StatementId="apigw")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert [s["Sid"] for s in json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]] == ["acct"]
    lam.remove_permission(FunctionName=name, StatementId="acct")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_policy(FunctionName=name)
    assert_client_error(e, "ResourceNotFoundException", "The resource you requested does not exist.", status=404)


def test_function_url_auth_type_is_a_condition(lam):
    name = fname()
    create(lam, name)
    r = lam.add_permission(FunctionName=name, StatementId="url", Action="lambda:InvokeFunctionUrl",
                           Principal="*", FunctionUrlAuthType="NONE")
    s = json.loads(r["Statement"])
    assert s["Principal"] == "*"
    assert s["Condition"] == {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}


def test_duplicate_statement_id_is_409(lam):
    name = fname()
    create(lam, name)
    kw = dict(FunctionName=name, StatementId="dup", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
    lam.add_permission(**kw)
    with pytest.raises(lam.exceptions.ResourceConflictException) as e:
        lam.add_permission(**kw)
    assert_client_error(e, "ResourceConflictException", "The statement id (dup) provided already exists",
                        "remove the existing statement", status=409)


def test_get_policy_without_statements_is_404(lam):
    name = fname()
    create(lam, name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_policy(FunctionName=name)
    assert_client_error(e, "ResourceNotFoundException", "The resource you requested does not exist.", status=404)


def test_remove_unknown_statement_is_404(lam):
    name = fname()
    create(lam, name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.remove_permission(FunctionName=name, StatementId="ghost")
    assert_client_error(e, "ResourceNotFoundException", "Statement ghost is not found in resource policy.", status=404)


@pytest.mark.parametrize("kw,words", [
    (dict(Action="s3:GetObject"), ["action", "lambda:"]),
    (dict(StatementId="bad id"), ["statementId"]),
    (dict(SourceAccount="12"), ["sourceAccount"]),
])
def test_add_permission_validation(lam, kw, words):
    name = fname()
    create(lam, name)
    args = dict(FunctionName=name, StatementId="s", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com")
    args.update(kw)
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.add_permission(**args)
    assert_client_error(e, "ValidationException", *words)


def test_add_permission_revision_precondition_and_missing_function(lam):
    name = fname()
    create(lam, name)
    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.add_permission(FunctionName=name, StatementId="s", Action="lambda:InvokeFunction",
                           Principal="sns.amazonaws.com", RevisionId="stale")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.add_permission(FunctionName=fname(), StatementId="s", Action="lambda:InvokeFunction",
                           Principal="sns.amazonaws.com")


# ---------------------------------------------------------------- tags

def test_tags_round_trip_by_arn(lam):
    arn = create(lam, Tags={"keep": "1"})["FunctionArn"]
    r = lam.tag_resource(Resource=arn, Tags={"a": "x", "b": "y"})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.list_tags(Resource=arn)["Tags"] == {"keep": "1", "a": "x", "b": "y"}
    lam.tag_resource(Resource=arn, Tags={"a": "changed"})
    lam.untag_resource(Resource=arn, TagKeys=["b", "keep", "never-there"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"a": "changed"}
    assert lam.get_function(FunctionName=arn)["Tags"] == {"a": "changed"}


def test_tags_of_a_missing_function_are_404(lam):
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{fname()}"
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.list_tags(Resource=arn)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.tag_resource(Resource=arn, Tags={"a": "b"})


def test_tag_limit_is_50(lam):
    arn = create(lam, Tags={f"k{i}": "v" for i in range(45)})["FunctionArn"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.tag_resource(Resource=arn, Tags={f"n{i}": "v" for i in range(6)})
    assert_client_error(e, "InvalidParameterValueException", "tag limit")
    lam.tag_resource(Resource=arn, Tags={f"n{i}": "v" for i in range(5)})
    assert len(lam.list_tags(Resource=arn)["Tags"]) == 50


def test_tags_need_an_arn(lam):
    name = fname()
    create(lam, name)
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.list_tags(Resource=name)
    assert_client_error(e, "ValidationException", "resource")


# ---------------------------------------------------------------- concurrency

def test_reserved_concurrency_round_trip(lam):
    name = fname()
    create(lam, name)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    r = lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    assert r["ReservedConcurrentExecutions"] == 5
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 5
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 5}
    r = lam.delete_function_concurrency(FunctionName=name)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    assert "Concurrency" not in lam.get_function(FunctionName=name)


def test_zero_reserved_concurrency_throttles_invokes(lam):
    name = fname()
    create(lam, name)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException) as e:
        lam.invoke(FunctionName=name)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    lam.delete_function_concurrency(FunctionName=name)
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == {"answer": 42}


def test_reserved_concurrency_bounds(lam):
    name = fname()
    create(lam, name)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1001)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.put_function_concurrency(FunctionName=fname(), ReservedConcurrentExecutions=1)


# ---------------------------------------------------------------- waiters

def test_waiters_succeed_at_once(lam):
    name = fname()
    create(lam, name)
    fast = {"Delay": 1, "MaxAttempts": 1}
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=fast)
    lam.get_waiter("function_active").wait(FunctionName=name, WaiterConfig=fast)
    lam.get_waiter("function_exists").wait(FunctionName=name, WaiterConfig=fast)
    lam.update_function_configuration(FunctionName=name, Timeout=10)
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=fast)
    lam.get_waiter("function_updated").wait(FunctionName=name, WaiterConfig=fast)


# ---------------------------------------------------------------- persistence

def test_functions_survive_a_restart_with_data(emulator_factory, tmp_data_dir):
    emu = emulator_factory(data_dir=tmp_data_dir)
    client = make_client(emu.endpoint, service="lambda")
    name = fname()
    made = create(client, name, Tags={"t": "v"})
    client.add_permission(FunctionName=name, StatementId="s", Action="lambda:InvokeFunction",
                          Principal="sns.amazonaws.com")
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    emu.stop()
    emu2 = emulator_factory(data_dir=tmp_data_dir)
    client = make_client(emu2.endpoint, service="lambda")
    got = client.get_function(FunctionName=name)
    assert got["Configuration"]["CodeSha256"] == made["CodeSha256"]
    assert got["Tags"] == {"t": "v"}
    assert got["Concurrency"] == {"ReservedConcurrentExecutions": 2}
    assert json.loads(client.get_policy(FunctionName=name)["Policy"])["Statement"][0]["Sid"] == "s"
    assert json.loads(client.invoke(FunctionName=name)["Payload"].read()) == {"answer": 42}
