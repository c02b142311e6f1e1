//! PutItem, GetItem and DeleteItem through the AWS SDK: every attribute type, return
//! values, projections, capacity, and DynamoDB's validation messages.

mod common;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue as Av, ReturnConsumedCapacity, ReturnValue, ScalarAttributeType};
use common::{create_table, error_of, n, s, TestServer};
use std::collections::HashMap;

#[tokio::test]
async fn every_attribute_type_round_trips() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "things", Some(ScalarAttributeType::N)).await;
    let item: HashMap<String, Av> = [
        ("pk", s("p1")),
        ("sk", n("42")),
        ("str", s("")),
        ("num", n("-0.5000")),
        ("bin", Av::B(Blob::new(vec![0u8, 1, 255]))),
        ("yes", Av::Bool(true)),
        ("nothing", Av::Null(true)),
        ("list", Av::L(vec![s("a"), n("1")])),
        (
            "map",
            Av::M([("inner".to_string(), Av::Ss(vec!["x".into(), "y".into()]))].into()),
        ),
        ("ns", Av::Ns(vec!["1".into(), "2.50".into()])),
        ("bs", Av::Bs(vec![Blob::new(vec![1u8]), Blob::new(vec![2u8])])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    client
        .put_item()
        .table_name("things")
        .set_item(Some(item.clone()))
        .send()
        .await
        .unwrap();
    let got = client
        .get_item()
        .table_name("things")
        .key("pk", s("p1"))
        .key("sk", n("42.0"))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let mut expected = item;
    expected.insert("num".into(), n("-0.5"));
    expected.insert("ns".into(), Av::Ns(vec!["1".into(), "2.5".into()]));
    assert_eq!(got, expected);
}

#[tokio::test]
async fn put_and_delete_return_the_old_item_when_asked() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "tbl", None).await;
    let first = client
        .put_item()
        .table_name("tbl")
        .item("pk", s("k"))
        .item("v", n("1"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert!(first.attributes.is_none());
    let second = client
        .put_item()
        .table_name("tbl")
        .item("pk", s("k"))
        .item("v", n("2"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(second.attributes.unwrap().get("v"), Some(&n("1")));
    let deleted = client
        .delete_item()
        .table_name("tbl")
        .key("pk", s("k"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.attributes.unwrap().get("v"), Some(&n("2")));
    let gone = client
        .get_item()
        .table_name("tbl")
        .key("pk", s("k"))
        .send()
        .await
        .unwrap();
    assert!(gone.item.is_none());
    // Deleting a missing item succeeds and returns nothing.
    let again = client
        .delete_item()
        .table_name("tbl")
        .key("pk", s("k"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert!(again.attributes.is_none());
    let (_, message) = error_of(
        client
            .put_item()
            .table_name("tbl")
            .item("pk", s("k"))
            .return_values(ReturnValue::AllNew)
            .send()
            .await,
    );
    assert_eq!(message, "ReturnValues can only be ALL_OLD or NONE");
}

#[tokio::test]
async fn projection_expressions_select_nested_parts() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "tbl", None).await;
    client
        .put_item()
        .table_name("tbl")
        .item("pk", s("k"))
        .item(
            "m",
            Av::M([("a".to_string(), n("1")), ("b".to_string(), n("2"))].into()),
        )
        .item("l", Av::L(vec![s("zero"), s("one"), s("two")]))
        .send()
        .await
        .unwrap();
    let item = client
        .get_item()
        .table_name("tbl")
        .key("pk", s("k"))
        .projection_expression("m.#b, l[2]")
        .expression_attribute_names("#b", "b")
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(item.len(), 2);
    assert_eq!(item["m"], Av::M([("b".to_string(), n("2"))].into()));
    assert_eq!(item["l"], Av::L(vec![s("two")]));

    let (_, message) = error_of(
        client
            .get_item()
            .table_name("tbl")
            .key("pk", s("k"))
            .projection_expression("pk, status")
            .send()
            .await,
    );
    assert_eq!(
        message,
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: status"
    );
    let (_, message) = error_of(
        client
            .get_item()
            .table_name("tbl")
            .key("pk", s("k"))
            .projection_expression("pk")
            .expression_attribute_names("#x", "x")
            .send()
            .await,
    );
    assert_eq!(
        message,
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}"
    );
}

#[tokio::test]
async fn keys_and_values_are_validated_like_dynamodb() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "tbl", Some(ScalarAttributeType::S)).await;
    let cases: Vec<(HashMap<String, Av>, &str)> = vec![
        ([("sk".to_string(), s("x"))].into(), "One or more parameter values were invalid: Missing the key pk in the item"),
        ([("pk".to_string(), n("1")), ("sk".to_string(), s("x"))].into(), "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"),
        ([("pk".to_string(), s("")), ("sk".to_string(), s("x"))].into(), "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"),
        ([("pk".to_string(), s("a")), ("sk".to_string(), s("x")), ("e".to_string(), Av::Ss(vec![]))].into(), "One or more parameter values were invalid: An string set  may not be empty"),
        ([("pk".to_string(), s("a")), ("sk".to_string(), s("x")), ("d".to_string(), Av::Ss(vec!["a".into(), "a".into()]))].into(), "One or more parameter values were invalid: Input collection [a, a] contains duplicates."),
        ([("pk".to_string(), s("a")), ("sk".to_string(), s("x")), ("big".to_string(), n("1E+126"))].into(), "Number overflow. Attempting to store a number with magnitude larger than supported range"),
        ([("pk".to_string(), s("a")), ("sk".to_string(), s("x")), ("z".to_string(), Av::Null(false))].into(), "One or more parameter values were invalid: Null attribute value types must have the value of true"),
    ];
    for (item, expected) in cases {
        let (code, message) = error_of(client.put_item().table_name("tbl").set_item(Some(item)).send().await);
        assert_eq!((code.as_str(), message.as_str()), ("ValidationException", expected));
    }
    let (_, message) = error_of(client.get_item().table_name("tbl").key("pk", s("a")).send().await);
    assert_eq!(message, "The provided key element does not match the schema");
    let (_, message) = error_of(
        client
            .get_item()
            .table_name("tbl")
            .key("pk", s("a"))
            .key("sk", s("b"))
            .key("x", s("c"))
            .send()
            .await,
    );
    assert_eq!(message, "The provided key element does not match the schema");
    let (code, message) = error_of(client.get_item().table_name("missing").key("pk", s("a")).send().await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ResourceNotFoundException", "Requested resource not found")
    );
    let big = "x".repeat(400 * 1024);
    let (_, message) = error_of(
        client
            .put_item()
            .table_name("tbl")
            .item("pk", s("a"))
            .item("sk", s("b"))
            .item("v", s(&big))
            .send()
            .await,
    );
    assert_eq!(message, "Item size has exceeded the maximum allowed size");
    let scan_count = client
        .get_item()
        .table_name("tbl")
        .key("pk", s("a"))
        .key("sk", s("b"))
        .send()
        .await
        .unwrap();
    assert!(scan_count.item.is_none(), "rejected writes change nothing");
}

#[tokio::test]
async fn consumed_capacity_is_charged_per_unit() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "tbl", None).await;
    let put = client
        .put_item()
        .table_name("tbl")
        .item("pk", s("k"))
        .item("v", s(&"x".repeat(1500)))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    let capacity = put.consumed_capacity.unwrap();
    assert_eq!(capacity.table_name(), Some("tbl"));
    assert_eq!(capacity.capacity_units(), Some(2.0), "1.5 KB costs two write units");
    let eventual = client
        .get_item()
        .table_name("tbl")
        .key("pk", s("k"))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(eventual.consumed_capacity.unwrap().capacity_units(), Some(0.5));
    let strong = client
        .get_item()
        .table_name("tbl")
        .key("pk", s("k"))
        .consistent_read(true)
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    let capacity = strong.consumed_capacity.unwrap();
    assert_eq!(capacity.capacity_units(), Some(1.0));
    assert_eq!(capacity.table().and_then(|t| t.capacity_units()), Some(1.0));
}
