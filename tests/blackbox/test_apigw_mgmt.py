"""Black-box tests for API Gateway's management API (REST APIs v1) with boto3.

Covers RestApis, Resources, Methods, Integrations, method/integration
responses, Deployments (frozen snapshots), Stages and OpenAPI 3 / Swagger 2
import, asserting AWS's status codes, error codes and message words, the
field shapes boto3 parses, paging and patch operations.  Invocation over
HTTP is tested by the invoke tests.
"""

import json
import re

import botocore.exceptions
import pytest

from conftest import ACCOUNT_ID, make_client

LAMBDA_ARN = "arn:aws:lambda:us-east-1:000000000000:function:fn"
LAMBDA_URI = ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
              + LAMBDA_ARN + "/invocations")


@pytest.fixture(scope="module")
def apigw(endpoint):
    return make_client(endpoint, service="apigateway")


def root_id(apigw, api_id):
    items = apigw.get_resources(restApiId=api_id)["items"]
    return [r for r in items if r["path"] == "/"][0]["id"]


@pytest.fixture
def api(apigw):
    a = apigw.create_rest_api(name="test-api")
    yield a
    try:
        apigw.delete_rest_api(restApiId=a["id"])
    except botocore.exceptions.ClientError:
        pass


def error_of(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def add_get_mock(apigw, api_id, parent, part):
    r = apigw.create_resource(restApiId=api_id, parentId=parent, pathPart=part)
    apigw.put_method(restApiId=api_id, resourceId=r["id"], httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=r["id"], httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    return r


# ---- RestApis ----------------------------------------------------------------------------------

def test_create_rest_api_shape(apigw):
    a = apigw.create_rest_api(name="shape", description="d", tags={"k": "v"},
                              binaryMediaTypes=["image/png"])
    try:
        assert a["ResponseMetadata"]["HTTPStatusCode"] == 201
        assert re.fullmatch(r"[a-z0-9]{10}", a["id"])
        assert a["name"] == "shape" and a["description"] == "d"
        assert a["apiKeySource"] == "HEADER"
        assert a["endpointConfiguration"] == {"types": ["EDGE"]}
        assert a["disableExecuteApiEndpoint"] is False
        assert a["tags"] == {"k": "v"}
        assert a["binaryMediaTypes"] == ["image/png"]
        assert a["createdDate"].year >= 2024
        res = apigw.get_resources(restApiId=a["id"])["items"]
        assert len(res) == 1 and res[0]["path"] == "/"
        assert "parentId" not in res[0] and "pathPart" not in res[0]
        assert re.fullmatch(r"[a-z0-9]{10}", res[0]["id"])
        got = apigw.get_rest_api(restApiId=a["id"])
        assert got["id"] == a["id"] and got["name"] == "shape"
    finally:
        apigw.delete_rest_api(restApiId=a["id"])


def test_create_rest_api_regional(apigw):
    a = apigw.create_rest_api(name="r", endpointConfiguration={"types": ["REGIONAL"]})
    assert a["endpointConfiguration"]["types"] == ["REGIONAL"]
    apigw.delete_rest_api(restApiId=a["id"])


def test_get_rest_api_unknown(apigw):
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.get_rest_api(restApiId="nosuchapi1")
    assert error_of(ei) == ("NotFoundException",
                            f"Invalid API identifier specified {ACCOUNT_ID}:nosuchapi1", 404)


def test_get_rest_apis_paging(endpoint):
    client = make_client(endpoint, region="eu-west-1", service="apigateway")
    ids = {client.create_rest_api(name=f"p{i}")["id"] for i in range(5)}
    page1 = client.get_rest_apis(limit=2)
    assert len(page1["items"]) == 2 and "position" in page1
    seen = [a["id"] for a in page1["items"]]
    pos = page1["position"]
    while pos:
        page = client.get_rest_apis(limit=2, position=pos)
        seen += [a["id"] for a in page["items"]]
        pos = page.get("position")
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    # the paginator walks the same pages
    pag = client.get_paginator("get_rest_apis")
    assert sorted(a["id"] for p in pag.paginate(PaginationConfig={"PageSize": 2}) for a in p["items"]) == sorted(ids)
    for i in ids:
        client.delete_rest_api(restApiId=i)
    assert client.get_rest_apis()["items"] == []


def test_update_rest_api_patch(apigw, api):
    out = apigw.update_rest_api(restApiId=api["id"], patchOperations=[
        {"op": "replace", "path": "/name", "value": "renamed"},
        {"op": "replace", "path": "/description", "value": "desc"},
        {"op": "add", "path": "/binaryMediaTypes/image~1png"},
        {"op": "add", "path": "/binaryMediaTypes/application~1octet-stream"},
        {"op": "replace", "path": "/minimumCompressionSize", "value": "1024"},
        {"op": "replace", "path": "/apiKeySource", "value": "AUTHORIZER"},
        {"op": "replace", "path": "/endpointConfiguration/types/EDGE", "value": "REGIONAL"},
    ])
    assert out["name"] == "renamed" and out["description"] == "desc"
    assert out["binaryMediaTypes"] == ["image/png", "application/octet-stream"]
    assert out["minimumCompressionSize"] == 1024
    assert out["apiKeySource"] == "AUTHORIZER"
    assert out["endpointConfiguration"]["types"] == ["REGIONAL"]
    out = apigw.update_rest_api(restApiId=api["id"], patchOperations=[
        {"op": "remove", "path": "/binaryMediaTypes/image~1png"},
        {"op": "remove", "path": "/description"},
        {"op": "replace", "path": "/minimumCompressionSize", "value": ""},
    ])
    assert out["binaryMediaTypes"] == ["application/octet-stream"]
    assert "description" not in out and "minimumCompressionSize" not in out
    assert apigw.get_rest_api(restApiId=api["id"])["name"] == "renamed"


def test_update_rest_api_bad_path(apigw, api):
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.update_rest_api(restApiId=api["id"], patchOperations=[
            {"op": "replace", "path": "/name", "value": "ok"},
            {"op": "replace", "path": "/nosuchfield", "value": "x"}])
    code, msg, status = error_of(ei)
    assert (code, status) == ("BadRequestException", 400) and "/nosuchfield" in msg
    assert apigw.get_rest_api(restApiId=api["id"])["name"] == "test-api"   # nothing applied


def test_delete_rest_api(apigw):
    a = apigw.create_rest_api(name="gone")
    out = apigw.delete_rest_api(restApiId=a["id"])
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.get_rest_api(restApiId=a["id"])
    assert error_of(ei)[0] == "NotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.delete_rest_api(restApiId=a["id"])
    assert error_of(ei)[2] == 404


# ---- Resources ---------------------------------------------------------------------------------

def test_resources_tree(apigw, api):
    rid = root_id(apigw, api["id"])
    users = apigw.create_resource(restApiId=api["id"], parentId=rid, pathPart="users")
    assert users["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert users["path"] == "/users" and users["parentId"] == rid and users["pathPart"] == "users"
    assert re.fullmatch(r"[a-z0-9]{6,10}", users["id"])
    uid = apigw.create_resource(restApiId=api["id"], parentId=users["id"], pathPart="{id}")
    assert uid["path"] == "/users/{id}"
    proxy = apigw.create_resource(restApiId=api["id"], parentId=uid["id"], pathPart="{proxy+}")
    assert proxy["path"] == "/users/{id}/{proxy+}"
    paths = sorted(r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"])
    assert paths == ["/", "/users", "/users/{id}", "/users/{id}/{proxy+}"]
    got = apigw.get_resource(restApiId=api["id"], resourceId=uid["id"])
    assert got["path"] == "/users/{id}" and got["parentId"] == users["id"]


def test_create_resource_errors(apigw, api):
    rid = root_id(apigw, api["id"])
    apigw.create_resource(restApiId=api["id"], parentId=rid, pathPart="x")
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.create_resource(restApiId=api["id"], parentId=rid, pathPart="x")
    assert error_of(ei) == ("ConflictException",
                            "Another resource with the same parent already has this name: x", 409)
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.create_resource(restApiId=api["id"], parentId="nosuch", pathPart="y")
    assert error_of(ei) == ("NotFoundException", "Invalid Resource identifier specified", 404)
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.create_resource(restApiId=api["id"], parentId=rid, pathPart="bad path")
    assert error_of(ei)[0] == "BadRequestException" and "path part" in error_of(ei)[1]
    greedy = apigw.create_resource(restApiId=api["id"], parentId=rid, pathPart="{proxy+}")
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.create_resource(restApiId=api["id"], parentId=greedy["id"], pathPart="child")
    assert error_of(ei)[0] == "BadRequestException" and "greedy" in error_of(ei)[1]


def test_delete_resource_deletes_children(apigw, api):
    rid = root_id(apigw, api["id"])
    a = apigw.create_resource(restApiId=api["id"], parentId=rid, pathPart="a")
    b = apigw.create_resource(restApiId=api["id"], parentId=a["id"], pathPart="b")
    apigw.create_resource(restApiId=api["id"], parentId=b["id"], pathPart="c")
    keep = apigw.create_resource(restApiId=api["id"], parentId=rid, pathPart="keep")
    out = apigw.delete_resource(restApiId=api["id"], resourceId=a["id"])
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
    items = apigw.get_resources(restApiId=api["id"])["items"]
    assert sorted(r["path"] for r in items) == ["/", "/keep"]
    assert keep["id"] in [r["id"] for r in items]
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.get_resource(restApiId=api["id"], resourceId=b["id"])
    assert error_of(ei) == ("NotFoundException", "Invalid Resource identifier specified", 404)


def test_get_resources_paging_and_embed(apigw, api):
    rid = root_id(apigw, api["id"])
    for i in range(4):
        add_get_mock(apigw, api["id"], rid, f"r{i}")
    p1 = apigw.get_resources(restApiId=api["id"], limit=2)
    assert len(p1["items"]) == 2 and p1["position"]
    p2 = apigw.get_resources(restApiId=api["id"], limit=2, position=p1["position"])
    p3 = apigw.get_resources(restApiId=api["id"], limit=2, position=p2["position"])
    assert len(p3["items"]) == 1 and "position" not in p3
    all_ids = [r["id"] for p in (p1, p2, p3) for r in p["items"]]
    assert len(set(all_ids)) == 5
    plain = {r["path"]: r for r in apigw.get_resources(restApiId=api["id"])["items"]}
    assert plain["/r0"]["resourceMethods"] == {"GET": {}}
    assert "resourceMethods" not in plain["/"]
    emb = {r["path"]: r for r in apigw.get_resources(restApiId=api["id"], embed=["methods"])["items"]}
    m = emb["/r0"]["resourceMethods"]["GET"]
    assert m["httpMethod"] == "GET" and m["methodIntegration"]["type"] == "MOCK"


# ---- Methods and integrations ------------------------------------------------------------------

def test_method_lifecycle(apigw, api):
    rid = root_id(apigw, api["id"])
    r = apigw.create_resource(restApiId=api["id"], parentId=rid, pathPart="m")
    m = apigw.put_method(restApiId=api["id"], resourceId=r["id"], httpMethod="POST",
                         authorizationType="NONE", apiKeyRequired=True, operationName="CreateThing",
                         requestParameters={"method.request.querystring.q": False})
    assert m["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert m["httpMethod"] == "POST" and m["authorizationType"] == "NONE" and m["apiKeyRequired"] is True
    assert m["operationName"] == "CreateThing"
    assert m["requestParameters"] == {"method.request.querystring.q": False}
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.put_method(restApiId=api["id"], resourceId=r["id"], httpMethod="POST", authorizationType="NONE")
    assert error_of(ei) == ("ConflictException", "Method already exists for this resource", 409)
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.put_method(restApiId=api["id"], resourceId=r["id"], httpMethod="FETCH", authorizationType="NONE")
    assert error_of(ei)[0] == "BadRequestException"
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.put_method(restApiId=api["id"], resourceId=r["id"], httpMethod="GET", authorizationType="MAGIC")
    assert error_of(ei)[0] == "BadRequestException"
    any_m = apigw.put_method(restApiId=api["id"], resourceId=r["id"], httpMethod="ANY", authorizationType="AWS_IAM")
    assert any_m["authorizationType"] == "AWS_IAM"
    got = apigw.get_method(restApiId=api["id"], resourceId=r["id"], httpMethod="POST")
    assert got["operationName"] == "CreateThing" and "methodIntegration" not in got
    out = apigw.delete_method(restApiId=api["id"], resourceId=r["id"], httpMethod="POST")
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.get_method(restApiId=api["id"], resourceId=r["id"], httpMethod="POST")
    assert error_of(ei) == ("NotFoundException", "Invalid Method identifier specified", 404)


def test_put_integration_lambda_proxy(apigw, api):
    rid = root_id(apigw, api["id"])
    apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType="NONE")
    g = apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=LAMBDA_URI)
    assert g["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert g["type"] == "AWS_PROXY" and g["httpMethod"] == "POST" and g["uri"] == LAMBDA_URI
    assert g["passthroughBehavior"] == "WHEN_NO_MATCH"
    assert g["timeoutInMillis"] == 29000
    assert g["cacheNamespace"] == rid and g["cacheKeyParameters"] == []
    m = apigw.get_method(restApiId=api["id"], resourceId=rid, httpMethod="GET")
    assert m["methodIntegration"]["uri"] == LAMBDA_URI
    got = apigw.get_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET")
    assert got["type"] == "AWS_PROXY"
    out = apigw.delete_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET")
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.get_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET")
    assert error_of(ei) == ("NotFoundException", "Invalid Integration identifier specified", 404)


def test_put_integration_errors(apigw, api):
    rid = root_id(apigw, api["id"])
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="MOCK")
    assert error_of(ei) == ("NotFoundException", "Invalid Method identifier specified", 404)
    apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType="NONE")
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="AWS_PROXY",
                              uri=LAMBDA_URI)
    assert error_of(ei) == ("BadRequestException", "Enumeration value for HttpMethod must be non-empty", 400)
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="AWS_PROXY",
                              integrationHttpMethod="POST")
    assert error_of(ei) == ("BadRequestException", "Invalid integration URI specified", 400)
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="AWS_PROXY",
                              integrationHttpMethod="POST", uri="not-an-arn")
    assert error_of(ei) == ("BadRequestException", "Invalid integration URI specified", 400)
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="MOCK",
                              timeoutInMillis=30000)
    assert error_of(ei)[0] == "BadRequestException" and "29000" in error_of(ei)[1]
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="BOGUS")
    assert error_of(ei)[0] == "BadRequestException"
    g = apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="MOCK",
                              timeoutInMillis=50, passthroughBehavior="NEVER")
    assert g["timeoutInMillis"] == 50 and g["passthroughBehavior"] == "NEVER"
    assert "httpMethod" not in g and "uri" not in g


