//! Connections are served either on connection threads (`cairn serve`'s default:
//! each connection on one single-threaded runtime) or on the runtime that runs the
//! listener (`--connection-threads 0`). Both serve many connections at once, each
//! with several requests, and every write is read back.

mod common;

use aws_sdk_dynamodb::types::AttributeValue;
use cairn_server::ServerConfig;
use common::{create_table, memory_engine, TestServer};
use std::sync::Arc;

/// Eight clients (each with its own connections) write and read back 20 items each.
async fn many_connections_write_and_read_back(server: &TestServer) {
    let client = server.client();
    create_table(&client, "modes", None).await;
    let mut tasks = Vec::new();
    for writer in 0..8 {
        let client = server.client();
        tasks.push(tokio::spawn(async move {
            for n in 0..20 {
                let pk = format!("w{writer}-{n}");
                client
                    .put_item()
                    .table_name("modes")
                    .item("pk", AttributeValue::S(pk.clone()))
                    .item("n", AttributeValue::N(n.to_string()))
                    .send()
                    .await
                    .unwrap();
                let read = client
                    .get_item()
                    .table_name("modes")
                    .key("pk", AttributeValue::S(pk))
                    .consistent_read(true)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    read.item().and_then(|i| i.get("n")),
                    Some(&AttributeValue::N(n.to_string()))
                );
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let count = client.scan().table_name("modes").send().await.unwrap().count();
    assert_eq!(count, 160);
}

fn two_connection_threads() -> Option<Arc<cairn_server::ConnectionThreads>> {
    Some(cairn_server::ConnectionThreads::start(2, 8 * 1024 * 1024).unwrap())
}

async fn serve_and_check(config: ServerConfig) {
    let server = TestServer::start_exact(Arc::new(memory_engine()), config).await;
    many_connections_write_and_read_back(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_served_on_connection_threads() {
    serve_and_check(ServerConfig {
        connection_threads: two_connection_threads(),
        ..ServerConfig::default()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_served_on_the_listeners_runtime_without_connection_threads() {
    serve_and_check(ServerConfig {
        connection_threads: None,
        ..ServerConfig::default()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_engine_calls_work_from_connection_threads() {
    // `--sync` and PostgreSQL run each engine call on the blocking pool of the
    // listener's runtime, also when connection threads serve the connections.
    serve_and_check(ServerConfig {
        engine_blocks: true,
        connection_threads: two_connection_threads(),
        ..ServerConfig::default()
    })
    .await;
}
