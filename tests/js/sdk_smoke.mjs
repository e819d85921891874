// Hangar's third real client: the AWS SDK for JavaScript v3, unmodified, pointed at the
// emulator with only an endpoint override (region us-east-1, dummy credentials).
//
//   HANGAR_ENDPOINT=http://127.0.0.1:4566 node sdk_smoke.mjs [NOTES_TABLE [NOTES_CREATE_FUNCTION]]
//
// NOTES_TABLE / NOTES_CREATE_FUNCTION may also come from the environment. Without a
// notes table the script makes (and later deletes) one of its own; without a function
// the Lambda part is skipped and says so. Every DynamoDB response's x-amz-crc32 is
// checked against its bytes here, because SDK v3 (unlike v2, botocore and the CLI)
// does not check it itself. Prints one "ok"/"not ok" line per check and exits 1 on
// the first failure.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DynamoDBClient, CreateTableCommand, DeleteTableCommand, DescribeTableCommand,
  PutItemCommand, GetItemCommand, ListTablesCommand, waitUntilTableExists,
  ConditionalCheckFailedException, ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient, PutCommand, GetCommand, UpdateCommand, QueryCommand,
  BatchWriteCommand, BatchGetCommand, TransactWriteCommand, paginateQuery,
} from "@aws-sdk/lib-dynamodb";
import { LambdaClient, InvokeCommand, GetFunctionConfigurationCommand } from "@aws-sdk/client-lambda";

const HERE = dirname(fileURLToPath(import.meta.url));
const EVENTS = join(HERE, "..", "..", "fixtures", "events");

const endpoint = process.env.HANGAR_ENDPOINT;
if (!endpoint) {
  console.error("sdk_smoke: HANGAR_ENDPOINT is not set (e.g. http://127.0.0.1:4566)");
  process.exit(2);
}
const notesTableArg = process.argv[2] || process.env.NOTES_TABLE || "";
const createFunction = process.argv[3] || process.env.NOTES_CREATE_FUNCTION || "";

const common = {
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  maxAttempts: 1, // a retry would hide a bad first answer
};

let checks = 0;
function ok(what) { checks += 1; console.log(`ok ${checks} - ${what}`); }
function fail(what, detail) {
  console.log(`not ok ${checks + 1} - ${what}`);
  if (detail !== undefined) console.log("  # " + String(detail).split("\n").join("\n  # "));
  throw new SmokeFailure(what);
}
class SmokeFailure extends Error {}
function check(cond, what, detail) { if (cond) ok(what); else fail(what, detail); }
// Map attributes have no order, so objects compare with their keys sorted.
function canonical(v) {
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  }
  return v;
}
function same(actual, expected, what) {
  const a = JSON.stringify(canonical(actual)), e = JSON.stringify(canonical(expected));
  check(a === e, what, `expected ${e}\n  got      ${a}`);
}
async function rejects(promise, errorName, what, status = 400) {
  try {
    await promise;
  } catch (e) {
    check(e.name === errorName && e.$metadata?.httpStatusCode === status, what,
          `expected ${errorName} (${status}), got ${e.name} (${e.$metadata?.httpStatusCode}): ${e.message}`);
    return e;
  }
  fail(what, `expected ${errorName}, the call succeeded`);
}

// ---------------------------------------------------------------- x-amz-crc32

// CRC-32 (IEEE, the zlib one DynamoDB uses); Node 18 has no zlib.crc32.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const crcStats = { checked: 0, bad: [] };

// Sits just inside the deserializer: reads the raw body once, compares its CRC-32
// with x-amz-crc32 and hands the same bytes on (a Uint8Array body is accepted as is).
function crc32Middleware(next, context) {
  return async (args) => {
    const out = await next(args);
    const res = out.response;
    const chunks = [];
    if (res.body && typeof res.body[Symbol.asyncIterator] === "function") {
      for await (const c of res.body) chunks.push(Buffer.from(c));
    } else if (res.body) {
      chunks.push(Buffer.from(res.body));
    }
    const body = Buffer.concat(chunks);
    res.body = body;
    const header = res.headers["x-amz-crc32"];
    const got = crc32(body);
    crcStats.checked += 1;
    if (header === undefined || String(got) !== String(header).trim()) {
      crcStats.bad.push(`${context.commandName}: header ${header} but body CRC-32 is ${got}`);
    }
    return out;
  };
}

const ddb = new DynamoDBClient(common);
ddb.middlewareStack.addRelativeTo(crc32Middleware, {
  relation: "after", toMiddleware: "deserializerMiddleware", name: "hangarCrc32Check",
});
const doc = DynamoDBDocumentClient.from(ddb, {
  marshallOptions: { removeUndefinedValues: true },
});
const lambda = new LambdaClient(common);