def test_method_and_integration_responses(apigw, api):
    rid = root_id(apigw, api["id"])
    apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="OPTIONS", authorizationType="NONE")
    mr = apigw.put_method_response(restApiId=api["id"], resourceId=rid, httpMethod="OPTIONS", statusCode="200",
                                   responseParameters={"method.response.header.Access-Control-Allow-Origin": False},
                                   responseModels={"application/json": "Empty"})
    assert mr["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert mr["statusCode"] == "200" and mr["responseModels"] == {"application/json": "Empty"}
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.put_method_response(restApiId=api["id"], resourceId=rid, httpMethod="OPTIONS", statusCode="200")
    assert error_of(ei)[0] == "ConflictException"
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.put_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="OPTIONS", statusCode="200")
    assert error_of(ei) == ("NotFoundException", "Invalid Integration identifier specified", 404)
    apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="OPTIONS", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    ir = apigw.put_integration_response(
        restApiId=api["id"], resourceId=rid, httpMethod="OPTIONS", statusCode="200", selectionPattern="",
        responseParameters={"method.response.header.Access-Control-Allow-Origin": "'*'"},
        responseTemplates={"application/json": ""})
    assert ir["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert ir["statusCode"] == "200"
    assert ir["responseParameters"] == {"method.response.header.Access-Control-Allow-Origin": "'*'"}
    m = apigw.get_method(restApiId=api["id"], resourceId=rid, httpMethod="OPTIONS")
    assert m["methodResponses"]["200"]["statusCode"] == "200"
    assert m["methodIntegration"]["integrationResponses"]["200"]["responseParameters"] == \
        {"method.response.header.Access-Control-Allow-Origin": "'*'"}
    assert apigw.get_method_response(restApiId=api["id"], resourceId=rid, httpMethod="OPTIONS",
                                     statusCode="200")["statusCode"] == "200"
    assert apigw.get_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="OPTIONS",
                                          statusCode="200")["statusCode"] == "200"
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.get_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="OPTIONS", statusCode="404")
    assert error_of(ei)[0] == "NotFoundException"
    apigw.delete_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="OPTIONS", statusCode="200")
    apigw.delete_method_response(restApiId=api["id"], resourceId=rid, httpMethod="OPTIONS", statusCode="200")
    m = apigw.get_method(restApiId=api["id"], resourceId=rid, httpMethod="OPTIONS")
    assert "methodResponses" not in m and "integrationResponses" not in m["methodIntegration"]


