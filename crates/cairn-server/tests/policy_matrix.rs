//! Identity policies, table-driven: principal × action × resource × condition →
//! allowed or denied, through the same function the listener runs. A denial must be
//! AccessDeniedException with AWS's message naming the user, action, resource and
//! reason; an allowed request must succeed.

mod common;

use common::{call, call_as, principal_context};
use serde_json::{json, Value};

const ACCOUNT: &str = "000000000000";

fn arn(table: &str) -> String {
    format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{table}")
}

fn setup() -> (cairn_engine::Engine, String) {
    let engine = common::memory_engine();
    call(&engine, "CreateTable", json!({
        "TableName": "books",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "author", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [{"IndexName": "byAuthor", "KeySchema": [{"AttributeName": "author", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
        "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"}
    })).unwrap();
    common::create_simple_table(&engine, "secrets");
    for pk in ["alice", "bob"] {
        call(&engine, "PutItem", json!({"TableName": "books", "Item": {"pk": {"S": pk}, "title": {"S": "t"}, "secret": {"S": "x"}, "author": {"S": "a"}}})).unwrap();
    }
    let stream = call(&engine, "DescribeTable", json!({"TableName": "books"})).unwrap()["Table"]["LatestStreamArn"]
        .as_str()
        .unwrap()
        .to_string();
    (engine, stream)
}

fn allow(action: Value, resource: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
}

fn allow_if(action: &str, resource: &str, condition: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, "Condition": condition}]})
}

struct Case {
    name: &'static str,
    /// `None`: a principal without a `policies` key.
    policies: Option<Value>,
    operation: &'static str,
    body: Value,
    /// `None` when allowed; otherwise (action, resource, reason) of the denial.
    denied: Option<(&'static str, String, &'static str)>,
}

const NO_ALLOW: &str = "no-allow";
const IDENTITY_DENY: &str = "with an explicit deny in an identity-based policy";

fn get(pk: &str) -> Value {
    json!({"TableName": "books", "Key": {"pk": {"S": pk}}})
}