// ---------------------------------------------------------------- helpers

function uniq(prefix) { return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`; }

async function createTable(name, key) {
  const attrs = key.map(([n, t]) => ({ AttributeName: n, AttributeType: t }));
  const schema = key.map(([n], i) => ({ AttributeName: n, KeyType: i === 0 ? "HASH" : "RANGE" }));
  const r = await ddb.send(new CreateTableCommand({
    TableName: name, AttributeDefinitions: attrs, KeySchema: schema, BillingMode: "PAY_PER_REQUEST",
  }));
  check(r.TableDescription?.TableName === name, `CreateTable ${name}`, JSON.stringify(r.TableDescription));
  const w = await waitUntilTableExists({ client: ddb, maxWaitTime: 20, minDelay: 1, maxDelay: 1 },
                                       { TableName: name });
  check(w.state === "SUCCESS", `waitUntilTableExists ${name}`, JSON.stringify(w));
}

// ---------------------------------------------------------------- the checks

async function lowLevelRoundTrip(table) {
  // Every AttributeValue type through the low-level client: the wire shapes, the
  // base64 of B/BS, numbers kept as strings.
  const item = {
    pk: { S: "types" }, sk: { N: "0" },
    s: { S: "héllo ✈ wörld" }, n: { N: "-12.5e3" }, big: { N: "123456789012345678901234567890" },
    b: { B: new Uint8Array([0, 1, 2, 253, 254, 255]) },
    t: { BOOL: true }, f: { BOOL: false }, nul: { NULL: true },
    l: { L: [{ S: "a" }, { N: "1" }, { L: [] }, { M: {} }] },
    m: { M: { inner: { M: { deep: { S: "x" } } }, empty: { S: "" } } },
    ss: { SS: ["b", "a"] }, ns: { NS: ["1", "2.5"] }, bs: { BS: [new Uint8Array([1]), new Uint8Array([2, 3])] },
  };
  await ddb.send(new PutItemCommand({ TableName: table, Item: item }));
  ok("PutItem with every AttributeValue type");
  const r = await ddb.send(new GetItemCommand({
    TableName: table, Key: { pk: { S: "types" }, sk: { N: "0" } }, ConsistentRead: true,
  }));
  const got = r.Item;
  check(got !== undefined, "GetItem finds it");
  same(got.s, item.s, "GetItem: S with non-ASCII text");
  check(got.n.N === "-12.5e3" || Number(got.n.N) === -12500, "GetItem: N", got.n.N);
  same(got.big, item.big, "GetItem: 30-digit N keeps every digit");
  same(Array.from(got.b.B), Array.from(item.b.B), "GetItem: B round-trips through base64");
  same([got.t, got.f, got.nul], [item.t, item.f, item.nul], "GetItem: BOOL and NULL");
  same(got.l, item.l, "GetItem: nested L");
  same(got.m, item.m, "GetItem: nested M with an empty string");
  same([...got.ss.SS].sort(), ["a", "b"], "GetItem: SS");
  same([...got.ns.NS].map(Number).sort(), [1, 2.5], "GetItem: NS");
  same(got.bs.BS.map((x) => Array.from(x)).sort(), [[1], [2, 3]], "GetItem: BS");
  const miss = await ddb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "nope" }, sk: { N: "0" } } }));
  check(miss.Item === undefined, "GetItem of a missing key has no Item");
}

async function documentClient(table) {
  // lib-dynamodb marshals plain JS values; this is what most Node code uses.
  await doc.send(new PutCommand({
    TableName: table,
    Item: { pk: "doc", sk: 1, title: "first", tags: new Set(["x", "y"]), meta: { n: 3, ok: true, no: null } },
  }));
  const g = await doc.send(new GetCommand({ TableName: table, Key: { pk: "doc", sk: 1 }, ConsistentRead: true }));
  same({ ...g.Item, tags: [...g.Item.tags].sort() },
       { pk: "doc", sk: 1, title: "first", tags: ["x", "y"], meta: { n: 3, ok: true, no: null } },
       "DocumentClient Put/Get of plain JS values (number, Set, nested map, null)");

  const u = await doc.send(new UpdateCommand({
    TableName: table, Key: { pk: "doc", sk: 1 },
    UpdateExpression: "SET #t = :t, #c = if_not_exists(#c, :zero) + :one REMOVE meta.#no",
    ConditionExpression: "attribute_exists(pk)",
    ExpressionAttributeNames: { "#t": "title", "#c": "count", "#no": "no" },
    ExpressionAttributeValues: { ":t": "second", ":zero": 0, ":one": 1 },
    ReturnValues: "ALL_NEW",
  }));
  same([u.Attributes.title, u.Attributes.count, u.Attributes.meta], ["second", 1, { n: 3, ok: true }],
       "UpdateItem SET/if_not_exists/REMOVE with ReturnValues ALL_NEW");

  const e = await rejects(doc.send(new PutCommand({
    TableName: table, Item: { pk: "doc", sk: 1 }, ConditionExpression: "attribute_not_exists(pk)",
  })), "ConditionalCheckFailedException", "a failed condition is ConditionalCheckFailedException");
  check(e instanceof ConditionalCheckFailedException, "  ... and an instance of the SDK's exception class");
  await rejects(ddb.send(new GetItemCommand({ TableName: uniq("missing"), Key: { pk: { S: "x" } } })),
                "ResourceNotFoundException", "GetItem on a missing table is ResourceNotFoundException");

  // Batch and transaction paths.
  const rows = [];
  for (let i = 1; i <= 7; i++) rows.push({ PutRequest: { Item: { pk: "q", sk: i, v: `v${i}`, even: i % 2 === 0 } } });
  const bw = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: rows } }));
  check(Object.keys(bw.UnprocessedItems ?? {}).length === 0, "BatchWrite of 7 items, none unprocessed",
        JSON.stringify(bw.UnprocessedItems));
  const bg = await doc.send(new BatchGetCommand({
    RequestItems: { [table]: { Keys: [{ pk: "q", sk: 2 }, { pk: "q", sk: 5 }, { pk: "q", sk: 99 }] } },
  }));
  same(bg.Responses[table].map((x) => x.sk).sort(), [2, 5], "BatchGet returns the two that exist");
  await doc.send(new TransactWriteCommand({
    TransactItems: [
      { Put: { TableName: table, Item: { pk: "tx", sk: 1, v: "a" } } },
      { Update: { TableName: table, Key: { pk: "q", sk: 7 }, UpdateExpression: "SET v = :v",
                  ExpressionAttributeValues: { ":v": "tx" } } },
    ],
  }));
  const t = await doc.send(new GetCommand({ TableName: table, Key: { pk: "q", sk: 7 } }));
  check(t.Item?.v === "tx", "TransactWrite Put+Update applied", JSON.stringify(t.Item));
  await rejects(doc.send(new TransactWriteCommand({
    TransactItems: [
      { Put: { TableName: table, Item: { pk: "tx", sk: 2 } } },
      { ConditionCheck: { TableName: table, Key: { pk: "q", sk: 1 }, ConditionExpression: "v = :no",
                          ExpressionAttributeValues: { ":no": "never" } } },
    ],
  })), "TransactionCanceledException", "a failing ConditionCheck cancels the transaction");
  const notWritten = await doc.send(new GetCommand({ TableName: table, Key: { pk: "tx", sk: 2 } }));
  check(notWritten.Item === undefined, "  ... and its Put was not applied");
}

async function queries(table) {
  const q = await doc.send(new QueryCommand({
    TableName: table, KeyConditionExpression: "pk = :p AND sk BETWEEN :a AND :b",
    FilterExpression: "even = :t", ExpressionAttributeValues: { ":p": "q", ":a": 2, ":b": 6, ":t": true },
    ScanIndexForward: false,
  }));
  same(q.Items.map((x) => x.sk), [6, 4, 2], "Query BETWEEN + filter, descending");
  check(q.ScannedCount === 5 && q.Count === 3, "Query counts: 5 scanned, 3 returned",
        `Count ${q.Count} ScannedCount ${q.ScannedCount}`);

  const pages = [];
  const seen = [];
  for await (const page of paginateQuery({ client: doc, pageSize: 3 }, {
    TableName: table, KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": "q" },
    ProjectionExpression: "sk",
  })) {
    pages.push(page.Items.length);
    seen.push(...page.Items.map((x) => x.sk));
  }
  same(seen, [1, 2, 3, 4, 5, 6, 7], "paginateQuery walks every item in order via LastEvaluatedKey");
  check(pages.length >= 3 && pages.slice(0, 2).every((n) => n === 3), "paginateQuery pages of 3",
        JSON.stringify(pages));
}

async function notesTable(table) {
  const d = await ddb.send(new DescribeTableCommand({ TableName: table }));
  const t = d.Table;
  check(t.TableStatus === "ACTIVE", `notes table ${table} is ACTIVE`, t.TableStatus);
  same(t.KeySchema, [{ AttributeName: "id", KeyType: "HASH" }], "notes table is keyed by id");
  const l = await ddb.send(new ListTablesCommand({}));
  check(l.TableNames.includes(table), "ListTables lists the notes table", JSON.stringify(l.TableNames));
}

async function invokeCreate(fn, table) {
  const cfg = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn }));
  check(cfg.Environment?.Variables?.NOTES_TABLE === table,
        `function ${fn} has NOTES_TABLE=${table}`, JSON.stringify(cfg.Environment));

  const event = JSON.parse(readFileSync(join(EVENTS, "create.json"), "utf8"));
  const sent = JSON.parse(event.body);
  const r = await lambda.send(new InvokeCommand({
    FunctionName: fn, Payload: Buffer.from(JSON.stringify(event)), LogType: "Tail",
  }));
  const raw = Buffer.from(r.Payload ?? []).toString("utf8");
  check(r.StatusCode === 200 && r.FunctionError === undefined, "Invoke create with fixtures/events/create.json",
        `StatusCode ${r.StatusCode} FunctionError ${r.FunctionError}: ${raw}`);
  check(typeof r.LogResult === "string", "Invoke with LogType Tail returns LogResult");
  const proxy = JSON.parse(raw);
  check(proxy.statusCode === 201, "the handler answered 201", raw);
  const note = JSON.parse(proxy.body);
  check(typeof note.id === "string" && note.title === sent.title && note.content === sent.content &&
        note.version === 1, "the proxy body is the new note", proxy.body);

  // The note the Lua handler wrote, read back from the table with the v3 SDK.
  const g = await doc.send(new GetCommand({ TableName: table, Key: { id: note.id }, ConsistentRead: true }));
  same(g.Item, note, "GetItem on the notes table returns exactly the note the handler wrote");
  const q = await doc.send(new QueryCommand({
    TableName: table, KeyConditionExpression: "id = :id", ExpressionAttributeValues: { ":id": note.id },
  }));
  same(q.Items, [note], "Query by id on the notes table");

  const bad = JSON.parse(readFileSync(join(EVENTS, "bad-json.json"), "utf8"));
  const rb = await lambda.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify(bad)) }));
  const pb = JSON.parse(Buffer.from(rb.Payload).toString("utf8"));
  check(pb.statusCode === 400 && typeof JSON.parse(pb.body).message === "string",
        "Invoke with fixtures/events/bad-json.json answers 400 with a message", JSON.stringify(pb));

  await rejects(lambda.send(new InvokeCommand({ FunctionName: uniq("no-such-fn"), Payload: Buffer.from("{}") })),
                "ResourceNotFoundException", "Invoke of a missing function is ResourceNotFoundException (404)", 404);
}

async function main() {
  console.log(`# AWS SDK for JavaScript v3 against ${endpoint} (node ${process.version})`);
  check(crc32(Buffer.from("123456789")) === 0xcbf43926, "CRC-32 check value of \"123456789\" is cbf43926");
  const scratch = uniq("js-smoke");
  const made = [];
  try {
    await createTable(scratch, [["pk", "S"], ["sk", "N"]]);
    made.push(scratch);
    await lowLevelRoundTrip(scratch);
    await documentClient(scratch);
    await queries(scratch);

    let notes = notesTableArg;
    if (!notes) {
      notes = uniq("js-notes");
      await createTable(notes, [["id", "S"]]);
      made.push(notes);
    }
    await notesTable(notes);
    if (createFunction) {
      await invokeCreate(createFunction, notes);
    } else {
      console.log("# no NOTES_CREATE_FUNCTION given: Lambda checks skipped");
    }
  } finally {
    for (const t of made) {
      try { await ddb.send(new DeleteTableCommand({ TableName: t })); } catch (e) {
        if (!(e instanceof ResourceNotFoundException)) console.log(`# DeleteTable ${t}: ${e.name}`);
      }
    }
  }
  check(crcStats.checked > 0 && crcStats.bad.length === 0,
        `x-amz-crc32 matched the body of all ${crcStats.checked} DynamoDB responses`, crcStats.bad.join("\n"));
  console.log(`js-sdk-smoke: all ${checks} checks passed`);
}

main().then(() => process.exit(0), (e) => {
  if (!(e instanceof SmokeFailure)) {
    console.log(`not ok ${checks + 1} - unexpected ${e.name}: ${e.message}`);
    if (e.stack) console.log("  # " + e.stack.split("\n").slice(1, 6).join("\n  # "));
  }
  console.log(`js-sdk-smoke: FAILED after ${checks} passing checks`);
  process.exit(1);
});