# ---- Deployments and stages --------------------------------------------------------------------

def test_deployment_without_methods(apigw, api):
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.create_deployment(restApiId=api["id"], stageName="dev")
    assert error_of(ei) == ("BadRequestException", "The REST API doesn't contain any methods", 400)


def test_deployment_and_stage(apigw, api):
    rid = root_id(apigw, api["id"])
    add_get_mock(apigw, api["id"], rid, "a")
    d = apigw.create_deployment(restApiId=api["id"], stageName="dev", description="first",
                                variables={"fn": "one"})
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert re.fullmatch(r"[a-z0-9]{6,10}", d["id"]) and d["description"] == "first"
    st = apigw.get_stage(restApiId=api["id"], stageName="dev")
    assert st["deploymentId"] == d["id"] and st["stageName"] == "dev"
    assert st["variables"] == {"fn": "one"}
    assert st["cacheClusterEnabled"] is False and st["tracingEnabled"] is False
    assert "createdDate" in st and "lastUpdatedDate" in st
    assert [x["id"] for x in apigw.get_deployments(restApiId=api["id"])["items"]] == [d["id"]]
    assert apigw.get_deployment(restApiId=api["id"], deploymentId=d["id"])["description"] == "first"
    summary = apigw.get_deployment(restApiId=api["id"], deploymentId=d["id"], embed=["apiSummary"])["apiSummary"]
    assert summary == {"/a": {"GET": {"authorizationType": "NONE", "apiKeyRequired": False}}}
    # redeploying to the same stage moves it
    d2 = apigw.create_deployment(restApiId=api["id"], stageName="dev")
    assert apigw.get_stage(restApiId=api["id"], stageName="dev")["deploymentId"] == d2["id"]
    assert len(apigw.get_deployments(restApiId=api["id"])["items"]) == 2
    stages = apigw.get_stages(restApiId=api["id"])["item"]
    assert [s["stageName"] for s in stages] == ["dev"]
    assert apigw.get_stages(restApiId=api["id"], deploymentId=d["id"])["item"] == []