fn cases(stream: &str) -> Vec<Case> {
    let books = arn("books");
    let secrets = arn("secrets");
    let leading_own = json!({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}});
    let deny = |action: &'static str, resource: String| Some((action, resource, NO_ALLOW));
    vec![
        Case {
            name: "no policies key allows everything",
            policies: None,
            operation: "PutItem",
            body: json!({"TableName": "books", "Item": {"pk": {"S": "n"}}}),
            denied: None,
        },
        Case {
            name: "an allowed action on its table",
            policies: Some(json!([allow(json!("dynamodb:GetItem"), json!(books))])),
            operation: "GetItem",
            body: get("alice"),
            denied: None,
        },
        Case {
            name: "another action on the same table",
            policies: Some(json!([allow(json!("dynamodb:GetItem"), json!(books))])),
            operation: "PutItem",
            body: json!({"TableName": "books", "Item": {"pk": {"S": "p"}}}),
            denied: deny("dynamodb:PutItem", books.clone()),
        },
        Case {
            name: "the allowed action on another table",
            policies: Some(json!([allow(json!("dynamodb:GetItem"), json!(books))])),
            operation: "GetItem",
            body: json!({"TableName": "secrets", "Key": {"pk": {"S": "a"}}}),
            denied: deny("dynamodb:GetItem", secrets.clone()),
        },
        Case {
            name: "an empty policy list allows nothing",
            policies: Some(json!([])),
            operation: "GetItem",
            body: get("alice"),
            denied: deny("dynamodb:GetItem", books.clone()),
        },
        Case {
            name: "action wildcard Get*",
            policies: Some(json!([allow(json!("dynamodb:Get*"), json!("*"))])),
            operation: "GetItem",
            body: get("alice"),
            denied: None,
        },
        Case {
            name: "action wildcard does not reach Query",
            policies: Some(json!([allow(json!("dynamodb:Get*"), json!("*"))])),
            operation: "Query",
            body: json!({"TableName": "books", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "alice"}}}),
            denied: deny("dynamodb:Query", books.clone()),
        },
        Case {
            name: "action names are case-insensitive",
            policies: Some(json!([allow(json!("DynamoDB:getitem"), json!("*"))])),
            operation: "GetItem",
            body: get("alice"),
            denied: None,
        },
        Case {
            name: "dynamodb:* on one table allows deletes there",
            policies: Some(json!([allow(json!("dynamodb:*"), json!(books))])),
            operation: "DeleteItem",
            body: get("bob"),
            denied: None,
        },
        Case {
            name: "* on * allows creating tables",
            policies: Some(json!([allow(json!("*"), json!("*"))])),
            operation: "CreateTable",
            body: json!({"TableName": "created", "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}], "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
            denied: None,
        },
        Case {
            name: "an explicit deny beats an allow",
            policies: Some(json!([{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"}]}])),
            operation: "DeleteTable",
            body: json!({"TableName": "secrets"}),
            denied: Some(("dynamodb:DeleteTable", secrets.clone(), IDENTITY_DENY)),
        },
        Case {
            name: "a deny in a second policy beats an allow in the first",
            policies: Some(json!([
                allow(json!("dynamodb:*"), json!("*")),
                {"Statement": {"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": books.clone()}}])),
            operation: "PutItem",
            body: json!({"TableName": "books", "Item": {"pk": {"S": "d"}}}),
            denied: Some(("dynamodb:PutItem", books.clone(), IDENTITY_DENY)),
        },
        Case {
            name: "resource wildcard in the table name",
            policies: Some(json!([allow(
                json!("dynamodb:GetItem"),
                json!("arn:aws:dynamodb:*:*:table/b*")
            )])),
            operation: "GetItem",
            body: get("alice"),
            denied: None,
        },
        Case {
            name: "resource wildcard misses other tables",
            policies: Some(json!([allow(
                json!("dynamodb:GetItem"),
                json!("arn:aws:dynamodb:*:*:table/b*")
            )])),
            operation: "GetItem",
            body: json!({"TableName": "secrets", "Key": {"pk": {"S": "a"}}}),
            denied: deny("dynamodb:GetItem", secrets.clone()),
        },
        Case {
            name: "a resource in another region does not match",
            policies: Some(json!([allow(
                json!("dynamodb:GetItem"),
                json!(format!("arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/books"))
            )])),
            operation: "GetItem",
            body: get("alice"),
            denied: deny("dynamodb:GetItem", books.clone()),
        },
        Case {
            name: "NotAction allows what it does not list",
            policies: Some(
                json!([{"Statement": {"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "Resource": "*"}}]),
            ),
            operation: "PutItem",
            body: json!({"TableName": "books", "Item": {"pk": {"S": "na"}}}),
            denied: None,
        },
        Case {
            name: "NotAction does not allow what it lists",
            policies: Some(
                json!([{"Statement": {"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "Resource": "*"}}]),
            ),
            operation: "DeleteItem",
            body: get("alice"),
            denied: deny("dynamodb:DeleteItem", books.clone()),
        },
        Case {
            name: "NotResource allows other resources",
            policies: Some(
                json!([{"Statement": {"Effect": "Allow", "Action": "dynamodb:GetItem", "NotResource": secrets.clone()}}]),
            ),
            operation: "GetItem",
            body: get("alice"),
            denied: None,
        },
        Case {
            name: "NotResource excludes its resource",
            policies: Some(
                json!([{"Statement": {"Effect": "Allow", "Action": "dynamodb:GetItem", "NotResource": secrets.clone()}}]),
            ),
            operation: "GetItem",
            body: json!({"TableName": "secrets", "Key": {"pk": {"S": "a"}}}),
            denied: deny("dynamodb:GetItem", secrets.clone()),
        },
        Case {
            name: "a Query on an index needs the index ARN",
            policies: Some(json!([allow(json!("dynamodb:Query"), json!(books))])),
            operation: "Query",
            body: json!({"TableName": "books", "IndexName": "byAuthor", "KeyConditionExpression": "author = :a", "ExpressionAttributeValues": {":a": {"S": "a"}}}),
            denied: deny("dynamodb:Query", format!("{books}/index/byAuthor")),
        },
        Case {
            name: "an index ARN pattern allows the index Query",
            policies: Some(json!([allow(
                json!("dynamodb:Query"),
                json!(format!("{books}/index/*"))
            )])),
            operation: "Query",
            body: json!({"TableName": "books", "IndexName": "byAuthor", "KeyConditionExpression": "author = :a", "ExpressionAttributeValues": {":a": {"S": "a"}}}),
            denied: None,
        },
        Case {
            name: "BatchGetItem checks every table",
            policies: Some(json!([allow(json!("dynamodb:BatchGetItem"), json!(books))])),
            operation: "BatchGetItem",
            body: json!({"RequestItems": {"books": {"Keys": [{"pk": {"S": "alice"}}]}, "secrets": {"Keys": [{"pk": {"S": "a"}}]}}}),
            denied: deny("dynamodb:BatchGetItem", secrets.clone()),
        },
        Case {
            name: "BatchGetItem allowed on both tables",
            policies: Some(json!([allow(json!("dynamodb:BatchGetItem"), json!([books, secrets]))])),
            operation: "BatchGetItem",
            body: json!({"RequestItems": {"books": {"Keys": [{"pk": {"S": "alice"}}]}, "secrets": {"Keys": [{"pk": {"S": "a"}}]}}}),
            denied: None,
        },
        Case {
            name: "BatchWriteItem needs its own action, not PutItem",
            policies: Some(json!([allow(json!("dynamodb:PutItem"), json!("*"))])),
            operation: "BatchWriteItem",
            body: json!({"RequestItems": {"books": [{"PutRequest": {"Item": {"pk": {"S": "bw"}}}}]}}),
            denied: deny("dynamodb:BatchWriteItem", books.clone()),
        },
        Case {
            name: "a transactional put needs PutItem",
            policies: Some(json!([allow(json!("dynamodb:PutItem"), json!("*"))])),
            operation: "TransactWriteItems",
            body: json!({"TransactItems": [{"Put": {"TableName": "books", "Item": {"pk": {"S": "tx"}}}}]}),
            denied: None,
        },
        Case {
            name: "a transactional condition check needs ConditionCheckItem",
            policies: Some(json!([allow(json!("dynamodb:PutItem"), json!("*"))])),
            operation: "TransactWriteItems",
            body: json!({"TransactItems": [
                {"Put": {"TableName": "books", "Item": {"pk": {"S": "tx2"}}}},
                {"ConditionCheck": {"TableName": "secrets", "Key": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(pk)"}}]}),
            denied: deny("dynamodb:ConditionCheckItem", secrets.clone()),
        },
        Case {
            name: "TransactGetItems needs GetItem",
            policies: Some(json!([allow(json!("dynamodb:GetItem"), json!(books))])),
            operation: "TransactGetItems",
            body: json!({"TransactItems": [{"Get": {"TableName": "books", "Key": {"pk": {"S": "alice"}}}}]}),
            denied: None,
        },
        Case {
            name: "EnclosingOperation limits a put to transactions: plain put denied",
            policies: Some(json!([allow_if(
                "dynamodb:PutItem",
                "*",
                json!({"StringEquals": {"dynamodb:EnclosingOperation": "TransactWriteItems"}})
            )])),
            operation: "PutItem",
            body: json!({"TableName": "books", "Item": {"pk": {"S": "eo"}}}),
            denied: deny("dynamodb:PutItem", books.clone()),
        },
        Case {
            name: "EnclosingOperation limits a put to transactions: transaction allowed",
            policies: Some(json!([allow_if(
                "dynamodb:PutItem",
                "*",
                json!({"StringEquals": {"dynamodb:EnclosingOperation": "TransactWriteItems"}})
            )])),
            operation: "TransactWriteItems",
            body: json!({"TransactItems": [{"Put": {"TableName": "books", "Item": {"pk": {"S": "eo"}}}}]}),
            denied: None,
        },
        Case {
            name: "PartiQL SELECT needs PartiQLSelect",
            policies: Some(json!([allow(json!("dynamodb:PartiQLSelect"), json!(books))])),
            operation: "ExecuteStatement",
            body: json!({"Statement": "SELECT * FROM books WHERE pk = 'alice'"}),
            denied: None,
        },
        Case {
            name: "PartiQL INSERT is not a select",
            policies: Some(json!([allow(json!("dynamodb:PartiQLSelect"), json!(books))])),
            operation: "ExecuteStatement",
            body: json!({"Statement": "INSERT INTO books VALUE {'pk': 'pq'}"}),
            denied: deny("dynamodb:PartiQLInsert", books.clone()),
        },
        Case {
            name: "PartiQL UPDATE needs PartiQLUpdate",
            policies: Some(json!([allow(json!("dynamodb:PartiQLUpdate"), json!(books))])),
            operation: "ExecuteStatement",
            body: json!({"Statement": "UPDATE books SET title = 'u' WHERE pk = 'alice'"}),
            denied: None,
        },
        Case {
            name: "PartiQL DELETE in a batch needs PartiQLDelete",
            policies: Some(json!([allow(json!("dynamodb:PartiQLSelect"), json!(books))])),
            operation: "BatchExecuteStatement",
            body: json!({"Statements": [{"Statement": "DELETE FROM books WHERE pk = 'bob'"}]}),
            denied: deny("dynamodb:PartiQLDelete", books.clone()),
        },
        Case {
            name: "ListTables is authorized on *, not on a table",
            policies: Some(json!([allow(json!("dynamodb:ListTables"), json!(books))])),
            operation: "ListTables",
            body: json!({}),
            denied: deny("dynamodb:ListTables", "*".to_string()),
        },
        Case {
            name: "ListTables allowed on *",
            policies: Some(json!([allow(json!("dynamodb:ListTables"), json!("*"))])),
            operation: "ListTables",
            body: json!({}),
            denied: None,
        },
        Case {
            name: "Describe* covers DescribeTable",
            policies: Some(json!([allow(json!("dynamodb:Describe*"), json!(books))])),
            operation: "DescribeTable",
            body: json!({"TableName": "books"}),
            denied: None,
        },
        Case {
            name: "LeadingKeys: one's own partition",
            policies: Some(json!([allow_if("dynamodb:GetItem", &books, leading_own.clone())])),
            operation: "GetItem",
            body: get("alice"),
            denied: None,
        },
        Case {
            name: "LeadingKeys: another's partition",
            policies: Some(json!([allow_if("dynamodb:GetItem", &books, leading_own.clone())])),
            operation: "GetItem",
            body: get("bob"),
            denied: deny("dynamodb:GetItem", books.clone()),
        },
        Case {
            name: "LeadingKeys: Query of one's own partition",
            policies: Some(json!([allow_if("dynamodb:Query", &books, leading_own.clone())])),
            operation: "Query",
            body: json!({"TableName": "books", "KeyConditionExpression": "#p = :p", "ExpressionAttributeNames": {"#p": "pk"}, "ExpressionAttributeValues": {":p": {"S": "alice"}}}),
            denied: None,
        },
        Case {
            name: "LeadingKeys: Query of another's partition",
            policies: Some(json!([allow_if("dynamodb:Query", &books, leading_own.clone())])),
            operation: "Query",
            body: json!({"TableName": "books", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "bob"}}}),
            denied: deny("dynamodb:Query", books.clone()),
        },
        Case {
            name: "LeadingKeys: a batch reaching another's partition",
            policies: Some(json!([allow_if("dynamodb:BatchGetItem", &books, leading_own.clone())])),
            operation: "BatchGetItem",
            body: json!({"RequestItems": {"books": {"Keys": [{"pk": {"S": "alice"}}, {"pk": {"S": "bob"}}]}}}),
            denied: deny("dynamodb:BatchGetItem", books.clone()),
        },
        Case {
            name: "LeadingKeys: version 2008 takes ${aws:username} literally",
            policies: Some(
                json!([{"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": books.clone(), "Condition": leading_own.clone()}}]),
            ),
            operation: "GetItem",
            body: get("alice"),
            denied: deny("dynamodb:GetItem", books.clone()),
        },
        Case {
            name: "Attributes: projecting allowed attributes",
            policies: Some(json!([allow_if(
                "dynamodb:GetItem",
                &books,
                json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "title"]}})
            )])),
            operation: "GetItem",
            body: json!({"TableName": "books", "Key": {"pk": {"S": "alice"}}, "ProjectionExpression": "pk, title"}),
            denied: None,
        },
        Case {
            name: "Attributes: projecting a forbidden attribute",
            policies: Some(json!([allow_if(
                "dynamodb:GetItem",
                &books,
                json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "title"]}})
            )])),
            operation: "GetItem",
            body: json!({"TableName": "books", "Key": {"pk": {"S": "alice"}}, "ProjectionExpression": "#s", "ExpressionAttributeNames": {"#s": "secret"}}),
            denied: deny("dynamodb:GetItem", books.clone()),
        },
        Case {
            name: "Attributes: an update of an allowed attribute",
            policies: Some(json!([allow_if(
                "dynamodb:UpdateItem",
                &books,
                json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "title"]}})
            )])),
            operation: "UpdateItem",
            body: json!({"TableName": "books", "Key": {"pk": {"S": "alice"}}, "UpdateExpression": "SET title = :t", "ExpressionAttributeValues": {":t": {"S": "new"}}}),
            denied: None,
        },
        Case {
            name: "Attributes: an update of a forbidden attribute",
            policies: Some(json!([allow_if(
                "dynamodb:UpdateItem",
                &books,
                json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "title"]}})
            )])),
            operation: "UpdateItem",
            body: json!({"TableName": "books", "Key": {"pk": {"S": "alice"}}, "UpdateExpression": "REMOVE secret"}),
            denied: deny("dynamodb:UpdateItem", books.clone()),
        },
        Case {
            name: "Select: reading whole items is ALL_ATTRIBUTES",
            policies: Some(json!([allow_if(
                "dynamodb:GetItem",
                &books,
                json!({"StringEquals": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}})
            )])),
            operation: "GetItem",
            body: get("alice"),
            denied: deny("dynamodb:GetItem", books.clone()),
        },
        Case {
            name: "Select: a projection is SPECIFIC_ATTRIBUTES",
            policies: Some(json!([allow_if(
                "dynamodb:GetItem",
                &books,
                json!({"StringEquals": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}})
            )])),
            operation: "GetItem",
            body: json!({"TableName": "books", "Key": {"pk": {"S": "alice"}}, "AttributesToGet": ["title"]}),
            denied: None,
        },
        Case {
            name: "ReturnValues: ALL_OLD denied",
            policies: Some(json!([{"Statement": [
                {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"},
                {"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": "*", "Condition": {"StringEquals": {"dynamodb:ReturnValues": ["ALL_OLD", "UPDATED_OLD"]}}}]}])),
            operation: "PutItem",
            body: json!({"TableName": "books", "Item": {"pk": {"S": "rv"}}, "ReturnValues": "ALL_OLD"}),
            denied: Some(("dynamodb:PutItem", books.clone(), IDENTITY_DENY)),
        },
        Case {
            name: "ReturnValues: NONE by default",
            policies: Some(json!([{"Statement": [
                {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"},
                {"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": "*", "Condition": {"StringEquals": {"dynamodb:ReturnValues": ["ALL_OLD", "UPDATED_OLD"]}}}]}])),
            operation: "PutItem",
            body: json!({"TableName": "books", "Item": {"pk": {"S": "rv"}}}),
            denied: None,
        },
        Case {
            name: "StringLike on the user name",
            policies: Some(json!([allow_if(
                "dynamodb:GetItem",
                "*",
                json!({"StringLike": {"aws:username": "al*"}})
            )])),
            operation: "GetItem",
            body: get("alice"),
            denied: None,
        },
        Case {
            name: "SecureTransport required, plain HTTP denied",
            policies: Some(json!([allow_if(
                "dynamodb:GetItem",
                "*",
                json!({"Bool": {"aws:SecureTransport": "true"}})
            )])),
            operation: "GetItem",
            body: get("alice"),
            denied: deny("dynamodb:GetItem", books.clone()),
        },
        Case {
            name: "a nonexistent table is denied, not reported missing",
            policies: Some(json!([allow(json!("dynamodb:GetItem"), json!(books))])),
            operation: "GetItem",
            body: json!({"TableName": "nowhere", "Key": {"pk": {"S": "a"}}}),
            denied: deny("dynamodb:GetItem", arn("nowhere")),
        },
        Case {
            name: "tagging is authorized on the ARN given",
            policies: Some(json!([allow(json!("dynamodb:ListTagsOfResource"), json!(books))])),
            operation: "ListTagsOfResource",
            body: json!({"ResourceArn": secrets.clone()}),
            denied: deny("dynamodb:ListTagsOfResource", secrets.clone()),
        },
        Case {
            name: "Attributes: copying a forbidden attribute into an allowed one",
            policies: Some(json!([allow_if(
                "dynamodb:UpdateItem",
                &books,
                json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "title"]}})
            )])),
            operation: "UpdateItem",
            body: json!({"TableName": "books", "Key": {"pk": {"S": "alice"}}, "UpdateExpression": "SET title = secret"}),
            denied: deny("dynamodb:UpdateItem", books.clone()),
        },
        Case {
            name: "Attributes: a condition testing a forbidden attribute",
            policies: Some(json!([allow_if(
                "dynamodb:PutItem",
                &books,
                json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "title"]}})
            )])),
            operation: "PutItem",
            body: json!({"TableName": "books", "Item": {"pk": {"S": "alice"}, "title": {"S": "x"}}, "ConditionExpression": "secret = :s", "ExpressionAttributeValues": {":s": {"S": "x"}}}),
            denied: deny("dynamodb:PutItem", books.clone()),
        },
        Case {
            name: "Attributes: a condition on allowed attributes",
            policies: Some(json!([allow_if(
                "dynamodb:PutItem",
                &books,
                json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "title"]}})
            )])),
            operation: "PutItem",
            body: json!({"TableName": "books", "Item": {"pk": {"S": "alice"}, "title": {"S": "x"}}, "ConditionExpression": "attribute_exists(title)"}),
            denied: None,
        },
        Case {
            name: "Attributes: the old item returned on a failed condition is every attribute",
            policies: Some(json!([allow_if(
                "dynamodb:DeleteItem",
                &books,
                json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "title"]}})
            )])),
            operation: "DeleteItem",
            body: json!({"TableName": "books", "Key": {"pk": {"S": "alice"}}, "ConditionExpression": "attribute_not_exists(pk)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}),
            denied: deny("dynamodb:DeleteItem", books.clone()),
        },
        Case {
            name: "Attributes: a scan filter testing a forbidden attribute",
            policies: Some(json!([allow_if(
                "dynamodb:Scan",
                &books,
                json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "title"]}})
            )])),
            operation: "Scan",
            body: json!({"TableName": "books", "ProjectionExpression": "pk", "FilterExpression": "secret = :s", "ExpressionAttributeValues": {":s": {"S": "x"}}}),
            denied: deny("dynamodb:Scan", books.clone()),
        },
        Case {
            name: "Attributes: a PartiQL projection of a forbidden attribute",
            policies: Some(json!([allow_if(
                "dynamodb:PartiQLSelect",
                &books,
                json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "title"]}})
            )])),
            operation: "ExecuteStatement",
            body: json!({"Statement": "SELECT secret FROM books WHERE pk = 'alice'"}),
            denied: deny("dynamodb:PartiQLSelect", books.clone()),
        },
        Case {
            name: "Attributes: a PartiQL projection of allowed attributes",
            policies: Some(json!([allow_if(
                "dynamodb:PartiQLSelect",
                &books,
                json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "title"]}})
            )])),
            operation: "ExecuteStatement",
            body: json!({"Statement": "SELECT title FROM books WHERE pk = 'alice'"}),
            denied: None,
        },
        Case {
            name: "LeadingKeys: a transactional delete is judged by the Key it deletes",
            policies: Some(json!([allow_if("dynamodb:DeleteItem", &books, leading_own.clone())])),
            operation: "TransactWriteItems",
            body: json!({"TransactItems": [{"Delete": {"TableName": "books", "Item": {"pk": {"S": "alice"}}, "Key": {"pk": {"S": "bob"}}}}]}),
            denied: deny("dynamodb:DeleteItem", books.clone()),
        },
        Case {
            name: "CreateTable with a resource policy also needs PutResourcePolicy",
            policies: Some(json!([allow(json!("dynamodb:CreateTable"), json!("*"))])),
            operation: "CreateTable",
            body: json!({"TableName": "withpolicy", "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}], "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST",
                "ResourcePolicy": json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": "*"}]}).to_string()}),
            denied: deny("dynamodb:PutResourcePolicy", arn("withpolicy")),
        },
        Case {
            name: "tagging through another account's spelling of the ARN is the same table",
            policies: Some(json!([{"Statement": [
                {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "dynamodb:TagResource", "Resource": secrets.clone()}]}])),
            operation: "TagResource",
            body: json!({"ResourceArn": "arn:aws:dynamodb:us-east-1:999999999999:table/secrets", "Tags": [{"Key": "k", "Value": "v"}]}),
            denied: Some(("dynamodb:TagResource", secrets.clone(), IDENTITY_DENY)),
        },
        Case {
            name: "DescribeStream on the stream ARN",
            policies: Some(json!([allow(
                json!("dynamodb:DescribeStream"),
                json!(format!("{books}/stream/*"))
            )])),
            operation: "Streams:DescribeStream",
            body: json!({"StreamArn": stream}),
            denied: None,
        },
        Case {
            name: "a table ARN does not cover its stream",
            policies: Some(json!([allow(json!("dynamodb:DescribeStream"), json!(books))])),
            operation: "Streams:DescribeStream",
            body: json!({"StreamArn": stream}),
            denied: deny("dynamodb:DescribeStream", stream.to_string()),
        },
    ]
}

