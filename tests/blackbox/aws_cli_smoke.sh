#!/usr/bin/env bash
# Smoke test with the real aws CLI (Debian's /usr/bin/aws): the commands a user
# types first must work against hangar-emulator with only --endpoint-url.
# Starts its own emulator (HANGAR_EMULATOR), or uses HANGAR_ENDPOINT if set.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib/emulator.sh"

ddb() { "$AWS" dynamodb --endpoint-url "$endpoint" --output json "$@"; }

table="cli-smoke-$$-$RANDOM"

ddb create-table --table-name "$table" \
    --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=N \
    --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
    --billing-mode PAY_PER_REQUEST >"$workdir/create.json"
[[ $(json_get 'd["TableDescription"]["TableName"]' <"$workdir/create.json") == "$table" ]] \
    || fail "create-table did not echo the name"

ddb wait table-exists --table-name "$table"
[[ $(ddb describe-table --table-name "$table" | json_get 'd["Table"]["TableStatus"]') == ACTIVE ]] \
    || fail "table not ACTIVE"
ddb list-tables | grep -q "\"$table\"" || fail "list-tables does not show the table"

for i in 1 2 3; do
    ddb put-item --table-name "$table" \
        --item "{\"pk\":{\"S\":\"user\"},\"sk\":{\"N\":\"$i\"},\"name\":{\"S\":\"n$i\"}}"
done

ddb get-item --table-name "$table" --consistent-read \
    --key '{"pk":{"S":"user"},"sk":{"N":"2"}}' >"$workdir/get.json"
[[ $(json_get 'd["Item"]["name"]["S"]' <"$workdir/get.json") == n2 ]] || fail "get-item returned wrong item"

ddb query --table-name "$table" --key-condition-expression "pk = :p AND sk >= :s" \
    --expression-attribute-values '{":p":{"S":"user"},":s":{"N":"2"}}' >"$workdir/query.json"
[[ $(json_get '",".join(i["sk"]["N"] for i in d["Items"])' <"$workdir/query.json") == "2,3" ]] \
    || fail "query returned wrong items"
[[ $(json_get 'd["Count"]' <"$workdir/query.json") == 2 ]] || fail "query Count wrong"

ddb scan --table-name "$table" >"$workdir/scan.json"
[[ $(json_get 'd["Count"]' <"$workdir/scan.json") == 3 ]] || fail "scan Count wrong"

ddb update-item --table-name "$table" --key '{"pk":{"S":"user"},"sk":{"N":"1"}}' \
    --update-expression "SET #n = :v ADD visits :one" \
    --expression-attribute-names '{"#n":"name"}' \
    --expression-attribute-values '{":v":{"S":"renamed"},":one":{"N":"1"}}' \
    --return-values ALL_NEW >"$workdir/update.json"
[[ $(json_get 'd["Attributes"]["name"]["S"] + "/" + d["Attributes"]["visits"]["N"]' <"$workdir/update.json") \
    == "renamed/1" ]] || fail "update-item result wrong"

# A failing condition must exit non-zero with the AWS error code.
if ddb put-item --table-name "$table" --item '{"pk":{"S":"user"},"sk":{"N":"1"}}' \
        --condition-expression "attribute_not_exists(pk)" 2>"$workdir/cond.err"; then
    fail "conditional put should have failed"
fi
grep -q ConditionalCheckFailedException "$workdir/cond.err" || fail "wrong error: $(cat "$workdir/cond.err")"

ddb delete-item --table-name "$table" --key '{"pk":{"S":"user"},"sk":{"N":"3"}}'
ddb get-item --table-name "$table" --consistent-read \
    --key '{"pk":{"S":"user"},"sk":{"N":"3"}}' >"$workdir/gone.json"
[[ $("$PY" -c 'import json,sys; s=sys.stdin.read(); print("Item" in (json.loads(s) if s.strip() else {}))' \
      <"$workdir/gone.json") == False ]] || fail "item still present after delete-item"

ddb delete-table --table-name "$table" >/dev/null
ddb wait table-not-exists --table-name "$table"
if ddb describe-table --table-name "$table" 2>"$workdir/desc.err" >/dev/null; then
    fail "table still exists after delete-table"
fi
grep -q ResourceNotFoundException "$workdir/desc.err" || fail "wrong error: $(cat "$workdir/desc.err")"

stop_emulator_checked
echo "aws cli smoke: OK"