def test_delete_deployment_rules(apigw, api):
    rid = root_id(apigw, api["id"])
    add_get_mock(apigw, api["id"], rid, "a")
    d = apigw.create_deployment(restApiId=api["id"], stageName="dev")
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.delete_deployment(restApiId=api["id"], deploymentId=d["id"])
    assert error_of(ei) == ("BadRequestException",
                            "Active stages pointing to this deployment must be moved or deleted", 400)
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.get_deployment(restApiId=api["id"], deploymentId="nosuch")
    assert error_of(ei) == ("NotFoundException", "Invalid Deployment identifier specified", 404)
    out = apigw.delete_stage(restApiId=api["id"], stageName="dev")
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
    out = apigw.delete_deployment(restApiId=api["id"], deploymentId=d["id"])
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert apigw.get_deployments(restApiId=api["id"])["items"] == []


def test_create_stage_rules(apigw, api):
    rid = root_id(apigw, api["id"])
    add_get_mock(apigw, api["id"], rid, "a")
    d = apigw.create_deployment(restApiId=api["id"])
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.create_stage(restApiId=api["id"], stageName="prod", deploymentId="nosuch")
    assert error_of(ei) == ("NotFoundException", "Invalid Deployment identifier specified", 404)
    st = apigw.create_stage(restApiId=api["id"], stageName="prod", deploymentId=d["id"],
                            description="p", variables={"a": "1"})
    assert st["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert st["stageName"] == "prod" and st["variables"] == {"a": "1"} and st["description"] == "p"
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.create_stage(restApiId=api["id"], stageName="prod", deploymentId=d["id"])
    assert error_of(ei) == ("ConflictException", "Stage already exists", 409)
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.get_stage(restApiId=api["id"], stageName="nosuch")
    assert error_of(ei) == ("NotFoundException", "Invalid Stage identifier specified", 404)
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.delete_stage(restApiId=api["id"], stageName="nosuch")
    assert error_of(ei)[0] == "NotFoundException"


def test_update_stage_patch(apigw, api):
    rid = root_id(apigw, api["id"])
    add_get_mock(apigw, api["id"], rid, "a")
    d1 = apigw.create_deployment(restApiId=api["id"], stageName="dev", variables={"keep": "k", "drop": "d"})
    d2 = apigw.create_deployment(restApiId=api["id"])
    st = apigw.update_stage(restApiId=api["id"], stageName="dev", patchOperations=[
        {"op": "replace", "path": "/variables/new", "value": "n"},
        {"op": "remove", "path": "/variables/drop"},
        {"op": "replace", "path": "/deploymentId", "value": d2["id"]},
        {"op": "replace", "path": "/description", "value": "moved"},
        {"op": "replace", "path": "/tracingEnabled", "value": "true"},
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"},
        {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
    ])
    assert st["variables"] == {"keep": "k", "new": "n"}
    assert st["deploymentId"] == d2["id"] and st["description"] == "moved" and st["tracingEnabled"] is True
    assert st["methodSettings"]["*/*"]["loggingLevel"] == "INFO"
    assert st["methodSettings"]["*/*"]["metricsEnabled"] is True
    assert apigw.get_stage(restApiId=api["id"], stageName="dev")["variables"] == {"keep": "k", "new": "n"}
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.update_stage(restApiId=api["id"], stageName="dev", patchOperations=[
            {"op": "replace", "path": "/deploymentId", "value": "nosuch"}])
    assert error_of(ei) == ("NotFoundException", "Invalid Deployment identifier specified", 404)
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.update_stage(restApiId=api["id"], stageName="dev", patchOperations=[
            {"op": "replace", "path": "/bogus", "value": "x"}])
    assert error_of(ei)[0] == "BadRequestException"
    # d1 is free now
    apigw.delete_deployment(restApiId=api["id"], deploymentId=d1["id"])


def test_snapshot_is_frozen(apigw, api):
    """A resource created after the deployment is in the API, not in the deployment."""
    rid = root_id(apigw, api["id"])
    add_get_mock(apigw, api["id"], rid, "before")
    d = apigw.create_deployment(restApiId=api["id"], stageName="dev")
    add_get_mock(apigw, api["id"], rid, "after")
    live = sorted(r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"])
    assert live == ["/", "/after", "/before"]
    summary = apigw.get_deployment(restApiId=api["id"], deploymentId=d["id"], embed=["apiSummary"])["apiSummary"]
    assert sorted(summary) == ["/before"]
    d2 = apigw.create_deployment(restApiId=api["id"], stageName="dev")
    summary = apigw.get_deployment(restApiId=api["id"], deploymentId=d2["id"], embed=["apiSummary"])["apiSummary"]
    assert sorted(summary) == ["/after", "/before"]


def test_delete_rest_api_drops_stages(apigw):
    a = apigw.create_rest_api(name="withstages")
    rid = root_id(apigw, a["id"])
    add_get_mock(apigw, a["id"], rid, "x")
    apigw.create_deployment(restApiId=a["id"], stageName="dev")
    apigw.delete_rest_api(restApiId=a["id"])
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.get_stages(restApiId=a["id"])
    assert error_of(ei)[0] == "NotFoundException"


# ---- OpenAPI import ----------------------------------------------------------------------------

OAS3 = {
    "openapi": "3.0.1",
    "info": {"title": "imported", "description": "from oas3", "version": "1.0"},
    "paths": {
        "/pets": {
            "get": {
                "operationId": "ListPets",
                "parameters": [{"name": "limit", "in": "query", "required": False}],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "aws_proxy", "httpMethod": "POST", "uri": LAMBDA_URI,
                    "passthroughBehavior": "when_no_match"},
            },
            "options": {
                "responses": {"200": {"description": "cors",
                                      "headers": {"Access-Control-Allow-Origin": {"schema": {"type": "string"}}}}},
                "x-amazon-apigateway-integration": {
                    "type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                    "responses": {"default": {"statusCode": "200", "responseParameters": {
                        "method.response.header.Access-Control-Allow-Origin": "'*'"}}}},
            },
        },
        "/pets/{petId}/toys/{proxy+}": {
            "x-amazon-apigateway-any-method": {
                "x-amazon-apigateway-integration": {
                    "type": "aws_proxy", "httpMethod": "POST", "uri": LAMBDA_URI}},
        },
    },
}

