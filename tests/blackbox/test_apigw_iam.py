"""API Gateway methods with authorizationType AWS_IAM, black-box: requests
signed with botocore's SigV4 (service execute-api) as different users of an
--iam file, against --auth enforce and --auth off.

AWS's answers: unsigned -> 403 {"message":"Missing Authentication Token"};
signed by a caller without execute-api:Invoke on
arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path> -> 403
{"Message":"User: <arn> is not authorized to perform: execute-api:Invoke on
resource: <arn>"}; a bad signature or unknown key -> 403 with the signature
message. With --auth off any well-formed signature passes. Methods with
authorizationType NONE stay open in both modes.
"""

import http.client
import json
import os
import tempfile
import urllib.parse

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import pytest

from conftest import Emulator, check_and_cleanup, zip_bytes

ACCOUNT = "000000000000"
REGION = "us-east-1"
STAGE = "test"

LEAD = ("AKIALEAD0000000009", "lead-secret")
INVOKER = ("AKIAINVOKER0000009", "invoker-secret")
READER = ("AKIAREADER00000009", "reader-secret")
DENIED = ("AKIADENIED00000009", "denied-secret")


def user(name, key, statements):
    return {"name": name, "accessKeys": [{"accessKeyId": key[0], "secretAccessKey": key[1]}],
            "policies": [{"Version": "2012-10-17", "Statement": statements}]}