#[test]
fn policy_matrix() {
    let mut checked = 0;
    let count = cases("").len();
    for i in 0..count {
        // A fresh engine per case (its stream has its own ARN), so no case sees
        // another's writes.
        let (engine, stream) = setup();
        let case = cases(&stream).swap_remove(i);
        let ctx = principal_context("alice", case.policies.clone());
        let target = match case.operation.strip_prefix("Streams:") {
            Some(op) => format!("DynamoDBStreams_20120810.{op}"),
            None => format!("DynamoDB_20120810.{}", case.operation),
        };
        let result = call_as(&engine, &ctx, &target, case.body.clone());
        match (&case.denied, result) {
            (None, Ok(_)) => {}
            (None, Err(e)) => panic!("{}: expected success, got {e:?}", case.name),
            (Some(_), Ok(v)) => panic!("{}: expected a denial, got {v}", case.name),
            (Some((action, resource, reason)), Err((kind, message))) => {
                assert_eq!(kind, "AccessDeniedException", "{}: {message}", case.name);
                let reason = if *reason == NO_ALLOW {
                    format!("because no identity-based policy allows the {action} action")
                } else {
                    reason.to_string()
                };
                assert_eq!(
                    message,
                    format!("User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: {action} on resource: {resource} {reason}"),
                    "{}",
                    case.name
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} cases");
}

#[test]
fn a_stream_arn_smuggling_another_table_is_authorized_as_that_table() {
    let (engine, stream) = setup();
    let label = stream.rsplit_once("/stream/").unwrap().1;
    let smuggled = format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/public:table/books/stream/{label}");
    let ctx = principal_context(
        "alice",
        Some(json!([allow(
            json!("dynamodb:DescribeStream"),
            json!(format!("{}*", arn("public")))
        )])),
    );
    let (kind, message) = call_as(
        &engine,
        &ctx,
        "DynamoDBStreams_20120810.DescribeStream",
        json!({"StreamArn": smuggled}),
    )
    .unwrap_err();
    assert_eq!(kind, "AccessDeniedException");
    assert!(message.contains(&format!("on resource: {stream} ")), "{message}");
}

#[test]
fn number_keys_are_compared_in_canonical_form() {
    let engine = common::memory_engine();
    call(
        &engine,
        "CreateTable",
        json!({
            "TableName": "numbered",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "N"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .unwrap();
    let policy = json!([{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": "*", "Condition": {"ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": ["1"]}}}]}]);
    let ctx = principal_context("alice", Some(policy));
    for spelling in ["1", "1.0", "01", "1E0"] {
        let e = call_as(
            &engine,
            &ctx,
            "DynamoDB_20120810.PutItem",
            json!({"TableName": "numbered", "Item": {"id": {"N": spelling}}}),
        );
        assert_eq!(e.unwrap_err().0, "AccessDeniedException", "{spelling}");
    }
    call_as(
        &engine,
        &ctx,
        "DynamoDB_20120810.PutItem",
        json!({"TableName": "numbered", "Item": {"id": {"N": "2"}}}),
    )
    .unwrap();
}

#[test]
fn a_denied_write_changes_nothing() {
    let (engine, _) = setup();
    let ctx = principal_context("alice", Some(json!([allow(json!("dynamodb:GetItem"), json!("*"))])));
    let denied = call_as(
        &engine,
        &ctx,
        "DynamoDB_20120810.PutItem",
        json!({"TableName": "books", "Item": {"pk": {"S": "intruder"}}}),
    );
    assert_eq!(denied.unwrap_err().0, "AccessDeniedException");
    let got = call(
        &engine,
        "GetItem",
        json!({"TableName": "books", "Key": {"pk": {"S": "intruder"}}}),
    )
    .unwrap();
    assert!(got.get("Item").is_none());
}

#[test]
fn access_denied_goes_out_with_capital_message() {
    let (engine, _) = setup();
    let ctx = principal_context("alice", Some(json!([])));
    let body = serde_json::to_vec(&get("alice")).unwrap();
    let e = cairn_server::call_operation(&engine, &ctx, Some("DynamoDB_20120810.GetItem"), &body).unwrap_err();
    assert_eq!(e.kind.message_field(), "Message");
    assert_eq!(e.kind.namespace(), "com.amazon.coral.service");
}