OAS3_YAML = """
openapi: "3.0.1"
info:
  title: yaml-api
  version: "2"
paths:
  /items/{id}:
    get:
      responses:
        "200":
          description: ok
      x-amazon-apigateway-integration:
        type: AWS_PROXY
        httpMethod: POST
        uri: "%s"
        timeoutInMillis: 5000
""" % LAMBDA_URI

SWAGGER2_YAML = """
swagger: "2.0"
info:
  title: swagger-api
  description: old style
basePath: /v1
paths:
  /hello:
    post:
      produces: [application/json]
      responses:
        200:
          description: ok
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: "200"
"""


def resources_by_path(apigw, api_id):
    return {r["path"]: r for r in apigw.get_resources(restApiId=api_id, embed=["methods"])["items"]}


def test_import_openapi3_json(apigw):
    a = apigw.import_rest_api(body=json.dumps(OAS3).encode())
    try:
        assert a["ResponseMetadata"]["HTTPStatusCode"] == 201
        assert a["name"] == "imported" and a["description"] == "from oas3"
        rs = resources_by_path(apigw, a["id"])
        assert sorted(rs) == ["/", "/pets", "/pets/{petId}", "/pets/{petId}/toys",
                              "/pets/{petId}/toys/{proxy+}"]
        get = rs["/pets"]["resourceMethods"]["GET"]
        assert get["operationName"] == "ListPets"
        assert get["requestParameters"] == {"method.request.querystring.limit": False}
        g = get["methodIntegration"]
        assert g["type"] == "AWS_PROXY" and g["httpMethod"] == "POST" and g["uri"] == LAMBDA_URI
        assert g["passthroughBehavior"] == "WHEN_NO_MATCH"
        opt = rs["/pets"]["resourceMethods"]["OPTIONS"]
        assert opt["methodIntegration"]["type"] == "MOCK"
        assert opt["methodIntegration"]["integrationResponses"]["200"]["responseParameters"] == \
            {"method.response.header.Access-Control-Allow-Origin": "'*'"}
        assert "200" in opt["methodResponses"]
        anym = rs["/pets/{petId}/toys/{proxy+}"]["resourceMethods"]
        assert list(anym) == ["ANY"]
        d = apigw.create_deployment(restApiId=a["id"], stageName="v1")
        assert d["id"]
    finally:
        apigw.delete_rest_api(restApiId=a["id"])