IAM_FILE = {"users": [
    user("team-lead", LEAD, [{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
    # may call GET (any path below items/) only
    user("invoker", INVOKER, [{"Effect": "Allow", "Action": "execute-api:Invoke",
                               "Resource": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*/{STAGE}/GET/items/*"}]),
    # no execute-api permission at all
    user("reader", READER, [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]),
    # everything, but an explicit Deny on POST
    user("denied", DENIED, [{"Effect": "Allow", "Action": "execute-api:*", "Resource": "*"},
                            {"Effect": "Deny", "Action": "execute-api:Invoke",
                             "Resource": f"arn:aws:execute-api:*:*:*/*/POST/*"}]),
]}


def start(args):
    e = Emulator(args=args)
    e.start()
    return e


@pytest.fixture(scope="module")
def enforce():
    fd, path = tempfile.mkstemp(prefix="hangar-apigw-iam-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(IAM_FILE, f)
    e = start(["--auth", "enforce", "--iam", path])
    yield e
    check_and_cleanup(e)
    os.unlink(path)


@pytest.fixture(scope="module")
def off():
    e = start([])
    yield e
    check_and_cleanup(e)


def make_api(endpoint):
    """/items/{id} GET and POST with AWS_IAM, /public GET with NONE; MOCK integrations answering
    {"ok": true}. Returns the API id."""
    c = boto3.client("apigateway", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=LEAD[0],
                     aws_secret_access_key=LEAD[1], config=botocore.config.Config(retries={"max_attempts": 1}))
    api = c.create_rest_api(name="iam-api")["id"]
    root = [r for r in c.get_resources(restApiId=api)["items"] if r["path"] == "/"][0]["id"]
    items = c.create_resource(restApiId=api, parentId=root, pathPart="items")["id"]
    item = c.create_resource(restApiId=api, parentId=items, pathPart="{id}")["id"]
    public = c.create_resource(restApiId=api, parentId=root, pathPart="public")["id"]
    for rid, method, auth in ((item, "GET", "AWS_IAM"), (item, "POST", "AWS_IAM"), (public, "GET", "NONE")):
        c.put_method(restApiId=api, resourceId=rid, httpMethod=method, authorizationType=auth)
        c.put_integration(restApiId=api, resourceId=rid, httpMethod=method, type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
        c.put_method_response(restApiId=api, resourceId=rid, httpMethod=method, statusCode="200")
        c.put_integration_response(restApiId=api, resourceId=rid, httpMethod=method, statusCode="200",
                                   responseTemplates={"application/json": '{"ok": true}'})
    # /whoami: AWS_IAM in front of a Lua function answering the event's requestContext.identity
    lam = boto3.client("lambda", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=LEAD[0],
                       aws_secret_access_key=LEAD[1])
    code = zip_bytes({"main.lua": 'local json = require("json")\n'
                                  'return {handler = function(event) return {statusCode = 200, '
                                  'body = json.encode(event.requestContext.identity)} end}\n'})
    fn = lam.create_function(FunctionName="whoami", Runtime="lua5.4", Handler="main.handler",
                             Role=f"arn:aws:iam::{ACCOUNT}:role/whoami", Code={"ZipFile": code})
    lam.add_permission(FunctionName="whoami", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    who = c.create_resource(restApiId=api, parentId=items, pathPart="whoami")["id"]
    c.put_method(restApiId=api, resourceId=who, httpMethod="GET", authorizationType="AWS_IAM")
    c.put_integration(restApiId=api, resourceId=who, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
                      uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fn['FunctionArn']}/invocations")
    c.create_deployment(restApiId=api, stageName=STAGE)
    return api


@pytest.fixture(scope="module")
def enforce_api(enforce):
    return make_api(enforce.endpoint)


@pytest.fixture(scope="module")
def off_api(off):
    return make_api(off.endpoint)


def url_of(endpoint, api, path):
    return f"{endpoint}/restapis/{api}/{STAGE}/_user_request_{path}"


def send(url, method="GET", headers=None, body=b""):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=15)
    try:
        conn.request(method, u.path + ("?" + u.query if u.query else ""), body=body or None, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def signed(url, key, method="GET", body=b"", service="execute-api", presign=False):
    creds = botocore.credentials.Credentials(key[0], key[1])
    req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body,
                                         headers={"Content-Type": "application/json"} if body else {})
    if presign:
        botocore.auth.SigV4QueryAuth(creds, service, REGION, expires=300).add_auth(req)
        return send(req.url, method, body=body)
    botocore.auth.SigV4Auth(creds, service, REGION).add_auth(req)
    return send(url, method, headers=dict(req.headers.items()), body=body)


def resource_arn(api, method, path):
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api}/{STAGE}/{method}/{path.lstrip('/')}"


def denial(status, headers, body, user_name, arn, explicit=False):
    assert status == 403, body
    assert headers.get("x-amzn-errortype") == "AccessDeniedException"
    expected = (f"User: arn:aws:iam::{ACCOUNT}:user/{user_name} is not authorized to perform: "
                f"execute-api:Invoke on resource: {arn}" + (" with an explicit deny" if explicit else ""))
    assert json.loads(body) == {"Message": expected}


# ---- --auth enforce ---------------------------------------------------------------------------

def test_unsigned_request_gets_missing_authentication_token(enforce, enforce_api):
    st, h, body = send(url_of(enforce.endpoint, enforce_api, "/items/1"))
    assert (st, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    assert h.get("x-amzn-errortype") == "MissingAuthenticationTokenException"


def test_allowed_user_reaches_the_integration(enforce, enforce_api):
    st, _, body = signed(url_of(enforce.endpoint, enforce_api, "/items/42"), INVOKER)
    assert (st, json.loads(body)) == (200, {"ok": True})
    # the presigned (query) form is a signature too
    st, _, body = signed(url_of(enforce.endpoint, enforce_api, "/items/43"), INVOKER, presign=True)
    assert (st, json.loads(body)) == (200, {"ok": True})


def test_allowed_user_is_denied_a_method_its_policy_does_not_cover(enforce, enforce_api):
    st, h, body = signed(url_of(enforce.endpoint, enforce_api, "/items/42"), INVOKER, method="POST", body=b"{}")
    denial(st, h, body, "invoker", resource_arn(enforce_api, "POST", "/items/42"))


def test_user_without_execute_api_permission_is_denied(enforce, enforce_api):
    st, h, body = signed(url_of(enforce.endpoint, enforce_api, "/items/7"), READER)
    denial(st, h, body, "reader", resource_arn(enforce_api, "GET", "/items/7"))


def test_explicit_deny_is_named(enforce, enforce_api):
    st, _, body = signed(url_of(enforce.endpoint, enforce_api, "/items/7"), DENIED)
    assert st == 200, body
    st, h, body = signed(url_of(enforce.endpoint, enforce_api, "/items/7"), DENIED, method="POST", body=b"{}")
    denial(st, h, body, "denied", resource_arn(enforce_api, "POST", "/items/7"), explicit=True)


def test_wrong_secret_and_unknown_key_are_signature_errors(enforce, enforce_api):
    url = url_of(enforce.endpoint, enforce_api, "/items/1")
    st, h, body = signed(url, (INVOKER[0], "not-the-secret"))
    assert st == 403 and h.get("x-amzn-errortype") == "InvalidSignatureException", body
    assert "signature" in json.loads(body)["message"]
    st, h, body = signed(url, ("AKIANOBODY00000009", "x"))
    assert st == 403 and h.get("x-amzn-errortype") == "UnrecognizedClientException", body
    assert json.loads(body) == {"message": "The security token included in the request is invalid."}


def test_signature_for_another_service_is_refused(enforce, enforce_api):
    st, _, body = signed(url_of(enforce.endpoint, enforce_api, "/items/1"), INVOKER, service="lambda")
    assert st == 403 and "execute-api" in json.loads(body)["message"], body


def test_methods_without_iam_stay_open(enforce, enforce_api):
    st, _, body = send(url_of(enforce.endpoint, enforce_api, "/public"))
    assert (st, json.loads(body)) == (200, {"ok": True})


def test_the_handler_sees_who_signed(enforce, enforce_api):
    """requestContext.identity carries the signer, as API Gateway fills it for AWS_IAM methods."""
    st, _, body = signed(url_of(enforce.endpoint, enforce_api, "/items/whoami"), INVOKER)
    assert st == 200, body
    who = json.loads(body)
    sts = boto3.client("sts", endpoint_url=enforce.endpoint, region_name=REGION, aws_access_key_id=INVOKER[0],
                       aws_secret_access_key=INVOKER[1]).get_caller_identity()
    assert who["accessKey"] == INVOKER[0]
    assert who["accountId"] == ACCOUNT
    assert who["userArn"] == f"arn:aws:iam::{ACCOUNT}:user/invoker" == sts["Arn"]
    assert who["caller"] == who["user"] == sts["UserId"]
    assert who["cognitoIdentityId"] is None and who["sourceIp"] == "127.0.0.1"


# ---- --auth off: a signature must be there, any one will do -----------------------------------

def test_auth_off_needs_a_signature_but_accepts_any(off, off_api):
    url = url_of(off.endpoint, off_api, "/items/1")
    st, _, body = send(url)
    assert (st, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    for key in (("AKIAANYONE00000001", "whatever"), READER):
        st, _, body = signed(url, key, method="POST", body=b"{}")
        assert (st, json.loads(body)) == (200, {"ok": True})
    st, _, body = send(url, headers={"Authorization": "AWS4-HMAC-SHA256 garbage"})
    assert st == 403 and json.loads(body)["message"] != "Missing Authentication Token", body
    st, _, body = send(url_of(off.endpoint, off_api, "/public"))
    assert st == 200
    # no caller is verified: the key is the signature's, the principal the account's root
    st, _, body = signed(url_of(off.endpoint, off_api, "/items/whoami"), ("AKIAANYONE00000001", "whatever"))
    who = json.loads(body)
    assert st == 200, body
    assert (who["accessKey"], who["userArn"], who["caller"]) == \
        ("AKIAANYONE00000001", f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT)