def test_import_openapi3_yaml(apigw):
    a = apigw.import_rest_api(body=OAS3_YAML.encode())
    try:
        assert a["name"] == "yaml-api" and a["version"] == "2"
        rs = resources_by_path(apigw, a["id"])
        g = rs["/items/{id}"]["resourceMethods"]["GET"]["methodIntegration"]
        assert g["type"] == "AWS_PROXY" and g["timeoutInMillis"] == 5000
    finally:
        apigw.delete_rest_api(restApiId=a["id"])


def test_import_swagger2_yaml_and_json(apigw):
    a = apigw.import_rest_api(body=SWAGGER2_YAML.encode())
    try:
        assert a["name"] == "swagger-api" and a["description"] == "old style"
        rs = resources_by_path(apigw, a["id"])
        assert sorted(rs) == ["/", "/hello"]     # basePath is ignored, as by default on AWS
        post = rs["/hello"]["resourceMethods"]["POST"]
        assert post["methodIntegration"]["type"] == "MOCK"
        assert post["methodIntegration"]["integrationResponses"]["200"]["statusCode"] == "200"
    finally:
        apigw.delete_rest_api(restApiId=a["id"])
    doc = {"swagger": "2.0", "info": {"title": "sw-json"},
           "paths": {"/x": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}}}
    b = apigw.import_rest_api(body=json.dumps(doc).encode())
    assert b["name"] == "sw-json"
    assert "/x" in resources_by_path(apigw, b["id"])
    apigw.delete_rest_api(restApiId=b["id"])


def test_import_invalid_documents(apigw):
    for body, words in [
        (b"", "empty"),
        (b"{not json: [", "neither JSON nor YAML"),
        (json.dumps({"info": {"title": "x"}, "paths": {}}).encode(), "openapi"),
        (json.dumps({"openapi": "3.0.1", "info": {"title": "x"},
                     "paths": {"/a": {"get": {"x-amazon-apigateway-integration": {"type": "nope"}}}}}).encode(),
         "integration"),
        (json.dumps({"openapi": "3.0.1", "info": {"title": "x"},
                     "paths": {"/a b": {"get": {}}}}).encode(), "path"),
    ]:
        with pytest.raises(botocore.exceptions.ClientError) as ei:
            apigw.import_rest_api(body=body)
        code, msg, status = error_of(ei)
        assert (code, status) == ("BadRequestException", 400), body
        assert words in msg, (body, msg)


def test_import_fail_on_warnings(apigw):
    doc = {"openapi": "3.0.1", "info": {"title": "warn"}, "paths": {"/a": {"get": {}}}}
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.import_rest_api(body=json.dumps(doc).encode(), failOnWarnings=True)
    assert error_of(ei)[0] == "BadRequestException" and "No integration defined" in error_of(ei)[1]
    a = apigw.import_rest_api(body=json.dumps(doc).encode())
    assert any("No integration defined" in w for w in a["warnings"])
    apigw.delete_rest_api(restApiId=a["id"])


def test_put_rest_api_merge_and_overwrite(apigw, api):
    rid = root_id(apigw, api["id"])
    add_get_mock(apigw, api["id"], rid, "existing")
    merged = apigw.put_rest_api(restApiId=api["id"], mode="merge", body=json.dumps(OAS3).encode())
    assert merged["name"] == "imported"
    rs = resources_by_path(apigw, api["id"])
    assert "/existing" in rs and "/pets" in rs
    assert root_id(apigw, api["id"]) == rid          # the root keeps its id
    over = apigw.put_rest_api(restApiId=api["id"], mode="overwrite", body=SWAGGER2_YAML.encode())
    assert over["name"] == "swagger-api"
    rs = resources_by_path(apigw, api["id"])
    assert sorted(rs) == ["/", "/hello"]
    assert rs["/"]["id"] == rid
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        apigw.put_rest_api(restApiId="nosuchapi1", mode="overwrite", body=SWAGGER2_YAML.encode())
    assert error_of(ei)[0] == "NotFoundException"


def test_clone_from(apigw, api):
    rid = root_id(apigw, api["id"])
    add_get_mock(apigw, api["id"], rid, "c")
    clone = apigw.create_rest_api(name="clone", cloneFrom=api["id"])
    try:
        rs = resources_by_path(apigw, clone["id"])
        assert sorted(rs) == ["/", "/c"]
        assert rs["/c"]["id"] not in [r["id"] for r in apigw.get_resources(restApiId=api["id"])["items"]]
        assert rs["/c"]["resourceMethods"]["GET"]["methodIntegration"]["type"] == "MOCK"
    finally:
        apigw.delete_rest_api(restApiId=clone["id"])
